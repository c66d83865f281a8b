"""Numbers in the query string, odd ones included, on every page: never a 500.

Every numeric query argument (a page, a person's number, a record named in the query)
is read one way, by ``casework.paging.whole_number``: ASCII digits only, 1 to 2**31 - 1.
Superscripts, circled and fullwidth digits, other scripts' digits, signs, spaces,
fractions and numbers too large for a column are not numbers here: a page number
that is not one shows the first page, a filter that is not one is a message on its
field, a record named by something that is not a number is not found.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from casework import db
from casework.paging import LARGEST, page_number, whole_number
from casework.permissions import Role
from casework.policy import ENDPOINT_PERMISSIONS, ROLE_PERMISSIONS
from tests.support import routes

pytestmark = pytest.mark.both_databases  # huge offsets and ids are refused differently by each database

ODD = ["²", "①", "٣", "３", "-1", "0", "1.5", " 2", "9" * 30, str(LARGEST + 1), ""]
MORE_ODD = ["߁", "+1", "2 ", "1e3", "0x1f", "٣٣", "1\n", "01x"]
NUMERIC_ARGUMENTS = ("page", "person", "priority", "premises", "meeting", "plan-action")
ROLE_ORDER = [Role.PSG_CHAIR, Role.MANAGER, Role.LICENSING_OFFICER, Role.ADMIN, Role.PSG_MEMBER, Role.PARTNER]


@pytest.mark.parametrize("text", [value for value in ODD if not value.isascii() or not value.isdigit()] + MORE_ODD)
def test_only_ascii_digits_make_a_number(text):
    assert whole_number(text) is None
    assert page_number(text) == 1


@pytest.mark.parametrize("text", ["9" * 30, "9" * 100_000, str(LARGEST + 1)])
def test_a_page_number_too_large_is_the_largest_the_services_bring_back_to_the_last(text):
    assert whole_number(text) is None
    assert page_number(text) == LARGEST


@pytest.mark.parametrize("text", ["0", "000"])
def test_page_nought_is_the_first(text):
    assert whole_number(text) is None
    assert page_number(text) == 1


@pytest.mark.parametrize(("text", "number"), [("1", 1), ("007", 7), ("42", 42), (str(LARGEST), LARGEST)])
def test_ascii_digits_do(text, number):
    assert whole_number(text) == number
    assert page_number(text) == number


def test_no_argument_is_the_first_page():
    assert whole_number(None) is None
    assert page_number(None) == 1


def _role_for(endpoint: str) -> Role:
    needed = ENDPOINT_PERMISSIONS.get(endpoint, frozenset())
    return next(role for role in ROLE_ORDER if not needed or not needed.isdisjoint(ROLE_PERMISSIONS[role]))


def _status(client, path: str, arguments: list[tuple[str, str]]) -> int:
    try:  # the test app lets errors through rather than answer 500
        return client.get(f"{path}?{urlencode(arguments)}").status_code
    except Exception:
        db.session.rollback()
        return 500


def test_odd_numbers_in_the_query_string_never_give_a_500(app, session):
    world = routes.build_world(db.session)
    failures, checked = [], 0
    for rule in routes.routes(app):
        if "GET" not in (rule.methods or ()) or rule.endpoint not in ENDPOINT_PERMISSIONS:
            continue
        client = routes.client_for(app, world, _role_for(rule.endpoint))
        url = urlsplit(routes.url(app, rule, world.args))
        given = parse_qsl(url.query)  # the record a page names in its query string
        for value in ODD:
            checked += 1
            if _status(client, url.path, given + [(name, value) for name in NUMERIC_ARGUMENTS]) >= 500:
                failures.append((rule.endpoint, value))
        # One at a time too, so that a refusal of one cannot hide another's 500.
        for name in NUMERIC_ARGUMENTS:
            if _status(client, url.path, given + [(name, "²")]) >= 500:
                failures.append((rule.endpoint, f"{name}=²"))
        # A page number that is not one is the first page, as if none was given.
        if _status(client, url.path, given + [("page", "²")]) != _status(client, url.path, given):
            failures.append((rule.endpoint, "page=² is not the first page"))
    assert failures == []
    assert checked > 500
