"""A premises' timeline: the premises page shows the latest entries and how many there
are, and the timeline's own page goes through all of them by key, newest first, with
entries of every kind at the same instant (a hearing's midday included) each shown once,
in one order, whichever way the pages are followed."""

import html
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.actions.models import ActionUpdate
from casework.audit.models import AuditEvent
from casework.clock import local_date, utcnow
from casework.permissions import Role
from casework.premises.models import (
    AccreditationChange,
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    PremisesIncident,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
)
from casework.premises.services import premises_timeline
from casework.premises.services.premises_timeline import TimelineKey, local_midday
from tests.factories import make_action, make_agency, make_case, make_premises, make_user
from tests.support.queries import assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases

# At one instant, the kinds come in this order (newest first).
ORDER = ("status", "incident", "visit", "hearing", "accreditation", "action", "action_update")
MARK = re.compile(r'casework-preserve-lines">(m[0-9]+)</p>')


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(premises_timeline, "TIMELINE_SHOWN", 4)
    monkeypatch.setattr(premises_timeline, "TIMELINE_PER_PAGE", 3)


@pytest.fixture
def officer():
    return make_user(role=Role.LICENSING_OFFICER, agency=make_agency(name="Fenland District Council"))


@pytest.fixture
def busy(officer):
    """A premises with entries of every kind, most of them at one instant (a local
    midday, so a hearing's time is that instant too), and the order they must come in."""
    premises = make_premises(status=TlsStatus.AMBER)
    police = make_agency(name="Constabulary")
    noon = local_midday(local_date(utcnow()) - timedelta(days=10)).astimezone(utcnow().tzinfo)
    expected: list[tuple[datetime, int, int, str]] = []
    marks = iter(range(1, 1000))

    def add(kind: str, at: datetime, make) -> None:
        mark = f"m{next(marks)}"
        row = make(mark)
        db.session.add(row)
        db.session.flush()
        expected.append((at, -ORDER.index(kind), row.id, mark))

    def incident(at: datetime):
        return lambda mark: PremisesIncident(
            premises_id=premises.id,
            occurred_at=at,
            reporting_agency_id=police.id,
            source=IncidentSource.POLICE,
            category=IncidentCategory.DISORDER,
            severity=IncidentSeverity.LOW,
            description=mark,
            recorded_by_id=officer.id,
        )

    def visit(at: datetime):
        return lambda mark: PremisesVisit(
            premises_id=premises.id, kind=VisitKind.COMPLIANCE, notes=mark, officer_id=officer.id, visited_at=at
        )

    def hearing(day):
        return lambda mark: LicensingHearing(
            premises_id=premises.id,
            kind=HearingKind.REVIEW,
            held_on=day,
            outcome=HearingOutcome.NO_ACTION,
            notes=mark,
            recorded_by_id=officer.id,
        )

    for _ in range(4):
        add("incident", noon, incident(noon))
    for offset in (timedelta(hours=-1), timedelta(hours=-1), timedelta(seconds=1)):
        add("incident", noon + offset, incident(noon + offset))
    for _ in range(2):
        add("visit", noon, visit(noon))
    add("hearing", noon, hearing(local_date(noon)))
    add("hearing", noon, hearing(local_date(noon)))
    add("hearing", noon - timedelta(days=1), hearing(local_date(noon) - timedelta(days=1)))
    add(
        "status",
        noon,
        lambda mark: PremisesStatusChange(
            premises_id=premises.id,
            from_status=TlsStatus.GREEN,
            to_status=TlsStatus.AMBER,
            reason=mark,
            officer_id=officer.id,
            at=noon,
        ),
    )
    add(
        "accreditation",
        noon,
        lambda mark: AccreditationChange(
            premises_id=premises.id,
            field=AccreditationField.THUMBS_UP,
            value=True,
            reason=mark,
            officer_id=officer.id,
            at=noon,
        ),
    )
    db.session.commit()
    action = make_action(agency=officer.agency, created_by=officer, premises=premises)
    action.created_at, action.detail = noon, "m900"
    expected.append((noon, -ORDER.index("action"), action.id, "m900"))
    update = ActionUpdate(action_id=action.id, author_id=officer.id, at=noon, note="m901")
    db.session.add(update)
    db.session.flush()
    expected.append((noon, -ORDER.index("action_update"), update.id, "m901"))
    db.session.commit()
    # Newest first: later time, then the kind that comes first, then the higher id.
    order = [mark for *_, mark in sorted(expected, key=lambda row: row[:3], reverse=True)]
    return premises, order


def marks(page: str) -> list[str]:
    return MARK.findall(page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def test_the_page_shows_the_latest_entries_and_how_many_more(client_as, officer, busy, small_pages):
    premises, order = busy
    page = client_as(officer).get(f"/premises/{premises.id}").text
    assert marks(page) == order[:4]
    assert f"The latest 4 of {len(order)} entries, newest first." in page
    assert f"And {len(order) - 4} older entries." in page
    assert f'href="/premises/{premises.id}/timeline"' in page


def test_a_short_timeline_is_shown_whole(client_as, officer, busy):
    premises, order = busy
    page = client_as(officer).get(f"/premises/{premises.id}").text
    assert marks(page) == order
    assert "older entries" not in page and "The latest" not in page


def test_the_whole_timeline_pages_back_and_forth_with_nothing_skipped_or_repeated(
    client_as, officer, busy, small_pages
):
    premises, order = busy
    client = client_as(officer)
    url: str | None = f"/premises/{premises.id}/timeline"
    pages: list[list[str]] = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages.append(marks(page.text))
        url, last = link(page.text, "next"), page.text
    assert [mark for shown in pages for mark in shown] == order
    assert [len(shown) for shown in pages[:-1]] == [3] * (len(pages) - 1)
    url, back = link(last, "prev"), []
    while url:
        page = client.get(url).text
        back.append(marks(page))
        url = link(page, "prev")
    assert back == pages[-2::-1]


def test_the_keys_order_every_kind_like_the_page(officer, busy):
    premises, order = busy
    read = premises_timeline.read_page(premises.id, [], limit=1000)
    keys = [entry.key for entry in read.entries]
    assert keys == sorted(keys, reverse=True)
    assert TimelineKey.parse(keys[3].token) == keys[3]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "12-nope-3",
        "999999999999999999-incident-1",
        "9999999999999999999-incident-1",
        "1-incident-",
        "-1-status-2",
    ],
)
def test_a_mangled_key_shows_the_newest_entries(client_as, officer, busy, small_pages, token):
    premises, order = busy
    for name in ("before", "after"):
        page = client_as(officer).get(f"/premises/{premises.id}/timeline", query_string={name: token})
        assert page.status_code == 200
        assert marks(page.text) == order[:3]


def test_seen_through_a_case_the_timeline_leaves_out_what_was_written(client_as, officer, busy):
    premises, order = busy
    agency = make_agency(name="Housing")
    member = make_user(role=Role.PSG_MEMBER, agency=agency)
    make_case(lead_agency=agency, opened_by=member, premises=premises)
    page = client_as(member).get(f"/premises/{premises.id}/timeline")
    assert page.status_code == 200
    assert marks(page.text) == [] and 'id="through-case"' in page.text
    assert "Source: Police" in page.text
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.verb == "premises.viewed", AuditEvent.actor_id == member.id)
    ).one()
    assert viewed.detail == {"through_case": True, "timeline": True}


@pytest.mark.parametrize("path", ["", "/timeline"])
def test_the_page_sends_as_many_statements_for_a_long_history_as_for_a_short_one(
    app, client_as, officer, busy, small_pages, path
):
    premises, order = busy
    client = client_as(officer)
    url = f"/premises/{premises.id}{path}"
    few_page, few = page_queries(app, client, url)
    police = make_agency(name="Ambulance Service")
    for minutes in range(60):
        db.session.add(
            PremisesIncident(
                premises_id=premises.id,
                occurred_at=utcnow() - timedelta(minutes=minutes),
                reporting_agency_id=police.id,
                source=IncidentSource.AMBULANCE,
                category=IncidentCategory.VIOLENCE,
                severity=IncidentSeverity.HIGH,
                recorded_by_id=officer.id,
            )
        )
    db.session.commit()
    many_page, many = page_queries(app, client, url)
    assert "Ambulance Service" in many_page and "Ambulance Service" not in few_page
    assert_same_queries(few, many)
