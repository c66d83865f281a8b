"""Recording a case conference: the form, what it does to the 72-hour clocks, bad input,
who may record one, and the conferences on the case page."""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import PartyRole
from casework.clock import utcnow
from casework.meetings.models import AttendanceStatus, Meeting, MeetingAttendance, MeetingKind
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, SlaClock
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.victims import CRITICAL, assess, checked, date_and_time, error_links, hold_conference, local

PROBLEM = "There is a problem"


@pytest.fixture
def world(session, client_as):
    """A case led by the council with the police involved; other agencies exist too."""
    abbey = make_agency(name="Abbey Community Trust")  # sorts first, but not involved
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    closed = make_agency(name="Zephyr Outreach (closed)", active=False)
    member = make_user(agency=council, name="Priya Member")
    # Opened three years ago, so that the dates typed in this module are in its past.
    case = make_case(
        lead_agency=council, opened_by=member, involved=[police], opened_at=utcnow() - timedelta(days=3 * 365)
    )
    victim = make_person(created_by=member, first_name="Ada", last_name="Ashdown")
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    return SimpleNamespace(
        abbey=abbey.id,
        council=council.id,
        police=police.id,
        housing=housing.id,
        closed=closed.id,
        agencies={"council": council, "police": police, "housing": housing},
        reference=case.reference,
        case_id=case.id,
        victim=victim.id,
        member=client_as(member),
        client_as=client_as,
    )


def url(world) -> str:
    return f"/cases/{world.reference}/conferences/new"


def a_minute_ago(hours: float = 0) -> datetime:
    return (utcnow() - timedelta(hours=hours, minutes=1)).replace(second=0, microsecond=0)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored() -> tuple[int, int, int, int]:
    return (
        count(Meeting),
        count(MeetingAttendance),
        count(AuditEvent),
        count(SlaClock, SlaClock.outcome != ClockOutcome.OPEN),
    )


def conference_clock(world) -> SlaClock:
    db.session.expire_all()
    return db.session.scalar(
        select(SlaClock).where(SlaClock.person_id == world.victim, SlaClock.kind == ClockKind.CONFERENCE_72H)
    )


def test_the_form_lists_active_agencies_with_those_involved_first(world):
    response = world.member.get(url(world))
    html = response.text
    assert response.status_code == 200
    section = html.split("Agencies present", 1)[1].split("Agencies that sent apologies", 1)[0]
    names = re.findall(
        r'<label class="govuk-label govuk-checkboxes__label" for="present[^"]*">\s*([^<]+?)\s*</label>', section
    )
    assert names == [
        "Cambridgeshire Constabulary",
        "Fenland District Council",
        "Abbey Community Trust",
        "Roddons Housing",
    ]
    assert "Zephyr Outreach" not in html
    assert 'name="apologies"' in html
    assert re.search(r'id="held_on-day" name="held_on" type="text" value="\d+"', html)


@pytest.mark.calendar
def test_recording_a_conference_stores_the_attendance_and_meets_the_72_hour_clock(world):
    high_at = a_minute_ago(30)
    assess(world.member, world.reference, world.victim, when=high_at, answers=CRITICAL)
    held_at = a_minute_ago(2)

    response = hold_conference(
        world.member,
        world.reference,
        when=held_at,
        present=[world.council, world.police],
        apologies=[world.housing],
        outcome="Agreed a safety plan; police to patrol nightly.",
    )

    assert response.status_code == 302
    assert response.location == f"/cases/{world.reference}#conferences"
    assert "Case conference recorded." in world.member.get(response.location).text
    [meeting] = db.session.scalars(select(Meeting).where(Meeting.case_id == world.case_id))
    assert (meeting.kind, meeting.held_at, meeting.outcome) == (
        MeetingKind.CASE_CONFERENCE,
        held_at,
        "Agreed a safety plan; police to patrol nightly.",
    )
    attendance = {
        (row.agency_id, row.status)
        for row in db.session.scalars(select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id))
    }
    assert attendance == {
        (world.council, AttendanceStatus.PRESENT),
        (world.police, AttendanceStatus.PRESENT),
        (world.housing, AttendanceStatus.APOLOGIES),
    }
    clock = conference_clock(world)
    assert (clock.outcome, clock.met_at) == (ClockOutcome.MET, held_at)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "conference.recorded"))
    assert event.case_id == world.case_id


@pytest.mark.calendar
def test_a_conference_after_the_72_hours_meets_the_clock_late(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(80), answers=CRITICAL)
    hold_conference(world.member, world.reference, when=a_minute_ago(1), present=[world.council])
    assert conference_clock(world).outcome is ClockOutcome.MET_LATE


@pytest.mark.calendar
def test_a_conference_recorded_late_with_an_earlier_time_is_placed_where_it_happened(world):
    """The victim was assessed 30 hours ago; the conference, typed in now, was held 20 hours ago."""
    assess(world.member, world.reference, world.victim, when=a_minute_ago(30), answers=CRITICAL)
    held_at = a_minute_ago(20)
    hold_conference(world.member, world.reference, when=held_at, present=[world.police])
    clock = conference_clock(world)
    assert (clock.outcome, clock.met_at) == (ClockOutcome.MET, held_at)


@pytest.mark.calendar
def test_a_conference_before_the_victim_was_high_risk_does_not_meet_the_clock(world):
    hold_conference(world.member, world.reference, when=a_minute_ago(10), present=[world.council])
    assess(world.member, world.reference, world.victim, when=a_minute_ago(5), answers=CRITICAL)
    assert conference_clock(world).outcome is ClockOutcome.OPEN


def test_the_case_page_lists_the_conferences_with_a_button_to_record_one(world):
    hold_conference(
        world.member,
        world.reference,
        when=local(2026, 10, 24, 10),
        present=[world.council, world.police],
        apologies=[world.housing],
        outcome="Agreed a safety plan.",
    )
    html = world.member.get(f"/cases/{world.reference}").text
    section = html.split('id="conferences"', 1)[1].split('id="timeline"', 1)[0]
    assert "Record a case conference" in section
    assert "24 October 2026 at 10:00am" in section
    assert "Cambridgeshire Constabulary, Fenland District Council" in section or (
        "Fenland District Council, Cambridgeshire Constabulary" in section
    )
    assert "Roddons Housing" in section and "Agreed a safety plan." in section


def test_the_case_page_offers_no_button_to_those_who_may_not_record(world):
    partner = world.client_as(make_user(role=Role.PARTNER, agency=world.agencies["police"]))
    assert "Record a case conference" not in partner.get(f"/cases/{world.reference}").text


# --- Bad input -----------------------------------------------------------------------

BAD_INPUT = {
    "a time in the future": ({"when": "future"}, "the date and time must not be in the future", "held_on-day"),
    "no agency present": ({"present": []}, "Select the agencies that were present", "present"),
    "an agency both present and sending apologies": (
        {"present": ["council"], "apologies": ["council"]},
        "An agency cannot be both present and sending apologies",
        "apologies",
    ),
    "an unknown agency": ({"present": [999999]}, "Select agencies from the list", "present"),
    "an agency that is not a number": ({"present": ["police-station"]}, "Select agencies from the list", "present"),
    "an agency no longer active": ({"apologies": ["closed"]}, "Select agencies from the list", "apologies"),
    "an impossible date": ({"date": ["30", "2", "2026"]}, "Date of the conference must be a real date", "held_on-day"),
    "no time": ({"time_text": ""}, "Enter the time the conference started", "held_time"),
    "a time that cannot be read": ({"time_text": "after lunch"}, "Enter a time like 14:30 or 2:30pm", "held_time"),
    "a time the clocks skipped": (
        {"when": local(2026, 3, 29, 0), "time_text": "1:15am"},
        "1:15am did not exist on 29 March 2026: the clocks went forward",
        "held_time",
    ),
    "no outcome": ({"outcome": "   "}, "Enter the outcome of the conference", "outcome"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=str)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(world, case):
    changes, message, link = BAD_INPUT[case]
    assess(world.member, world.reference, world.victim, when=a_minute_ago(10), answers=CRITICAL)

    def agency_ids(names):
        return [getattr(world, name) if isinstance(name, str) and hasattr(world, name) else name for name in names]

    when = changes.get("when", a_minute_ago(1))
    present = agency_ids(changes.get("present", ["police"]))
    apologies = agency_ids(changes.get("apologies", ["housing"]))
    outcome = changes.get("outcome", "Agreed to meet again.")
    data = {
        **date_and_time("held", utcnow() + timedelta(hours=3) if when == "future" else when, changes.get("time_text")),
        "present": [str(a) for a in present],
        "apologies": [str(a) for a in apologies],
        "outcome": outcome,
    }
    if "date" in changes:
        data["held_on"] = changes["date"]
    before = stored()

    response = world.member.post(url(world), data=data)

    html = response.text
    assert response.status_code == 400
    assert PROBLEM in html and message in html
    assert link in error_links(html)
    assert stored() == before
    assert conference_clock(world).outcome is ClockOutcome.OPEN
    # What the user entered is still there.
    chosen = checked(html)
    for name, values in (("present", present), ("apologies", apologies)):
        valid = [str(v) for v in values if v in (world.council, world.police, world.housing, world.abbey)]
        assert sorted(chosen.get(name, [])) == sorted(valid), name
    if outcome.strip():
        assert outcome in html
    if "time_text" in changes and changes["time_text"]:
        assert f'value="{changes["time_text"]}"' in html


# --- Who may record ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "agency", "status"),
    [
        (Role.PARTNER, "police", 403),
        (Role.LICENSING_OFFICER, "police", 403),
        (Role.MANAGER, "housing", 403),
        (Role.ANALYST, "council", 404),
        (Role.PSG_MEMBER, "housing", 404),
        (Role.PSG_CHAIR, "housing", 404),
    ],
)
def test_only_psg_members_and_chairs_of_involved_agencies_may_record(world, role, agency, status):
    client = world.client_as(make_user(role=role, agency=world.agencies[agency]))
    before = stored()
    assert client.get(url(world)).status_code == status
    assert hold_conference(client, world.reference, when=a_minute_ago(1), present=[world.council]).status_code == status
    assert stored() == before


def test_a_chair_of_an_involved_agency_may_record(world):
    chair = world.client_as(make_user(role=Role.PSG_CHAIR, agency=world.agencies["police"]))
    assert hold_conference(chair, world.reference, when=a_minute_ago(1), present=[world.police]).status_code == 302


def test_a_conference_in_the_future_is_shown_with_a_missing_outcome_and_a_double_agency(world):
    """The service's rules (the date, an agency both present and sending apologies) come
    back together with the form's own check (the outcome)."""
    assess(world.member, world.reference, world.victim, when=a_minute_ago(10), answers=CRITICAL)
    data = {
        **date_and_time("held", utcnow() + timedelta(hours=3), None),
        "present": [str(world.police)],
        "apologies": [str(world.police)],
        "outcome": " ",
    }
    before = stored()
    response = world.member.post(url(world), data=data)
    assert response.status_code == 400
    assert "the date and time must not be in the future" in response.text
    assert "An agency cannot be both present and sending apologies" in response.text
    assert "Enter the outcome of the conference" in response.text
    assert stored() == before
