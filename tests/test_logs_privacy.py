"""Operational logs never hold personal data: everything logged during a whole journey,
at DEBUG, through the handlers production configures and an access log line per request
as the web server writes it, is searched for every personal value the journey used."""

import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import text

from casework import db, logs
from casework.clock import utcnow
from casework.people import services as people_service
from tests.factories import make_agency, make_user
from tests.support.victims import MEDIUM, assess

pytestmark = pytest.mark.both_databases

FIRST, LAST = "Zephyrine", "Quabblethorpe"
VICTIM = {
    "role": "victim",
    "first_name": FIRST,
    "last_name": LAST,
    "date_of_birth": ["4", "2", "1977"],
    "address": "17 Wimbleforth Crescent, Upwell",
    "postcode": "PE14 7QJ",
    "phone": "07700 913 579",
    "email": "zephyrine.q@example.org",
    "vulnerabilities": "Hearing loss since the Hollowmere accident",
    "confirmed_new": "",
}
TITLE = f"Harassment of {FIRST} {LAST}"
SUMMARY = "Neighbour Ignatius Fothergill shouts through the letterbox"
NOTE = "Spoke to her at the Threlkeld surgery about the shouting"
OVERRIDE_REASON = "Her son Barnaby Quabblethorpe says threats are escalating"
BAD_EMAIL = "zephyrine.q@@broken"

PERSONAL = [
    FIRST,
    LAST,
    VICTIM["address"],
    "Wimbleforth",
    VICTIM["postcode"],
    "PE147QJ",
    VICTIM["phone"],
    "07700913579",
    VICTIM["email"],
    BAD_EMAIL,
    "1977-02-04",
    "4 February 1977",
    "Hollowmere",
    TITLE,
    "Ignatius",
    "Fothergill",
    "Threlkeld",
    "Barnaby",
]


class AccessLog:
    """A test client's requests written to the log as the web server writes its access
    log (werkzeug's format: the request line, with its query string, and the status)."""

    def __init__(self, client) -> None:
        self.client = client
        self.log = logging.getLogger("werkzeug")

    def request(self, method: str, url: str, **kwargs):
        response = getattr(self.client, method)(url, **kwargs)
        now = utcnow().strftime("%d/%b/%Y %H:%M:%S")
        self.log.info('%s - - [%s] "%s %s HTTP/1.1" %s -', "127.0.0.1", now, method.upper(), url, response.status_code)
        return response

    def get(self, url: str, **kwargs):
        return self.request("get", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.request("post", url, **kwargs)

    def follow(self, response):
        """Follow redirects, each hop logged."""
        while response.status_code in (301, 302, 303):
            response = self.get(response.headers["Location"])
        return response


@pytest.fixture
def all_logs() -> Iterator[io.StringIO]:
    """The root logger at DEBUG with the handlers and formatter production configures
    (casework.logs.configure on an app that is not testing), writing to a buffer. Set up
    before the database session, so the connection sees the DEBUG level too."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in (*logs.QUIET_LOGGERS, "werkzeug")}
    production = Flask("casework-logs")
    production.config["LOG_LEVEL"] = "DEBUG"
    logs.configure(production)
    buffer = io.StringIO()
    configured = [handler for handler in root.handlers if handler not in saved_handlers]
    assert configured, "logs.configure added no handler"
    for handler in configured:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def test_a_whole_journey_logs_no_personal_data(all_logs, session, client_as, monkeypatch):
    council = make_agency(name="Fenland District Council")
    member = make_user(agency=council)
    web = AccessLog(client_as(member))

    # Open a case.
    opened = web.post(
        "/cases/new",
        data={
            "case_type": "victim",
            "title": TITLE,
            "summary": SUMMARY,
            "lead_agency_id": str(council.id),
            "district": "Fenland",
            "town": "Upwell",
            "ward": "Upwell",
        },
    )
    assert opened.status_code == 302
    reference = opened.headers["Location"].rsplit("/", 1)[1]
    web.follow(opened)

    # A validation error on a person, then the victim.
    refused = web.post(f"/cases/{reference}/people/new", data={**VICTIM, "email": BAD_EMAIL})
    assert refused.status_code in (200, 400) and "There is a problem" in refused.text
    added = web.post(f"/cases/{reference}/people/new", data=VICTIM)
    assert added.status_code == 302
    page = web.follow(added)
    person_id = int(re.search(r'href="/people/(\d+)"', page.text).group(1))

    # Assess the risk, raising the level with a reason.
    when = utcnow() - timedelta(minutes=5)
    assessed = assess(
        web.client, reference, person_id, when=when, answers=MEDIUM, override="high", reason=OVERRIDE_REASON
    )
    web.log.info(
        '127.0.0.1 - - "POST /cases/%s/victims/%s/risk-assessments/new HTTP/1.1" %s -',
        reference,
        person_id,
        assessed.status_code,
    )
    assert assessed.status_code == 302
    web.follow(assessed)

    # Notes, searches, the person page.
    assert web.post(f"/cases/{reference}/notes", data={"kind": "note", "body": NOTE}).status_code == 302
    assert LAST in web.post(f"/cases/{reference}/people/find", data={"name": LAST}).text
    listed = web.follow(web.post("/cases/search", data={"text": LAST}))
    assert reference in listed.text
    assert web.get(f"/people/{person_id}").status_code == 200

    # A 404, a 403 and an unexpected error whose message quotes personal data, as a
    # database error quotes its statement's parameters.
    assert web.get("/cases/ASB-1999-99999").status_code == 404
    assert web.get("/people/999999999").status_code == 404
    assert web.get("/admin/users").status_code == 403

    def broken(actor, person_id, **_ignored):
        db.session.execute(text("SELECT no_such_column FROM people WHERE last_name = :name"), {"name": LAST})

    monkeypatch.setattr(people_service, "person_page", broken)
    assert web.get(f"/people/{person_id}").status_code == 500

    captured = all_logs.getvalue()
    # The capture works: the requests, the refusal and the failure are all there.
    assert f"/cases/{reference}/notes" in captured
    assert "permission denied" in captured
    assert "unhandled error on people.detail" in captured and "Traceback" in captured
    leaked = [value for value in PERSONAL if value.lower() in captured.lower()]
    assert leaked == [], leaked


def test_a_log_line_from_sqlalchemy_at_info_is_not_written(all_logs, session):
    """SQLAlchemy logs statements and their parameters at INFO: held back whatever the level."""
    logging.getLogger("sqlalchemy.engine.Engine").info("[parameters: %s]", (LAST,))
    assert LAST not in all_logs.getvalue()


def test_an_exception_is_logged_with_where_but_not_its_message(all_logs, session):
    try:
        try:
            raise KeyError(FIRST)
        except KeyError as error:
            raise ValueError(f"could not parse {VICTIM['address']}") from error
    except ValueError:
        logging.getLogger("casework.errors").exception("unhandled error on %s", "cases.detail")
    captured = all_logs.getvalue()
    assert "builtins.ValueError (message withheld)" in captured
    assert "builtins.KeyError (message withheld)" in captured
    assert "test_logs_privacy.py" in captured  # where it happened is kept
    assert FIRST not in captured and "Wimbleforth" not in captured
