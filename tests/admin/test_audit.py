"""The audit log: who may read it, how it is searched, and that it is append-only and
written in the same transaction as the change it records."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict

from casework import db
from casework.accounts.models import User
from casework.accounts.services import users
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.permissions import Role
from tests import factories
from tests.factories import add_party, make_agency, make_case, make_note, make_person, make_user

pytestmark = pytest.mark.both_databases

AUDIT_READERS = [Role.ADMIN, Role.MANAGER]
NOT_AUDIT_READERS = [role for role in Role if role not in AUDIT_READERS]


@pytest.fixture
def home(session):
    return make_agency()


@pytest.fixture
def manager(home):
    return make_user(role=Role.MANAGER, agency=home)


@pytest.fixture
def as_manager(client_as, manager):
    return client_as(manager)


def make_event(*, verb, actor=None, at=None, case=None, person=None):
    event = AuditEvent(
        verb=verb,
        object_type="test",
        object_id=None,
        actor_id=actor.id if actor else None,
        case_id=case.id if case else None,
        person_id=person.id if person else None,
        at=at or utcnow(),
    )
    db.session.add(event)
    db.session.commit()
    return event


def verbs_shown(html):
    """The verbs listed on the page, top to bottom."""
    return re.findall(r"<code[^>]*>([^<]+)</code>", html)


def date_query(name, day):
    return [(name, part) for part in (str(day.day), str(day.month), str(day.year))] if day else []


def all_audit_rows():
    return {
        row.id: (
            row.at,
            row.actor_id,
            row.verb,
            row.object_type,
            row.object_id,
            row.case_id,
            row.person_id,
            row.detail,
            row.ip,
            row.request_id,
        )
        for row in db.session.scalars(select(AuditEvent))
    }


# --- Who may ------------------------------------------------------------------------


@pytest.mark.parametrize("role", AUDIT_READERS)
def test_admins_and_managers_read_the_audit_log(client_as, home, role):
    make_event(verb="case.viewed")
    response = client_as(make_user(role=role, agency=home)).get("/admin/audit")
    assert response.status_code == 200
    assert "Audit log" in response.text
    assert "case.viewed" in verbs_shown(response.text)


def test_each_event_reads_in_plain_english_beside_its_verb(client_as, home):
    make_event(verb="case.viewed")
    response = client_as(make_user(role=Role.ADMIN, agency=home)).get("/admin/audit")
    assert "Viewed case" in response.text


@pytest.mark.parametrize("role", NOT_AUDIT_READERS)
def test_nobody_else_reads_the_audit_log(client_as, home, role):
    make_event(verb="case.viewed")
    response = client_as(make_user(role=role, agency=home)).get("/admin/audit")
    assert response.status_code == 403
    assert "case.viewed" not in response.text


# --- Searching ----------------------------------------------------------------------


def test_newest_first(as_manager):
    now = utcnow()
    make_event(verb="first.event", at=now - timedelta(hours=2))
    make_event(verb="third.event", at=now)
    make_event(verb="second.event", at=now - timedelta(hours=1))
    shown = [verb for verb in verbs_shown(as_manager.get("/admin/audit").text) if verb.endswith(".event")]
    assert shown == ["third.event", "second.event", "first.event"]


def test_filter_by_user(as_manager, home):
    alice, bob = make_user(agency=home, name="Alice Ash"), make_user(agency=home, name="Bob Birch")
    make_event(verb="alice.did", actor=alice)
    make_event(verb="bob.did", actor=bob)
    page = as_manager.get("/admin/audit", query_string={"user": alice.id}).text
    assert "alice.did" in verbs_shown(page)
    assert "bob.did" not in verbs_shown(page)
    assert "1 event" in page


def test_user_filter_lists_deactivated_accounts_too(as_manager, home):
    make_user(agency=home, name="Gone Person", active=False)
    assert "Gone Person" in as_manager.get("/admin/audit").text


def test_filter_by_case_reference_in_any_case(as_manager, home):
    wanted, other = make_case(lead_agency=home), make_case(lead_agency=home)
    make_event(verb="wanted.case", case=wanted)
    make_event(verb="other.case", case=other)
    page = as_manager.get("/admin/audit", query_string={"case": f" {wanted.reference.lower()} "}).text
    assert verbs_shown(page) == ["wanted.case"]
    assert wanted.reference in page


def test_filter_by_person_number(as_manager, manager):
    wanted, other = make_person(created_by=manager), make_person(created_by=manager, first_name="Ben")
    make_event(verb="wanted.person", person=wanted)
    make_event(verb="other.person", person=other)
    page = as_manager.get("/admin/audit", query_string={"person": str(wanted.id)}).text
    assert verbs_shown(page) == ["wanted.person"]


def test_filters_combine(as_manager, home):
    alice, bob = make_user(agency=home), make_user(agency=home)
    case = make_case(lead_agency=home)
    make_event(verb="alice.on.case", actor=alice, case=case)
    make_event(verb="bob.on.case", actor=bob, case=case)
    make_event(verb="alice.elsewhere", actor=alice)
    page = as_manager.get("/admin/audit", query_string={"user": alice.id, "case": case.reference}).text
    assert verbs_shown(page) == ["alice.on.case"]


@pytest.mark.parametrize("typed", ["Ada Ashdown", "²", "٣", "-4", "99999999999"])
def test_non_numeric_person_number_gets_a_field_error(as_manager, typed):
    response = as_manager.get("/admin/audit", query_string={"person": typed})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Person number must be a number, like 1042" in response.text
    assert f'value="{typed}"' in response.text


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2026"), "From must be a real date"),
        (("1", "13", "2026"), "From must be a real date"),
        (("x", "y", "z"), "From must be a real date"),
        (("1", "", "2026"), "From must include a day, month and year"),
    ],
)
def test_impossible_date_gets_a_field_error_not_a_crash(as_manager, parts, message):
    query = MultiDict([("date_from", part) for part in parts])
    response = as_manager.get("/admin/audit", query_string=query)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert message in response.text
    assert 'href="#date_from-day"' in response.text


def test_dates_are_days_in_london(as_manager):
    """00:30 on 1 July in London is 23:30 on 30 June in UTC."""
    make_event(verb="late.on.june.30.utc", at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    make_event(verb="early.on.june.30.utc", at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    make_event(verb="late.on.july.1.utc", at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    make_event(verb="winter.evening", at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))

    def shown(start, end):
        query = MultiDict(date_query("date_from", start) + date_query("date_to", end))
        response = as_manager.get("/admin/audit", query_string=query)
        assert response.status_code == 200
        return set(verbs_shown(response.text))

    july_1 = datetime(2026, 7, 1).date()
    june_30 = datetime(2026, 6, 30).date()
    assert shown(july_1, july_1) == {"late.on.june.30.utc"}
    assert shown(june_30, june_30) == {"early.on.june.30.utc"}
    assert shown(june_30, july_1) == {"early.on.june.30.utc", "late.on.june.30.utc"}
    assert shown(datetime(2026, 1, 15).date(), datetime(2026, 1, 15).date()) == {"winter.evening"}
    assert "winter.evening" not in shown(datetime(2026, 1, 16).date(), None)
    assert shown(None, datetime(2026, 1, 15).date()) == {"winter.evening"}


def older_link(html):
    found = re.search(r'href="(/admin/audit\?[^"]*older_than=[0-9]+[^"]*)"', html)
    return found and found.group(1).replace("&amp;", "&")


def newer_link(html):
    found = re.search(r'href="(/admin/audit\?[^"]*newer_than=[0-9]+[^"]*)"', html)
    return found and found.group(1).replace("&amp;", "&")


def test_pages(app, as_manager, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_EVENTS_PER_PAGE", 3)
    start = utcnow() - timedelta(days=1)
    for number in range(7):
        make_event(verb=f"event.{number}", at=start + timedelta(minutes=number))
    first = as_manager.get("/admin/audit").text
    assert "7 events, newest first" in first
    assert verbs_shown(first) == ["event.6", "event.5", "event.4"]
    assert newer_link(first) is None
    second = as_manager.get(older_link(first)).text
    assert verbs_shown(second) == ["event.3", "event.2", "event.1"]
    third = as_manager.get(older_link(second)).text
    assert verbs_shown(third) == ["event.0"] and older_link(third) is None
    back = as_manager.get(newer_link(third)).text
    assert verbs_shown(back) == ["event.3", "event.2", "event.1"]
    top = as_manager.get(newer_link(back)).text
    assert verbs_shown(top) == ["event.6", "event.5", "event.4"] and newer_link(top) is None
    # Nonsense in the links, and the page numbers of old links, give the newest events.
    for query in ("page=2", "older_than=abc", "newer_than=-1", "older_than=0", "page=abc"):
        response = as_manager.get(f"/admin/audit?{query}")
        assert response.status_code == 200
        assert verbs_shown(response.text) == ["event.6", "event.5", "event.4"]


def test_pages_of_events_at_the_same_instant_skip_and_repeat_nothing(app, manager):
    """Events recorded at the same instant (a batch, or times as stored to the second),
    across every page edge, newer events arriving meanwhile: reading older pages one
    after the other, and then newer ones back, gives each event once, in order."""
    instant = utcnow() - timedelta(hours=1)
    for number in range(11):
        make_event(verb=f"event.{number}", at=instant + timedelta(seconds=number // 4))
    for per_page in (1, 2, 3, 4, 5, 50):
        expected = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())))
        read, page = [], audit.search_events(manager, audit.AuditFilter(), per_page=per_page)
        read += [shown.id for shown in page.items]
        make_event(verb="arrived.meanwhile")  # newer than all: never on an older page
        while page.older:
            page = audit.search_events(manager, audit.AuditFilter(), per_page=per_page, older_than=page.items[-1].id)
            read += [shown.id for shown in page.items]
        assert read == expected
        back = [shown.id for shown in page.items]
        while page.newer:
            page = audit.search_events(manager, audit.AuditFilter(), per_page=per_page, newer_than=page.items[0].id)
            back = [shown.id for shown in page.items] + back
        newest = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
        # The first page was read before the last event arrived; any later page shows it.
        assert back == (list(newest) if len(expected) > per_page else expected)


def test_the_count_stops_at_the_limit_unless_filtered_by_case_or_person(app, as_manager, home, manager, monkeypatch):
    monkeypatch.setattr(audit, "COUNT_LIMIT", 4)
    case, person = make_case(lead_agency=home), make_person(created_by=manager)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for number in range(6):
        make_event(verb=f"case.event.{number}", case=case, person=person)
    assert before + 6 > 4
    assert "More than 4 events, newest first" in as_manager.get("/admin/audit").text
    assert "More than 4 events" in as_manager.get("/admin/audit?kind=cases").text
    of_case = db.session.scalar(select(func.count()).where(AuditEvent.case_id == case.id))
    of_person = db.session.scalar(select(func.count()).where(AuditEvent.person_id == person.id))
    assert of_case >= 6 and of_person >= 6
    shown_text = as_manager.get(f"/admin/audit?case={case.reference}").text
    assert f"{of_case} events, newest first" in shown_text, re.findall(
        r"role=\"status\">[^<]*<", shown_text
    ) + re.findall("govuk-error-message[^<]*<[^<]*<[^<]*", shown_text)
    assert f"{of_person} events, newest first" in as_manager.get(f"/admin/audit?person={person.id}").text
    monkeypatch.setattr(audit, "COUNT_LIMIT", 6)
    assert "6 events, newest first" in as_manager.get("/admin/audit?kind=cases").text


def test_paging_keeps_the_filters(app, as_manager, home, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_EVENTS_PER_PAGE", 1)
    alice = make_user(agency=home)
    make_event(verb="alice.1", actor=alice)
    make_event(verb="alice.2", actor=alice)
    make_event(verb="someone.else")
    page = as_manager.get("/admin/audit", query_string={"user": alice.id}).text
    assert "2 events, newest first" in page and verbs_shown(page) == ["alice.2"]
    assert f"user={alice.id}" in older_link(page)
    second = as_manager.get(older_link(page)).text
    assert verbs_shown(second) == ["alice.1"] and older_link(second) is None


def test_paging_keeps_every_part_of_a_date_filter(app, as_manager, monkeypatch):
    """A date is sent as day, month and year under one name: page 2 keeps all three."""
    monkeypatch.setitem(app.config, "AUDIT_EVENTS_PER_PAGE", 1)
    make_event(verb="early.1", at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    make_event(verb="early.2", at=datetime(2026, 3, 3, 12, tzinfo=UTC))
    make_event(verb="too.early", at=datetime(2026, 2, 1, 12, tzinfo=UTC))
    page = as_manager.get(
        "/admin/audit", query_string=[("date_from", "1"), ("date_from", "3"), ("date_from", "2026")]
    ).text
    assert "date_from=1&amp;date_from=3&amp;date_from=2026" in page


# --- Append-only and transactional --------------------------------------------------


def test_earlier_audit_rows_never_change(app, client_as, client, home, manager):
    """A sequence of ordinary work, including deactivating an actor: every row that was
    there before is still there, unchanged, and new rows only ever add to the end."""
    admin = make_user(role=Role.ADMIN, agency=home)
    member = make_user(role=Role.PSG_MEMBER, agency=home)
    case = make_case(lead_agency=home, opened_by=member)
    person = make_person(created_by=member)
    add_party(case=case, person=person)
    make_note(case=case, author=member)
    member_id, member_version, reference, person_id = member.id, member.version, case.reference, person.id
    as_member, as_admin = client_as(member), client_as(admin)
    as_member.get(f"/cases/{reference}")
    as_member.get(f"/people/{person_id}")
    client.post("/sign-in", data={"email": member.email, "password": "not the password!"})
    before = all_audit_rows()
    assert len(before) >= 3

    client.post("/sign-in", data={"email": member.email, "password": factories.PASSWORD})
    as_member.post(f"/cases/{reference}/notes", data={"kind": "note", "body": "Called the victim."})
    as_member.get(f"/cases/{reference}")
    as_admin.post("/admin/agencies/new", data={"name": "New Partner", "kind": "other"})
    as_admin.post(f"/admin/users/{member_id}/deactivate", data={"version": member_version})
    as_admin.get("/admin/audit")
    client_as(manager).get("/admin/audit", query_string={"case": reference})

    after = all_audit_rows()
    assert {key: after[key] for key in before} == before
    assert len(after) > len(before) + 3
    assert min(set(after) - set(before)) > max(before)


def test_a_failure_after_the_audit_is_written_leaves_neither(session, home):
    """The audit event and the change are one transaction: roll back, and both go."""
    admin = make_user(role=Role.ADMIN, agency=home)
    users_before = db.session.scalar(select(func.count(User.id)))
    events_before = db.session.scalar(select(func.count(AuditEvent.id)))
    users.create_user(
        admin,
        email="new@example.test",
        name="New",
        agency_id=home.id,
        role=Role.PSG_MEMBER,
        password="a long temporary passphrase",
    )
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before + 1  # recorded, not yet committed
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == users_before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before


def test_a_view_that_fails_after_the_service_stores_nothing(as_admin_with_failing_commit_step, home):
    browser, failing = as_admin_with_failing_commit_step
    users_before = db.session.scalar(select(func.count(User.id)))
    events_before = db.session.scalar(select(func.count(AuditEvent.id)))
    response = browser.post(
        "/admin/users/new",
        data={
            "name": "New",
            "email": "new@example.test",
            "agency_id": home.id,
            "role": "psg_member",
            "password": "a long temporary passphrase",
        },
    )
    assert failing.called
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert db.session.scalar(select(func.count(User.id))) == users_before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before


@pytest.fixture
def as_admin_with_failing_commit_step(client_as, home, monkeypatch):
    """The real create_user runs (and records its audit event), then the request fails
    before the view commits, as an unexpected error would."""
    real = users.create_user

    class Failing:
        called = False

        def __call__(self, *args, **kwargs):
            real(*args, **kwargs)
            Failing.called = True
            raise RuntimeError("failure after the service, before the commit")

    monkeypatch.setattr(users, "create_user", Failing())
    return client_as(make_user(role=Role.ADMIN, agency=home)), Failing


def test_audit_record_carries_the_request(client, session):
    """Each event names the request (an id of the app's own) and the client address."""
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "auth.signed_in"))
    assert event.request_id == response.headers["X-Request-Id"]
    assert uuid.UUID(event.request_id)
    assert event.ip == "127.0.0.1"


def test_a_request_id_sent_by_a_client_does_not_reach_the_audit(client, session):
    user = make_user()
    forged = "forged-id-123"
    response = client.post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD}, headers={"X-Request-Id": forged}
    )
    assert response.headers["X-Request-Id"] != forged
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == user.id)))
    assert events and all(event.request_id == response.headers["X-Request-Id"] for event in events)
    assert forged not in {event.request_id for event in db.session.scalars(select(AuditEvent))}


@pytest.mark.parametrize(
    ("sent", "taken"),
    [
        ("4f6c1a2b9d41e04bd4749b44eeb19b3d", True),
        ("req-123", True),
        ("two words", False),
        ("id;drop", False),
        ("x" * 37, False),
        ("", False),
    ],
)
def test_behind_a_trusted_proxy_its_request_id_is_kept(app, client, session, monkeypatch, sent, taken):
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    user = make_user()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD}, headers={"X-Request-Id": sent}
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "auth.signed_in"))
    assert event.request_id == response.headers["X-Request-Id"]
    assert (event.request_id == sent) is taken


# --- Names, not ids ----------------------------------------------------------------------


def event_with(*, verb, detail, object_type="test", object_id=None, case=None):
    event = AuditEvent(
        verb=verb, object_type=object_type, object_id=object_id, case_id=case.id if case else None, detail=detail
    )
    db.session.add(event)
    db.session.commit()
    return event


def detail_cells(html):
    """The Detail column of the log, row by row, as text."""
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    cells = [re.findall(r'<td class="govuk-table__cell"[^>]*>(.*?)</td>', row, re.S) for row in rows]
    return [re.sub(r"\s+", " ", cell[-1].replace("<br>", " | ")).strip() for cell in cells if cell]


def record_cells(html):
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    cells = [re.findall(r'<td class="govuk-table__cell"[^>]*>(.*?)</td>', row, re.S) for row in rows]
    return [cell[3].strip() for cell in cells if cell]


def test_a_new_user_reads_with_their_agency_by_name(client_as, home):
    admin = make_user(role=Role.ADMIN, agency=home)
    police = make_agency(name="Cambridgeshire Constabulary")
    as_admin = client_as(admin)
    response = as_admin.post(
        "/admin/users/new",
        data={
            "name": "Pat Constable",
            "email": "pat@example.test",
            "agency_id": police.id,
            "role": "psg_member",
            "password": "a long temporary passphrase",
        },
    )
    assert response.status_code == 302
    page = as_admin.get("/admin/audit", query_string={"kind": "admin"}).text
    assert "role: psg_member; agency: Cambridgeshire Constabulary" in detail_cells(page)[0]
    assert record_cells(page)[0] == "user Pat Constable"
    assert "agency_id" not in page


def test_ids_in_every_shape_read_as_names(as_manager, home, manager):
    council, police, fire = home, make_agency(name="Constabulary"), make_agency(name="Fire and Rescue")
    officer = make_user(agency=home, name="Olive Officer")
    case = make_case(lead_agency=home)
    event_with(verb="meeting.attendance_recorded", detail={"present": [council.id, police.id], "apologies": [fire.id]})
    event_with(verb="user.updated", detail={"agency_id": {"from": council.id, "to": police.id}})
    event_with(verb="case.updated", detail={"lead_officer_id": {"from": None, "to": officer.id}}, case=case)
    event_with(verb="action.created", detail={"case_id": case.id, "agency": "Constabulary", "due_on": "2026-12-24"})
    event_with(verb="case.agency_added", detail={"agency_id": 999_999})
    shown = detail_cells(as_manager.get("/admin/audit").text)
    assert shown[:5] == [
        "agency: agency 999999",  # no such agency: the id, said as such
        f"case: {case.reference}; agency: Constabulary; due on: 2026-12-24",
        "lead officer: from none to Olive Officer",
        f"agency: from {council.name} to Constabulary",
        f"present: {council.name}, Constabulary; apologies: Fire and Rescue",
    ]


def test_the_log_sends_as_many_queries_for_many_events_as_for_few(app, client_as, home, manager):
    from tests.support.queries import LIST_BUDGET, assert_same_queries, page_queries

    browser = client_as(manager)

    def add_events(numbers):
        for number in numbers:
            agency = make_agency(name=f"Partner agency {number}")
            user = make_user(agency=agency, name=f"Person {number}")
            case = make_case(lead_agency=agency)
            event_with(verb="user.created", object_type="user", object_id=user.id, detail={"agency_id": agency.id})
            event_with(verb="meeting.attendance_recorded", detail={"present": [agency.id, home.id]})
            event_with(verb="action.created", detail={"case_id": case.id}, case=case)
            event_with(verb="case.updated", detail={"lead_officer_id": {"from": None, "to": user.id}}, case=case)

    add_events(range(2))
    _few_page, few = page_queries(app, browser, "/admin/audit")
    add_events(range(2, 12))
    many_page, many = page_queries(app, browser, "/admin/audit")
    assert "Partner agency 9" in many_page and "Person 9" in many_page
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


# --- By kind of event --------------------------------------------------------------------------


def test_filter_by_kind_of_event(as_manager, home):
    for verb in ("auth.signed_in", "auth.sign_in_failed", "case.viewed", "note.added", "premises.visit_recorded"):
        make_event(verb=verb)
    make_event(verb="authority.made_up")  # "auth" is a kind only as the whole first part

    def shown(kind):
        response = as_manager.get("/admin/audit", query_string={"kind": kind})
        assert response.status_code == 200
        return set(verbs_shown(response.text))

    assert shown("sign_in") == {"auth.signed_in", "auth.sign_in_failed"}
    assert shown("cases") == {"case.viewed", "note.added"}
    assert shown("premises") == {"premises.visit_recorded"}
    assert shown("not_sign_in") == {"case.viewed", "note.added", "premises.visit_recorded", "authority.made_up"}
    assert shown("") >= {"auth.signed_in", "case.viewed"}


def test_the_kind_filter_is_read_through_the_verb_index(app, manager):
    for verb in ("auth.signed_in", "case.viewed", "premises.visit_recorded", "risk_matrix.loaded"):
        make_event(verb=verb)
    sent = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "verb" in statement:
            sent.append((statement, parameters))

    engine = app.extensions["casework.engine"]
    event.listen(engine, "before_cursor_execute", keep)
    try:
        found = audit.search_events(manager, audit.AuditFilter(kind="risk"), per_page=50)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [shown.verb for shown in found.items] == ["risk_matrix.loaded"]
    assert len(sent) == 2  # the count and the page

    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a table of a few rows is read whole
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    count_plan, page_plan = (
        " ".join(str(row) for row in connection.exec_driver_sql(explain + statement, parameters))
        for statement, parameters in sent
    )
    assert "ix_audit_events_verb_at" in count_plan, count_plan
    # SQLite's LIKE ignores case, so it finds no prefix in an index: its page is read
    # newest first, each event checked until the page is full (docs/performance.md).
    assert re.search(r"\bix_audit_events_at\b" if sqlite else r"\bix_audit_events_verb_at\b", page_plan), page_plan


def test_the_kind_filter_lists_every_kind_and_keeps_the_choice(as_manager):
    page = as_manager.get("/admin/audit", query_string={"kind": "not_sign_in"}).text
    assert '<option value="not_sign_in" selected>Everything but signing in and out</option>' in page
    assert '<option value="meetings">Meetings</option>' in page


def test_an_unknown_kind_gets_a_field_error(as_manager):
    response = as_manager.get("/admin/audit", query_string={"kind": "everything"})
    assert response.status_code == 400
    assert "Select a kind of event from the list" in response.text
    assert 'href="#kind"' in response.text
