"""Every form that accepts POST, fed hostile input: never a 500, and a refused form
writes nothing.

For each POST route the test signs in as a user whose role may use it, on records of
that user's agency, reads the field names (and the values a user would send) from the
form on the page, and lets Hypothesis change them: strange unicode, NUL and control
characters, 100,000 characters, text where numbers, dates or ids belong, negative and
huge numbers, missing and repeated fields, other records' ids, stale or silly versions.

Unless the answer is a redirect (the app's way of saying "saved"), every table but
audit_events, browser_sessions and sign_in_failures must hold exactly what it held before. After a redirect the next page must
render what was saved.

More examples locally: CASEWORK_FUZZ_PROFILE=thorough .venv/bin/pytest tests/test_fuzz_forms.py
"""

import hashlib
import importlib
import os
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseStatus
from casework.clock import utcnow
from casework.db import Base
from casework.meetings.models import Meeting, MeetingKind
from casework.permissions import Role
from casework.policy import ENDPOINT_PERMISSIONS, ROLE_PERMISSIONS
from tests.factories import (
    PASSWORD,
    add_party,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_user,
)
from tests.support import routes

pytestmark = pytest.mark.both_databases

PROFILES = {
    # Reproducible in CI: the same examples every run, a few per route.
    "ci": dict(max_examples=12, derandomize=True),
    # Locally, to look harder: new examples each run.
    "thorough": dict(max_examples=300, derandomize=False),
}
PROFILE = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    **PROFILES[os.environ.get("CASEWORK_FUZZ_PROFILE", "ci")],
)

# Which role posts to each route: the first in this order whose permissions reach it.
ROLE_ORDER = [Role.PSG_CHAIR, Role.PSG_MEMBER, Role.LICENSING_OFFICER, Role.MANAGER, Role.ADMIN, Role.PARTNER]


@dataclass(frozen=True)
class Route:
    """How to fuzz one POST route: the page whose form posts to it (the route itself
    unless it only accepts POST) and, where the first role that may reach it is not the
    one that does the work, the role to use."""

    fields_from: str | None = None
    role: Role | None = None
    signed_out: bool = False
    query: str = ""  # the query string the page needs, with {names} from build_world
    ids: tuple[tuple[str, str], ...] = ()  # URL arguments taken from other records of the world
    form: str | None = None  # "module:Class" of a form no page shows at this point (after a search, mid-sign-in)
    # Saved, it answers with a page (200) instead of a redirect: what it shows once
    # (a temporary password, recovery codes) waits nowhere for a page after it.
    shown_in_the_answer: bool = False


# Every POST route. A new one fails test_every_post_route_is_fuzzed until added here.
ROUTES: dict[str, Route] = {
    "auth.sign_in": Route(signed_out=True),
    "auth.sign_out": Route(fields_from="main.home"),
    "auth.change_password": Route(),
    "auth.two_factor": Route(signed_out=True, form="casework.accounts.forms:TwoFactorForm"),
    "auth.two_factor_setup": Route(
        signed_out=True, form="casework.accounts.forms:TwoFactorSetupForm", shown_in_the_answer=True
    ),
    "auth.recovery_codes": Route(form="casework.accounts.forms:RegenerateRecoveryCodesForm", shown_in_the_answer=True),
    "auth.forgotten_password": Route(signed_out=True),
    "auth.reset_password": Route(signed_out=True),
    "admin.user_new": Route(),
    "admin.user_edit": Route(),
    "admin.user_deactivate": Route(fields_from="admin.user_edit"),
    "admin.user_reactivate": Route(fields_from="admin.user_edit", ids=(("user_id", "inactive_user_id"),)),
    "admin.user_sign_out_everywhere": Route(fields_from="admin.user_edit"),
    "admin.user_reset_two_factor": Route(fields_from="admin.user_edit", ids=(("user_id", "enrolled_user_id"),)),
    "admin.user_temporary_password": Route(shown_in_the_answer=True),
    "admin.agency_new": Route(),
    "admin.agency_edit": Route(),
    "cases.new": Route(),
    "cases.edit": Route(),
    "cases.add_note": Route(fields_from="cases.detail"),
    "cases.psg_review": Route(fields_from="cases.detail"),
    "cases.add_agency": Route(),
    "cases.close": Route(),
    "cases.reopen": Route(ids=(("reference", "closed_reference"),)),
    "cases.request_access": Route(),
    "access_requests.grant": Route(fields_from="access_requests.index"),
    "access_requests.decline": Route(),
    "cases.access_reason": Route(ids=(("reference", "restricted_reference"),)),
    "cases.search": Route(fields_from="cases.index"),
    "people.new": Route(),
    "people.find": Route(),
    "people.add_existing": Route(form="casework.people.forms:AddExistingPersonForm"),
    "victims.assess": Route(),
    "victims.record_conference": Route(),
    "victims.remove_party": Route(),
    "premises.move_status": Route(),
    "premises.record_incident": Route(),
    "premises.record_visit": Route(),
    "premises.record_hearing": Route(),
    "premises.change_accreditation": Route(),
    "actions.new": Route(query="case={reference}"),
    "actions.update": Route(fields_from="actions.detail"),
    "meetings.new": Route(),
    "meetings.generate_agenda": Route(fields_from="meetings.detail"),
    "meetings.move_item": Route(fields_from="meetings.detail"),
    "meetings.drop_item": Route(fields_from="meetings.detail"),
    "meetings.add_item": Route(),
    "meetings.attendance": Route(),
    "meetings.minutes": Route(),
    "meetings.new_decision": Route(),
    "meetings.finish": Route(),
    "notifications_admin.retry": Route(form="casework.notifications.forms:RetryForm"),
    "meetings.new_amendment": Route(ids=(("meeting_id", "finished_meeting_id"),)),
    "referrals.new": Route(),
    "referrals.accept": Route(fields_from="referrals.detail"),
    "referrals.decline": Route(fields_from="referrals.detail"),
    "plan.new_priority": Route(),
    "plan.edit_priority": Route(),
    "plan.new_action": Route(),
    "plan.edit_action": Route(),
    "plan.record_progress": Route(),
    "data_protection.legal_hold": Route(),
    "notification_preferences.edit": Route(),
    "notifications_inbox.mark_all_read": Route(form="casework.notifications.forms:MarkAllReadForm"),
}


def post_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_route_is_fuzzed(app):
    missing = post_endpoints(app) - ROUTES.keys()
    assert not missing, f"add these POST routes to ROUTES in {__name__}: {sorted(missing)}"


# --- The world: one agency's records, and a few of another agency's to tamper with ----


def build_world() -> tuple[dict[str, int | str], dict[Role, User], list[str]]:
    """The routes' world (tests/support/routes.py), with the records only forms need: a
    closed and a restricted case, an inactive and an enrolled user, a finished meeting,
    and records of ours and of another agency to tamper with."""
    world = routes.build_world(db.session)
    home = db.session.get(Agency, world.home_agency_id)
    users = {role: db.session.get(User, user_id) for role, user_id in world.users.items()}
    member, chair = users[Role.PSG_MEMBER], users[Role.PSG_CHAIR]
    case = db.session.scalar(sa.select(Case).where(Case.reference == world.args["reference"]))
    meeting = db.session.get(Meeting, world.args["meeting_id"])
    assert home and member and chair and case and meeting
    away = make_agency(name="Elsewhere Police")
    second_case = make_case(lead_agency=home, opened_by=member, title="Second case")
    second_person = make_person(created_by=member, first_name="Bea", last_name="Barton")
    add_party(case=second_case, person=second_person)
    stranger = make_user(agency=away)
    their_case = make_case(lead_agency=away, opened_by=stranger, restricted=True)
    their_person = make_person(created_by=stranger, first_name="Cy")
    add_party(case=their_case, person=their_person)
    make_agenda_item(meeting=meeting, position=2, topic="Summer nights")
    closed_case = make_case(lead_agency=home, opened_by=member, status=CaseStatus.CLOSED)
    restricted_case = make_case(lead_agency=home, opened_by=member, restricted=True)
    inactive = make_user(agency=home, active=False)
    enrolled = make_user(agency=home)
    enrolled.totp_secret, enrolled.totp_enrolled_at = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    finished = make_psg_meeting(
        chair=chair, held_at=utcnow() - timedelta(days=2), finished_at=utcnow() - timedelta(days=1)
    )
    make_agenda_item(meeting=finished, position=1, case=case)
    assert meeting.kind is MeetingKind.PSG_MEETING
    ids: dict[str, int | str] = {
        **world.args,
        "closed_reference": closed_case.reference,
        "inactive_user_id": inactive.id,
        "enrolled_user_id": enrolled.id,
        "restricted_reference": restricted_case.reference,
        "finished_meeting_id": finished.id,
    }
    # Ids a tampered form might carry: other records of ours, theirs, and none at all.
    tampered = [
        str(value)
        for value in (
            second_case.id,
            second_person.id,
            their_case.id,
            their_person.id,
            stranger.id,
            away.id,
            second_case.reference,
            their_case.reference,
            0,
            -1,
            2**31,
            2**63,
            10**40,
        )
    ]
    return ids, users, tampered


def role_for(endpoint: str, route: Route) -> Role:
    if route.role:
        return route.role
    needed = ENDPOINT_PERMISSIONS[endpoint]
    for role in ROLE_ORDER:
        if not needed or not needed.isdisjoint(ROLE_PERMISSIONS[role]):
            return role
    raise AssertionError(f"no role may post to {endpoint}")


def url_of(app: Flask, endpoint: str, ids: dict[str, int | str]) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    unknown = set(rule.arguments) - ids.keys()
    assert not unknown, f"{endpoint}: add {sorted(unknown)} to build_world"
    with app.test_request_context():
        return url_for(endpoint, **{name: ids[name] for name in rule.arguments})


# --- What the form looks like ----------------------------------------------------------


@dataclass
class Field:
    values: list[str]  # what the page would send (several for checkboxes ticked)
    options: list[str]  # the choices offered (select, radios, checkboxes)


class FormReader(HTMLParser):
    """The fields of the POST forms on a page whose action is ``target``."""

    def __init__(self, page_path: str, target: str) -> None:
        super().__init__()
        self.page_path, self.target = page_path, target
        self.fields: dict[str, Field] = {}
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.option: tuple[str, bool] | None = None

    def field(self, name: str) -> Field:
        return self.fields.setdefault(name, Field([], []))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_path).path
            self.in_form = (a.get("method") or "get").lower() == "post" and action == self.target
            return
        if not self.in_form or not (name := a.get("name")) and tag != "option":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                self.field(name).options.append(a.get("value") or "on")
                if "checked" in a:
                    self.field(name).values.append(a.get("value") or "on")
            else:
                self.field(name).values.append(a.get("value") or "")
        elif tag == "select":
            self.select = name
            self.field(name)
        elif tag == "option" and self.select:
            value = a.get("value") or ""
            self.field(self.select).options.append(value)
            if "selected" in a:
                self.field(self.select).values.append(value)
        elif tag == "textarea":
            self.textarea = name
            self.field(name).values.append("")

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea].values[-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_fields(client, page: str, target: str) -> dict[str, Field]:
    response = client.get(page)
    assert response.status_code == 200, f"GET {page} answered {response.status_code}"
    reader = FormReader(urlsplit(page).path, urlsplit(target).path)
    reader.feed(response.text)
    assert reader.fields, f"no form posting to {target} on {page}"
    return reader.fields


# --- What Hypothesis sends -------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\t\x0b\x0c\x1b[31m",
    "\u202eevil\u202c",
    "\ufeff",
    "😀" * 50,
    "Ω≈ç√∫",
    "'; DROP TABLE cases; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%s%n",
    "x" * 100_000,
    "\u00e9" * 40_000,
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "99999999999999999999999999",
    "9223372036854775808",
    "2147483648",
    "-2147483649",
    "3.5",
    "0x10",
    "1_000",
    "29/02/2023",
    "2023-02-30",
    "31",
    "13",
    "10000",
    "25:61",
    "24:00",
    "true",
    "None",
]


def values_for(field: Field, tampered: list[str]) -> st.SearchStrategy[list[str]]:
    one = st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=200),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(tampered),
        *([st.sampled_from(field.options)] if field.options else []),
    )
    return st.one_of(
        st.just(field.values),  # as the page would send it
        st.just(field.values),
        st.just([]),  # missing
        one.map(lambda value: [value]),
        st.lists(one, min_size=2, max_size=3),  # repeated
        *([st.lists(st.sampled_from(field.options), max_size=4)] if field.options else []),
    )


def submissions(fields: dict[str, Field], tampered: list[str]) -> st.SearchStrategy[MultiDict]:
    names = sorted(fields)
    return st.fixed_dictionaries({name: values_for(fields[name], tampered) for name in names}).map(
        lambda chosen: MultiDict([(name, value) for name in names for value in chosen[name]])
    )


# --- What is stored --------------------------------------------------------------------


# What a refused form keeps on purpose: its audit, the browser's session, and a wrong
# password's or code's count towards throttling.
KEPT_WHEN_REFUSED = frozenset({"audit_events", "browser_sessions", "sign_in_failures"})


def watched_tables() -> list[sa.Table]:
    return [table for table in Base.metadata.sorted_tables if table.name not in KEPT_WHEN_REFUSED]


def snapshot() -> dict[str, tuple[int, str]]:
    """Rows and a digest of the content of every table but those a refusal may add to."""
    state = {}
    connection = db.session.connection()
    for table in watched_tables():
        rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        state[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    db.session.remove()
    return state


class Writes:
    """A count of the rows written to the watched tables on the test's connection (every
    statement the app sends goes through it), read in one statement: when it has not moved,
    nothing was written and the tables need not be compared.

    SQLite: temporary triggers on each table count inserts, updates and deletes into a
    temporary table; the count lives in the same transaction as the write, so a write
    rolled back takes its count with it. PostgreSQL: the rows the current transaction has
    inserted, updated and deleted in each table (``pg_stat_xact_user_tables``), which only
    grow, even when a savepoint is rolled back; a moved count there is checked by the
    comparison."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        names = [table.name for table in watched_tables()]
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("CREATE TEMP TABLE fuzz_writes (n INTEGER NOT NULL)")
            connection.exec_driver_sql("INSERT INTO temp.fuzz_writes VALUES (0)")
            for name in names:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    connection.exec_driver_sql(
                        f'CREATE TEMP TRIGGER "fuzz_{event}_{name}" AFTER {event} ON main."{name}" '
                        "BEGIN UPDATE fuzz_writes SET n = n + 1; END"
                    )
            self.query = sa.text("SELECT n FROM temp.fuzz_writes")
        else:
            self.query = sa.text(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
                " WHERE schemaname = current_schema() AND relname = ANY(:names)"
            ).bindparams(names=names)

    def count(self) -> int:
        return int(self.connection.execute(self.query).scalar_one())


def test_the_write_count_moves_with_every_kind_of_write_but_not_for_what_a_refusal_keeps(app, session):
    """The hostile-input test compares the tables only when this count moves."""
    writes = Writes(db.session.get_bind())
    agencies = Agency.__table__

    def moves(statement: sa.Executable) -> bool:
        before = writes.count()
        db.session.execute(statement)
        return writes.count() != before

    assert moves(sa.insert(agencies).values(id=7001, name="Written", kind=AgencyKind.POLICE, statutory=True))
    assert moves(sa.update(agencies).where(agencies.c.id == 7001).values(name="Written again"))
    assert moves(sa.delete(agencies).where(agencies.c.id == 7001))
    assert not moves(sa.insert(AuditEvent.__table__).values(verb="case.viewed", object_type="case"))
    assert not moves(sa.select(agencies))


def describe(data: MultiDict) -> str:
    shown = [(k, v if len(v) < 60 else f"{v[:20]!r}...({len(v)} chars)") for k, v in data.items(multi=True)]
    return repr(shown)


def prepare(app: Flask, endpoint: str) -> tuple[User | None, str, dict[str, Field], list[str]]:
    """The world, the user who posts, the URL, the form's fields and ids to tamper with."""
    route = ROUTES[endpoint]
    ids, users, tampered = build_world()
    ids = {**ids, **{argument: ids[record] for argument, record in route.ids}}
    user = None if route.signed_out else users[role_for(endpoint, route)]
    target = url_of(app, endpoint, ids) + ("?" + route.query.format(**ids) if route.query else "")
    page = url_of(app, route.fields_from, ids) if route.fields_from else target
    if route.form:
        module, _, name = route.form.partition(":")
        with app.test_request_context():
            form = getattr(importlib.import_module(module), name)()
            fields = {field.name: Field([], []) for field in form if field.type != "SubmitField"}
    else:
        fields = form_fields(app.test_client(user=user), page, target)
    if endpoint == "auth.sign_in":
        fields.setdefault("email", Field([users[Role.PSG_MEMBER].email], []))
        fields.setdefault("password", Field([PASSWORD], []))
    return user, target, fields, tampered


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_hostile_form_input(app, session, endpoint):
    assert endpoint in post_endpoints(app), f"{endpoint} takes no POST: take it out of ROUTES"
    user, target, fields, tampered = prepare(app, endpoint)
    connection = db.session.get_bind()
    writes = Writes(connection)

    @PROFILE
    @given(data=submissions(fields, tampered))
    def post(data: MultiDict) -> None:
        example = connection.begin_nested()  # undone after each example
        try:
            written = writes.count()
            client = app.test_client(user=user)
            try:
                response = client.post(target, data=data)
            except Exception as error:  # the app must turn every bad input into a page
                raise AssertionError(f"{endpoint} raised {error!r} for {describe(data)}") from error
            db.session.remove()
            assert response.status_code < 500, f"{endpoint} answered {response.status_code} for {describe(data)}"
            if response.status_code in (302, 303):
                following = client.get(response.location)
                assert following.status_code < 500, f"{response.location} after {endpoint}: {describe(data)}"
                return
            if response.status_code == 200 and ROUTES[endpoint].shown_in_the_answer:
                return  # saved, and what it made shown in the answer
            if writes.count() == written:
                return  # nothing written
            # Something was written: compare every table with what it held before, which
            # rolling back to the example's savepoint brings back.
            after = snapshot()
            example.rollback()
            before = snapshot()
            changed = {name: (before[name][0], after[name][0]) for name in before if before[name] != after[name]}
            assert not changed, f"{endpoint} answered {response.status_code} but wrote {changed} for {describe(data)}"
        finally:
            db.session.remove()
            if example.is_active:
                example.rollback()

    post()


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_a_nul_character_in_any_field_is_refused_cleanly(app, session, endpoint):
    """PostgreSQL cannot store NUL in text, so one typed into (or pasted into, or forged
    in) any field must be refused as bad input, not reach the database. Each field in
    turn, the rest as the page would send them."""
    assert endpoint in post_endpoints(app), f"{endpoint} takes no POST: take it out of ROUTES"
    user, target, fields, _tampered = prepare(app, endpoint)
    connection = db.session.get_bind()
    failures = []
    for poisoned in sorted(fields):
        data = MultiDict(
            [
                (name, value)
                for name, field in fields.items()
                for value in (field.values if name != poisoned else [(field.values or ["x"])[0] + "\x00"])
            ]
        )
        example = connection.begin_nested()
        try:
            response = app.test_client(user=user).post(target, data=data)
            if response.status_code >= 500:
                failures.append(poisoned)
        except Exception as error:
            failures.append(f"{poisoned}: {error!r:.100}")
        finally:
            db.session.remove()
            example.rollback()
    assert not failures, f"{endpoint}: NUL in {failures}"
