"""How far back an event may be dated: never before the victim was born, nor more than
BACKDATING_DAYS before the case was opened (docs/sla.md, "Dates typed late or far ahead")."""

import html
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, PartyRole
from casework.clock import add_days, local_date, start_of_day, today, utcnow
from casework.dates import DateBounds, floor, long_date
from casework.exceptions import InvalidInput
from casework.meetings.models import Meeting
from casework.victims.models import RiskAssessment, RiskLevel, SlaClock
from casework.victims.services import conferences, risk
from casework.victims.services.backdating import describe
from casework.victims.services.sla import Assessed, Timeline
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.victims import (
    CRITICAL,
    LOWEST,
    assess,
    assessment_data,
    assessment_url,
    clocks_confirmation,
    date_and_time,
    error_links,
    hold_conference,
    matrix_id_on_form,
)

OPENED_DAYS_AGO = 40


@pytest.fixture
def world(session, client_as):
    """A case opened 40 days ago, with a victim born long before it."""
    council = make_agency(name="Fenland District Council")
    member = make_user(agency=council, name="Priya Member")
    opened_at = (utcnow() - timedelta(days=OPENED_DAYS_AGO)).replace(second=0, microsecond=0)
    case = make_case(lead_agency=council, opened_by=member, opened_at=opened_at)
    victim = make_person(created_by=member, first_name="Jane", last_name="Smith", date_of_birth=date(1980, 5, 17))
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    return SimpleNamespace(
        council=council.id,
        member_user=member,
        member=client_as(member),
        reference=case.reference,
        case_id=case.id,
        opened_at=opened_at,
        victim=victim.id,
    )


def stored() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) for model in (RiskAssessment, SlaClock, Meeting)
    )


def record(world, at: datetime, answers=CRITICAL) -> RiskAssessment:
    """An assessment saved as a request saves it, before the requests that follow."""
    assessment = risk.record_assessment(
        world.member_user,
        world.reference,
        world.victim,
        matrix_id=risk.current_matrix().id,
        answers=answers,
        assessed_at=at,
        override_level=None,
        override_reason="",
    )
    db.session.commit()
    return assessment


def window_message(opened_at: datetime, days: int = 31) -> str:
    earliest = local_date(opened_at) - timedelta(days=days)
    return f"The date must be on or after {long_date(earliest)}, {days} days before the case was opened"


def test_an_assessment_dated_1900_is_refused_with_the_earliest_date_allowed(world):
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    before = stored()
    response = world.member.post(
        assessment_url(world.reference, world.victim),
        data=assessment_data(matrix_id, when=datetime(1900, 1, 1, 9, 0, tzinfo=UTC), answers=CRITICAL),
    )
    assert response.status_code == 400
    assert window_message(world.opened_at) in response.text
    assert error_links(response.text) == ["assessed_on-day"]
    assert 'value="1900"' in response.text  # what was typed is kept
    assert stored() == before


def test_the_service_refuses_it_whatever_calls_it(world):
    with pytest.raises(InvalidInput) as refused:
        record(world, datetime(1900, 1, 1, 9, 0, tzinfo=UTC))
    assert [(p.message, p.field) for p in refused.value.problems] == [(window_message(world.opened_at), "assessed_on")]


def test_an_assessment_before_the_victim_was_born_is_refused(world):
    """A baby on a family's case: the date of birth is later than the case's window."""
    born = today() - timedelta(days=OPENED_DAYS_AGO + 5)
    baby = make_person(created_by=world.member_user, first_name="Ruby", last_name="Smith", date_of_birth=born)
    add_party(case=db.session.get(Case, world.case_id), person=baby, role=PartyRole.VICTIM)
    day_before = start_of_day(born) - timedelta(hours=12)
    matrix_id = matrix_id_on_form(world.member, world.reference, baby.id)
    before = stored()
    response = world.member.post(
        assessment_url(world.reference, baby.id), data=assessment_data(matrix_id, when=day_before, answers=CRITICAL)
    )
    assert response.status_code == 400
    assert str(escape(f"The date must be on or after {long_date(born)}, Ruby Smith's date of birth")) in response.text
    assert stored() == before


def test_the_date_of_birth_is_the_floor_only_where_it_is_later():
    opened = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert floor(opened, "case", born_on=date(1980, 5, 17), name="Jane Smith").message == (
        "The date must be on or after 2 November 2026, 31 days before the case was opened"
    )
    assert floor(opened, "case", born_on=date(2026, 11, 20), name="Jane Smith").message == (
        "The date must be on or after 20 November 2026, Jane Smith's date of birth"
    )
    assert floor(opened, "premises record", DateBounds(backdating_days=1)).message == (
        "The date must be on or after 2 December 2026, 1 day before the premises record was opened"
    )


@pytest.mark.calendar
def test_the_edge_of_the_window_is_the_first_minute_of_the_day_31_days_before_opening(world):
    """Counted in local days: 31 days before the day the case was opened, from 00:00 UK
    time; exactly 31 days before the opening is within it, a minute before that day is not."""
    first_day = local_date(world.opened_at) - timedelta(days=31)
    first_minute = start_of_day(first_day)
    with pytest.raises(InvalidInput) as refused:
        record(world, first_minute - timedelta(minutes=1))
    assert refused.value.message == window_message(world.opened_at)
    assert record(world, first_minute, answers=LOWEST).assessed_at == first_minute
    exactly = add_days(world.opened_at, -31)
    assert local_date(exactly) == first_day
    assert record(world, exactly, answers=LOWEST).assessed_at == exactly


@pytest.mark.calendar
def test_the_window_follows_the_setting(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "BACKDATING_DAYS", 7)
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    eight_days = start_of_day(local_date(world.opened_at) - timedelta(days=8)) + timedelta(hours=10)
    response = world.member.post(
        assessment_url(world.reference, world.victim),
        data=assessment_data(matrix_id, when=eight_days, answers=CRITICAL),
    )
    assert response.status_code == 400
    assert window_message(world.opened_at, days=7) in response.text


def test_the_date_is_refused_with_every_other_problem_in_one_round(world):
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    answers = {question: option for question, option in CRITICAL.items() if question != "violence"}
    response = world.member.post(
        assessment_url(world.reference, world.victim),
        data=assessment_data(matrix_id, when=datetime(1900, 1, 1, 9, 0, tzinfo=UTC), answers=answers),
    )
    assert response.status_code == 400
    assert window_message(world.opened_at) in response.text
    assert error_links(response.text) == ["assessed_on-day", "q_violence"]


def test_a_conference_dated_before_the_window_is_refused(world):
    before = stored()
    response = hold_conference(
        world.member,
        world.reference,
        when=world.opened_at - timedelta(days=400),
        present=[world.council],
    )
    assert response.status_code == 400
    assert window_message(world.opened_at) in response.text
    assert "held_on-day" in error_links(response.text)
    assert stored() == before
    with pytest.raises(InvalidInput):
        conferences.record_conference(
            world.member_user,
            world.reference,
            held_at=world.opened_at - timedelta(days=400),
            present=[world.council],
            apologies=[],
            outcome="Agreed a plan.",
        )


def test_a_conference_before_the_window_is_shown_with_a_missing_agency(world):
    response = hold_conference(world.member, world.reference, when=world.opened_at - timedelta(days=400), present=[])
    assert response.status_code == 400
    assert window_message(world.opened_at) in response.text
    assert set(error_links(response.text)) >= {"held_on-day", "present"}


def test_the_assessment_today_is_still_accepted(world):
    response = assess(
        world.member, world.reference, world.victim, when=(utcnow() - timedelta(minutes=5)), answers=CRITICAL
    )
    assert response.status_code == 302


# --- Within the window: saying what a back-dated entry changes, and asking first -----------


def day_of(at: datetime) -> str:
    return long_date(local_date(at))


def clocks() -> list[tuple[str, datetime, str]]:
    rows = db.session.scalars(select(SlaClock).order_by(SlaClock.kind, SlaClock.started_at))
    return [(row.kind.value, row.started_at, row.outcome.value) for row in rows]


@pytest.mark.calendar
def test_an_earlier_start_is_shown_and_saved_only_once_confirmed(world):
    this_morning = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    record(world, this_morning)
    before = (stored(), clocks())
    five_days_ago = this_morning - timedelta(days=5)
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    data = assessment_data(matrix_id, when=five_days_ago, answers=CRITICAL)

    asked = world.member.post(assessment_url(world.reference, world.victim), data=data)
    assert asked.status_code == 200
    page = html.unescape(asked.text)
    assert (
        f"This will start Jane Smith's high-risk episode on {day_of(five_days_ago)} instead of {day_of(this_morning)}."
        in page
    )
    assert "Save assessment anyway" in page
    assert error_links(asked.text) == []
    assert (stored(), clocks()) == before  # nothing written until confirmed

    saved = world.member.post(
        assessment_url(world.reference, world.victim),
        data={**data, "clocks_confirmed": clocks_confirmation(asked.text)},
    )
    assert saved.status_code == 302
    assert {started for _kind, started, _outcome in clocks()} == {five_days_ago}

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.verb == "risk.assessed").order_by(AuditEvent.id.desc())
    ).first()
    kept = event.detail["clocks"][str(world.victim)]
    assert {clock["started_at"] for clock in kept["before"]} == {this_morning.isoformat()}
    assert {clock["started_at"] for clock in kept["after"]} == {five_days_ago.isoformat()}
    assert {clock["kind"]: clock["due_at"] for clock in kept["after"]} == {
        "conference_72h": (five_days_ago + timedelta(hours=72)).isoformat(),
        "reduce_7d": (five_days_ago + timedelta(hours=168)).isoformat(),
    }
    assert {clock["outcome"] for clock in kept["after"]} == {"open"}


@pytest.mark.calendar
def test_changing_the_date_after_being_asked_asks_again(world):
    this_morning = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    record(world, this_morning)
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    url = assessment_url(world.reference, world.victim)
    first = world.member.post(
        url, data=assessment_data(matrix_id, when=this_morning - timedelta(days=5), answers=CRITICAL)
    )
    token = clocks_confirmation(first.text)
    second = world.member.post(
        url,
        data={
            **assessment_data(matrix_id, when=this_morning - timedelta(days=6), answers=CRITICAL),
            "clocks_confirmed": token,
        },
    )
    assert second.status_code == 200
    assert "Save assessment anyway" in second.text
    assert clocks_confirmation(second.text) != token
    assert len(clocks()) == 2


@pytest.mark.calendar
def test_a_conference_typed_late_says_which_clock_it_meets(world):
    started = (utcnow() - timedelta(days=3)).replace(second=0, microsecond=0)
    record(world, started)
    record(world, started + timedelta(days=2), answers=LOWEST)  # the risk came down since
    held = started + timedelta(hours=20)
    asked = hold_conference(world.member, world.reference, when=held, present=[world.council])
    assert asked.status_code == 200
    page = html.unescape(asked.text)
    assert "This will meet Jane Smith's case conference clock on" in page
    assert "(on time)" in page
    assert "Record conference anyway" in page
    assert stored()[2] == 0

    saved = world.member.post(
        f"/cases/{world.reference}/conferences/new",
        data={
            **date_and_time("held", held),
            "present": [str(world.council)],
            "outcome": "Agreed a safety plan.",
            "clocks_confirmed": clocks_confirmation(asked.text),
        },
    )
    assert saved.status_code == 302
    assert ("conference_72h", started, "met") in clocks()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "conference.recorded")).one()
    kept = event.detail["clocks"][str(world.victim)]
    assert [c["outcome"] for c in kept["before"] if c["kind"] == "conference_72h"] == ["open"]
    assert [c["outcome"] for c in kept["after"] if c["kind"] == "conference_72h"] == ["met"]


def test_an_entry_made_as_it_happens_is_not_asked_about(world):
    record(world, (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0))
    response = assess(world.member, world.reference, world.victim, when=utcnow() - timedelta(minutes=5), answers=LOWEST)
    assert response.status_code == 302  # ends the episode, as an assessment made now does


def test_the_words_for_an_episode_ended_earlier_and_one_started_in_the_past():
    name = "Jane Smith"
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    high, medium = RiskLevel.HIGH, RiskLevel.MEDIUM
    recorded = Timeline([Assessed(start, high, 1)], [start + timedelta(days=4)], [])
    ended = Timeline([*recorded.assessments, Assessed(start + timedelta(days=2), medium, 2)], recorded.conferences, [])
    assert describe(name, recorded.clocks(), ended.clocks()) == [
        "end Jane Smith's high-risk episode on 22 November 2026 at 9:00am (risk brought down on time)"
    ]
    earlier = Timeline([Assessed(start - timedelta(days=20), high, 3), *ended.assessments], recorded.conferences, [])
    assert describe(name, ended.clocks(), earlier.clocks()) == [
        "start Jane Smith's high-risk episode on 31 October 2026 instead of 20 November 2026",
        "make Jane Smith's risk reduction late instead of on time",
    ]
