"""Victims' risk as a user meets it: the assessment form and what saving it starts, the
risk history, the victims panel of the case page, local times across the clock changes,
and taking someone off a case."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from markupsafe import escape
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseParty, PartyRole
from casework.clock import ZONE, to_utc, utcnow
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel, SlaClock
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.victims import (
    CRITICAL,
    HIGH_SCORE,
    LONDON,
    LOWEST,
    MATRIX,
    MEDIUM,
    assess,
    assessment_data,
    assessment_url,
    checked,
    clocks_confirmation,
    error_links,
    history_url,
    local,
    matrix_id_on_form,
)

PROBLEM = "There is a problem"


@pytest.fixture
def world(session, client_as):
    """A council-led victim case the police are involved in, with a victim and a perpetrator."""
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    member = make_user(agency=council, name="Priya Member")
    chair = make_user(role=Role.PSG_CHAIR, agency=police, name="Carl Chair")
    # Opened three years ago, so that the dates typed in this module are in its past.
    case = make_case(
        lead_agency=council, opened_by=member, involved=[police], opened_at=utcnow() - timedelta(days=3 * 365)
    )
    victim = make_person(created_by=member, first_name="Ada", last_name="Ashdown")
    perpetrator = make_person(created_by=member, first_name="Percy", last_name="Perp")
    victim_party = add_party(case=case, person=victim, role=PartyRole.VICTIM)
    perpetrator_party = add_party(case=case, person=perpetrator, role=PartyRole.PERPETRATOR)
    # Plain values: a refused request rolls the session back, and they stay readable.
    return SimpleNamespace(
        council=council.id,
        police=police.id,
        housing=housing.id,
        reference=case.reference,
        case_id=case.id,
        victim=victim.id,
        perpetrator=perpetrator.id,
        victim_party=victim_party.id,
        perpetrator_party=perpetrator_party.id,
        member=client_as(member),
        chair=client_as(chair),
        member_user=member,
        agencies={"council": council, "police": police, "housing": housing},
        client_as=client_as,
    )


def a_minute_ago(hours: float = 0) -> datetime:
    """A time the form can carry (whole minutes), ``hours`` before now."""
    return (utcnow() - timedelta(hours=hours, minutes=1)).replace(second=0, microsecond=0)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored() -> tuple[int, int, int]:
    """What an assessment writes (showing its form writes the record of that view, no more)."""
    return count(RiskAssessment), count(SlaClock), count(AuditEvent, AuditEvent.verb != "case.viewed")


def clocks_of(world, person_id=None) -> dict[ClockKind, list[SlaClock]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(SlaClock)
        .where(SlaClock.case_id == world.case_id, SlaClock.person_id == (person_id or world.victim))
        .order_by(SlaClock.started_at, SlaClock.id)
    )
    found: dict[ClockKind, list[SlaClock]] = {}
    for clock in rows:
        found.setdefault(clock.kind, []).append(clock)
    return found


def assessments_of(world, person_id=None) -> list[RiskAssessment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.person_id == (person_id or world.victim))
            .order_by(RiskAssessment.assessed_at)
        )
    )


# --- The form ------------------------------------------------------------------------


def test_the_form_asks_every_question_of_the_matrix_in_its_groups(world):
    response = world.member.get(assessment_url(world.reference, world.victim))
    html = response.text
    assert response.status_code == 200
    assert "Assess the risk to Ada Ashdown" in html
    positions = []
    for group in MATRIX.groups:
        positions.append(html.index(f'<h2 class="govuk-heading-m">{group.title}</h2>'))
        for question in group.questions:
            positions.append(html.index(str(escape(question.text))))
            for option in question.options:
                radio = re.search(rf'<input[^>]*name="q_{question.id}"[^>]*value="{option.id}"[^>]*>', html)
                assert radio, (question.id, option.id)
                assert f'data-points="{option.points}"' in radio.group(0)
                assert ('data-critical="true"' in radio.group(0)) is option.critical
    assert positions == sorted(positions)  # grouped, in the matrix's order
    assert html.count('class="govuk-radios__input"') == sum(len(q.options) for q in MATRIX.questions) + 3


def test_the_running_score_is_an_external_script_with_a_polite_live_region(world):
    html = world.member.get(assessment_url(world.reference, world.victim)).text
    assert re.search(r'<script type="module" src="/static/casework/risk\.js" nonce="[^"]+"></script>', html)
    assert 'aria-live="polite"' in html
    assert 'data-risk-high="22"' in html and 'data-risk-medium="12"' in html
    with world.member.get("/static/casework/risk.js") as script:
        assert script.status_code == 200
        assert "Score so far" in script.get_data(as_text=True)


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("instant", "day", "month", "year", "at"),
    [
        (datetime(2026, 3, 3, 9, 5, tzinfo=UTC), "03", "03", "2026", "09:05"),  # a day under 10
        (datetime(2026, 7, 31, 23, 30, tzinfo=UTC), "01", "08", "2026", "00:30"),  # BST: already tomorrow
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "31", "12", "2025", "23:30"),
    ],
)
def test_the_form_starts_at_the_local_date_and_time_now(world, instant, day, month, year, at):
    with time_machine.travel(instant, tick=False):
        member = world.client_as(world.member_user)  # signed in at the pinned instant
        html = member.get(assessment_url(world.reference, world.victim)).text
    for part, value in (("day", day), ("month", month), ("year", year)):
        assert f'id="assessed_on-{part}" name="assessed_on" type="text" value="{value}"' in html
    assert re.search(rf'id="assessed_time"[^>]*value="{at}"', html)
    assert checked(html).get("override_level") == [""]  # "No change"


# --- Saving an assessment ------------------------------------------------------------


@pytest.mark.calendar
def test_a_critical_answer_makes_the_victim_high_and_starts_both_clocks(world):
    when = a_minute_ago(1)
    response = assess(world.member, world.reference, world.victim, when=when, answers=CRITICAL)
    assert response.status_code == 302
    assert response.location == history_url(world.reference, world.victim)
    assert "Risk assessed: high (score 6)" in world.member.get(response.location).text

    [assessment] = assessments_of(world)
    assert (assessment.score, assessment.computed_level, assessment.level) == (6, RiskLevel.HIGH, RiskLevel.HIGH)
    assert assessment.answers == CRITICAL
    assert assessment.assessed_at == when
    clocks = clocks_of(world)
    [conference], [reduce] = clocks[ClockKind.CONFERENCE_72H], clocks[ClockKind.REDUCE_7D]
    assert (conference.started_at, conference.due_at, conference.outcome) == (
        when,
        when + timedelta(hours=72),
        ClockOutcome.OPEN,
    )
    assert (reduce.started_at, reduce.due_at, reduce.outcome) == (when, when + timedelta(hours=168), ClockOutcome.OPEN)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "risk.assessed"))
    assert (event.case_id, event.person_id) == (world.case_id, world.victim)


@pytest.mark.calendar
def test_a_score_over_the_high_threshold_makes_the_victim_high_and_starts_both_clocks(world):
    response = assess(world.member, world.reference, world.victim, when=a_minute_ago(1), answers=HIGH_SCORE)
    assert "Risk assessed: high (score 24)" in world.member.get(response.location).text
    [assessment] = assessments_of(world)
    assert (assessment.score, assessment.level) == (24, RiskLevel.HIGH)
    assert set(clocks_of(world)) == {ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D}


@pytest.mark.calendar
def test_a_medium_score_starts_no_clock(world):
    response = assess(world.member, world.reference, world.victim, when=a_minute_ago(1), answers=MEDIUM)
    assert "Risk assessed: medium (score 14)" in world.member.get(response.location).text
    assert clocks_of(world) == {}


@pytest.mark.calendar
def test_a_later_medium_assessment_meets_the_seven_day_clock_but_not_the_conference_clock(world):
    high_at, medium_at = a_minute_ago(72), a_minute_ago(24)
    assess(world.member, world.reference, world.victim, when=high_at, answers=CRITICAL)
    assess(world.chair, world.reference, world.victim, when=medium_at, answers=MEDIUM)

    clocks = clocks_of(world)
    [reduce], [conference] = clocks[ClockKind.REDUCE_7D], clocks[ClockKind.CONFERENCE_72H]
    assert (reduce.outcome, reduce.met_at) == (ClockOutcome.MET, medium_at)
    assert conference.outcome is ClockOutcome.OPEN  # the victim is still owed the conference


@pytest.mark.calendar
def test_a_new_high_after_the_risk_came_down_starts_new_clocks(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(100), answers=CRITICAL)
    assess(world.member, world.reference, world.victim, when=a_minute_ago(50), answers=LOWEST)
    again = a_minute_ago(2)
    assess(world.member, world.reference, world.victim, when=again, answers=HIGH_SCORE)
    reduce = clocks_of(world)[ClockKind.REDUCE_7D]
    assert [(c.outcome, c.started_at) for c in reduce][1] == (ClockOutcome.OPEN, again)
    assert reduce[0].outcome is ClockOutcome.MET


def test_professional_judgement_raises_the_level_with_its_reason(world):
    reason = "Threats to her grandchildren reported by the school."
    response = assess(
        world.member,
        world.reference,
        world.victim,
        when=a_minute_ago(1),
        answers=MEDIUM,
        override="high",
        reason=reason,
    )
    assert (
        "Risk assessed: high (score 14, raised on professional judgement)" in world.member.get(response.location).text
    )
    [assessment] = assessments_of(world)
    assert (assessment.computed_level, assessment.override_level, assessment.level) == (
        RiskLevel.MEDIUM,
        RiskLevel.HIGH,
        RiskLevel.HIGH,
    )
    assert assessment.override_reason == reason
    assert set(clocks_of(world)) == {ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D}
    history = world.member.get(history_url(world.reference, world.victim)).text
    assert "Raised from medium to high on professional judgement" in history
    assert reason in history


# --- Bad input -----------------------------------------------------------------------

VIOLENCE = str(escape(next(q.text for q in MATRIX.questions if q.id == "violence")))
WITHOUT_VIOLENCE = {key: value for key, value in MEDIUM.items() if key != "violence"}


BAD_INPUT = {
    "a question unanswered": (
        {"answers": WITHOUT_VIOLENCE},
        f"Select an answer: {VIOLENCE}",
        "q_violence",
    ),
    "an unknown option": (
        {"answers": {**MEDIUM, "violence": "nuclear"}},
        f"Choose one of the answers given for: {VIOLENCE}",
        "q_violence",
    ),
    "a question not in the matrix": (
        {"answers": {**MEDIUM, "weather": "rain"}},
        None,
        None,  # ignored: only the matrix's questions are read
    ),
    "a tampered matrix version": (
        {"matrix_id": "999999"},
        "The risk matrix has changed since this form was opened",
        None,
    ),
    "a matrix version that is not a number": (
        {"matrix_id": "v1"},
        "The risk matrix has changed since this form was opened",
        None,
    ),
    "a time in the future": (
        {"when": "future"},
        "must not be in the future",
        "assessed_on-day",
    ),
    "an impossible date": (
        {"date": ["31", "2", "2026"]},
        "Date of the assessment must be a real date",
        "assessed_on-day",
    ),
    "no date": (
        {"date": ["", "", ""]},
        "Enter the date of the assessment",
        "assessed_on-day",
    ),
    "no time": (
        {"time_text": ""},
        "Enter the time of the assessment",
        "assessed_time",
    ),
    "a time that cannot be read": (
        {"time_text": "half past two"},
        "Enter a time like 14:30 or 2:30pm",
        "assessed_time",
    ),
    "a time the clocks skipped": (
        {"when": local(2026, 3, 29, 0, 0), "time_text": "1:30am"},
        "1:30am did not exist on 29 March 2026: the clocks went forward",
        "assessed_time",
    ),
    "a lower level on professional judgement": (
        {"answers": HIGH_SCORE, "override": "medium", "reason": "Seems calmer"},
        "Professional judgement can only raise the level above high",
        "override_level",
    ),
    "the same level on professional judgement": (
        {"override": "medium", "reason": "No change really"},
        "Professional judgement can only raise the level above medium",
        "override_level",
    ),
    "a raise without a reason": (
        {"override": "high", "reason": "  "},
        "Give the reason for raising the level",
        "override_reason",
    ),
    "an unknown level": (
        {"override": "extreme", "reason": "Because"},
        "Select no change, medium or high",
        "override_level",
    ),
}


@pytest.mark.parametrize("case", [c for c, (_, message, _) in BAD_INPUT.items() if message], ids=str)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(world, case):
    changes, message, link = BAD_INPUT[case]
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    when = changes.get("when", a_minute_ago(1))
    data = assessment_data(
        changes.get("matrix_id", matrix_id),
        when=utcnow() + timedelta(hours=2) if when == "future" else when,
        answers=changes.get("answers", MEDIUM),
        override=changes.get("override", ""),
        reason=changes.get("reason", ""),
        time_text=changes.get("time_text"),
    )
    if "date" in changes:
        data["assessed_on"] = changes["date"]
    before = stored()

    response = world.member.post(assessment_url(world.reference, world.victim), data=data)

    html = response.text
    assert response.status_code == 400
    assert PROBLEM in html and message in html
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: " in html
    if link:
        assert link in error_links(html)
    assert stored() == before
    # Every answer the user chose is still chosen.
    chosen = checked(html)
    for question_id, option_id in changes.get("answers", MEDIUM).items():
        if question_id in {q.id for q in MATRIX.questions} and option_id != "nuclear":
            assert chosen.get(f"q_{question_id}") == [option_id], question_id
    if "time_text" in changes:
        assert f'value="{changes["time_text"]}"' in html
    if changes.get("override") in ("medium", "high"):
        assert chosen["override_level"] == [changes["override"]]
    # Sent again, the form is checked against the matrix it shows.
    assert f'name="matrix_id" type="hidden" value="{matrix_id}"' in html


def test_every_problem_the_form_can_see_is_shown_at_once(world):
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    data = assessment_data(
        matrix_id, when=local(2026, 3, 29, 0), answers=WITHOUT_VIOLENCE, override="high", time_text="1:30am"
    )
    html = world.member.post(assessment_url(world.reference, world.victim), data=data).text
    assert error_links(html) == ["assessed_time", "q_violence", "override_reason"]


def test_a_question_not_in_the_matrix_is_ignored(world):
    response = assess(
        world.member, world.reference, world.victim, when=a_minute_ago(1), answers={**MEDIUM, "weather": "rain"}
    )
    assert response.status_code == 302
    assert assessments_of(world)[0].answers == MEDIUM


@pytest.mark.calendar
def test_closing_the_case_stops_the_clocks_and_no_later_assessment_starts_new_ones(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(10), answers=CRITICAL)
    version = db.session.get(Case, world.case_id).version
    closed = world.member.post(f"/cases/{world.reference}/close", data={"version": version, "reason": "Moved away."})
    assert closed.status_code == 302
    assert {clock.outcome for clocks in clocks_of(world).values() for clock in clocks} == {ClockOutcome.STOPPED}
    before = stored()

    # The form carries whole minutes: the next one that reads back as itself is after the
    # closing; the test waits for it, so it is within the allowance for a fast clock.
    just_after = next_typed_minute(utcnow())
    with time_machine.travel(max(utcnow(), just_after - timedelta(minutes=1)), tick=True):
        response = assess(world.member, world.reference, world.victim, when=just_after, answers=CRITICAL)

        assert response.status_code == 400
        assert "The case was closed before this date and time" in response.text
        assert "assessed_on-day" in error_links(response.text)
        assert stored() == before
        # One made before the case closed can still be recorded late, once the user has
        # confirmed that it meets a clock the closing stopped.
        late_at = a_minute_ago(5)
        late = assess(world.member, world.reference, world.victim, when=late_at, answers=MEDIUM)
        assert late.status_code == 200
        assert "This will end Ada Ashdown&#39;s high-risk episode on" in late.text
        assert stored() == before
        data = assessment_data(
            matrix_id_on_form(world.member, world.reference, world.victim), when=late_at, answers=MEDIUM
        )
        late = world.member.post(
            assessment_url(world.reference, world.victim),
            data={**data, "clocks_confirmed": clocks_confirmation(late.text)},
        )
        assert late.status_code == 302
        assert ClockOutcome.OPEN not in {clock.outcome for clocks in clocks_of(world).values() for clock in clocks}


def next_typed_minute(after: datetime) -> datetime:
    """The first whole minute after ``after`` that a time typed on the form reads back as:
    in the second pass of the hour the clocks go back, a typed time means the first pass."""
    minute = (after + timedelta(minutes=1)).replace(second=0, microsecond=0)
    while to_utc((local := minute.astimezone(ZONE)).date(), local.time().replace(fold=0)) != minute:
        minute += timedelta(minutes=1)
    return minute


# --- Local times ---------------------------------------------------------------------


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("typed", "hour", "minute"),
    [
        ("14:30", 14, 30),
        ("9:05", 9, 5),
        ("2:30pm", 14, 30),
        ("2.30pm", 14, 30),
        ("12pm", 12, 0),
        ("12am", 0, 0),
        ("2:30 PM", 14, 30),
    ],
)
def test_times_are_read_as_people_write_them(world, typed, hour, minute):
    day = local(2026, 11, 2, 0)  # GMT: local time is UTC
    assess(world.member, world.reference, world.victim, when=day, answers=MEDIUM, time_text=typed)
    [assessment] = assessments_of(world)
    assert assessment.assessed_at == datetime(2026, 11, 2, hour, minute, tzinfo=UTC)


@pytest.mark.calendar
@pytest.mark.parametrize("typed", ["25:00", "9", "14:30pm", "13pm", "2:75pm", "0am", "noonish"])
def test_times_that_cannot_be_read_are_refused(world, typed):
    response = assess(
        world.member, world.reference, world.victim, when=local(2026, 11, 2, 0), answers=MEDIUM, time_text=typed
    )
    assert response.status_code == 400
    assert "Enter a time like 14:30 or 2:30pm" in response.text
    assert assessments_of(world) == []


@pytest.mark.calendar
def test_the_conference_clock_runs_72_real_hours_across_the_october_clock_change(world):
    """10:00 BST on Saturday 24 October 2026; the clocks go back on the Sunday."""
    assess(world.member, world.reference, world.victim, when=local(2026, 10, 24, 10), answers=CRITICAL)
    clocks = clocks_of(world)
    [conference], [reduce] = clocks[ClockKind.CONFERENCE_72H], clocks[ClockKind.REDUCE_7D]
    assert conference.started_at == datetime(2026, 10, 24, 9, 0, tzinfo=UTC)
    assert conference.due_at == datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
    assert conference.due_at.astimezone(LONDON) == local(2026, 10, 27, 9)  # 09:00 on the Tuesday
    assert reduce.due_at.astimezone(LONDON) == local(2026, 10, 31, 9)
    page = world.member.get(f"/cases/{world.reference}").text
    assert "(due 27 October 2026 at 9:00am)" in page


@pytest.mark.calendar
def test_the_conference_clock_runs_72_real_hours_across_the_march_clock_change(world):
    """10:00 GMT on Saturday 28 March 2026; the clocks go forward on the Sunday."""
    assess(world.member, world.reference, world.victim, when=local(2026, 3, 28, 10), answers=CRITICAL)
    [conference] = clocks_of(world)[ClockKind.CONFERENCE_72H]
    assert conference.started_at == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert conference.due_at == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert conference.due_at.astimezone(LONDON) == local(2026, 3, 31, 11)  # 11:00 on the Tuesday
    assert "(due 31 March 2026 at 11:00am)" in world.member.get(f"/cases/{world.reference}").text


@pytest.mark.calendar
def test_a_time_that_happened_twice_is_taken_as_the_first_in_summer_time(world):
    """1:30am on 25 October 2026 happened at 00:30 UTC (BST) and again at 01:30 UTC (GMT)."""
    assess(world.member, world.reference, world.victim, when=local(2026, 10, 25, 0), answers=MEDIUM, time_text="1:30am")
    [assessment] = assessments_of(world)
    assert assessment.assessed_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


# --- Who may assess ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "agency", "status"),
    [
        (Role.PARTNER, "police", 403),  # sees the case, may not assess
        (Role.LICENSING_OFFICER, "police", 403),
        (Role.MANAGER, "housing", 403),  # sees every case, may not assess
        (Role.ADMIN, "housing", 403),
        (Role.ANALYST, "council", 404),  # sees no case
        (Role.PSG_MEMBER, "housing", 404),  # only the stub of a case their agency is not involved in
        (Role.PSG_CHAIR, "housing", 404),
    ],
)
def test_only_psg_members_and_chairs_of_involved_agencies_may_assess(world, role, agency, status):
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    client = world.client_as(make_user(role=role, agency=world.agencies[agency]))
    before = stored()
    assert client.get(assessment_url(world.reference, world.victim)).status_code == status
    data = assessment_data(matrix_id, when=a_minute_ago(1), answers=CRITICAL)
    assert client.post(assessment_url(world.reference, world.victim), data=data).status_code == status
    assert client.get(history_url(world.reference, world.victim)).status_code == status
    assert stored() == before


def test_a_chair_of_an_involved_agency_may_assess(world):
    response = assess(world.chair, world.reference, world.victim, when=a_minute_ago(1), answers=MEDIUM)
    assert response.status_code == 302


def test_only_a_current_victim_of_the_case_can_be_assessed(world):
    other_case = make_case(lead_agency=world.agencies["council"])
    elsewhere = make_person(created_by=make_user(agency=world.agencies["council"]), first_name="Vera")
    add_party(case=other_case, person=elsewhere, role=PartyRole.VICTIM)
    for person_id in (world.perpetrator, elsewhere.id, 999999):
        assert world.member.get(assessment_url(world.reference, person_id)).status_code == 404
        assert world.member.get(history_url(world.reference, person_id)).status_code == 404
        data = assessment_data("1", when=a_minute_ago(1), answers=CRITICAL)
        assert world.member.post(assessment_url(world.reference, person_id), data=data).status_code == 404
    assert assessments_of(world, world.perpetrator) == []


# --- The history ---------------------------------------------------------------------


@pytest.mark.calendar
def test_the_history_shows_the_latest_level_why_and_every_earlier_assessment(world):
    earlier, latest = a_minute_ago(48), a_minute_ago(2)
    assess(world.member, world.reference, world.victim, when=earlier, answers=MEDIUM)
    assess(world.chair, world.reference, world.victim, when=latest, answers={**CRITICAL, "hate": "yes"})

    response = world.member.get(history_url(world.reference, world.victim))
    html = response.text
    assert response.status_code == 200
    current = html.split('id="current-level"', 1)[1].split("</p>", 1)[0]
    assert "govuk-tag--red" in current and "High" in current and "score 11" in current
    assert "Carl Chair" in html
    assert "High because of a critical answer" in html
    assert "Actual violence, or threats with a weapon" in html
    why = html.split("The answers that scored, highest first", 1)[1].split("</table>", 1)[0]
    assert why.index(VIOLENCE) < why.index("motivated by hostility")  # 6 points, then 5
    earlier_rows = html.split('id="earlier"', 1)[1].split("</table>", 1)[0]
    assert "Priya Member" in earlier_rows
    assert "Casework default ASB victim risk matrix v1" in earlier_rows
    assert ">14<" in earlier_rows and "Medium" in earlier_rows
    assert "Carl Chair" not in earlier_rows
    # The level over time, drawn and as a table.
    assert '<title id="level-chart-title">Risk level of Ada Ashdown over time</title>' in html
    assert 'aria-labelledby="level-chart-title level-chart-desc"' in html
    [viewed] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "risk.history_viewed"))
    assert (viewed.case_id, viewed.person_id) == (world.case_id, world.victim)


@pytest.mark.calendar
def test_the_history_of_a_victim_never_assessed_says_so(world):
    html = world.member.get(history_url(world.reference, world.victim)).text
    assert "No risk assessment has been recorded for Ada Ashdown on this case yet." in html
    assert "Assess risk" in html


# --- The case page -------------------------------------------------------------------


def victims_panel(html: str) -> str:
    return html.split(">Victims</h3>", 1)[1].split("</table>", 1)[0]


@pytest.mark.calendar
def test_the_case_page_shows_each_victims_level_and_open_clocks_with_a_countdown(world):
    late = make_person(created_by=make_user(agency=world.agencies["council"]), first_name="Lena", last_name="Late")
    unassessed = make_person(created_by=make_user(agency=world.agencies["council"]), first_name="Nell", last_name="New")
    the_case = db.session.get(Case, world.case_id)
    add_party(case=the_case, person=late, role=PartyRole.VICTIM)
    add_party(case=the_case, person=unassessed, role=PartyRole.VICTIM)
    late_id = late.id  # the first request may roll back and expire what this session holds
    assess(world.member, world.reference, world.victim, when=a_minute_ago(58), answers=CRITICAL)
    assess(world.member, world.reference, late_id, when=a_minute_ago(75), answers=HIGH_SCORE)

    panel = victims_panel(world.member.get(f"/cases/{world.reference}").text)
    ada, lena, nell = (
        panel.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Ada Ashdown", "Lena Late", "Nell New")
    )
    assert "govuk-tag--red" in ada and "High" in ada
    assert re.search(r"govuk-tag--orange\">\s*Due soon\s*</strong>\s*Case conference due in 14 hours", ada)
    assert re.search(r'govuk-tag">\s*Pending\s*</strong>\s*Risk reduced due in 5 days', ada)  # 110 hours
    assert re.search(r"govuk-tag--red\">\s*Overdue\s*</strong>\s*Case conference overdue by 3 hours", lena)
    assert "Not assessed" in nell and "Case conference" not in nell
    assert "Assess risk" in ada and "Risk history" in ada and "Remove from case" in ada


@pytest.mark.calendar
def test_a_closed_case_shows_the_clocks_it_closed_overdue_but_not_those_it_stopped(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(99), answers=CRITICAL)
    version = db.session.get(Case, world.case_id).version
    closed = world.member.post(f"/cases/{world.reference}/close", data={"version": version, "reason": "No contact."})
    assert closed.status_code == 302

    panel = victims_panel(world.member.get(f"/cases/{world.reference}").text)
    ada = panel.split("Ada Ashdown", 1)[1].split("</tr>", 1)[0]
    assert re.search(
        r"govuk-tag--red\">\s*Overdue at closing\s*</strong>\s*"
        r"Case conference overdue by 27 hours when it stopped \(case closed\)",
        ada,
    )
    assert "Risk reduced" not in ada  # due in 69 hours when the case closed: stopped, not shown


def test_a_partner_sees_levels_but_is_not_offered_assessment_or_removal(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(1), answers=CRITICAL)
    partner = world.client_as(make_user(role=Role.PARTNER, agency=world.agencies["police"]))
    panel = victims_panel(partner.get(f"/cases/{world.reference}").text)
    assert "High" in panel
    for link in ("Assess risk", "Risk history", "Remove from case"):
        assert link not in panel


# --- Taking someone off a case -------------------------------------------------------


def remove_url(world, party_id: int) -> str:
    return f"/cases/{world.reference}/people/{party_id}/remove"


@pytest.mark.calendar
def test_taking_a_victim_off_the_case_stops_their_clocks_and_lists_them_as_taken_off(world):
    assess(world.member, world.reference, world.victim, when=a_minute_ago(5), answers=CRITICAL)
    page = world.member.get(remove_url(world, world.victim_party))
    assert page.status_code == 200
    assert "Take Ada Ashdown off this case" in page.text and "open clocks for this victim stop" in page.text

    response = world.member.post(remove_url(world, world.victim_party), data={"reason": "Moved out of the district."})

    assert response.status_code == 302 and response.location.startswith(f"/cases/{world.reference}")
    html = world.member.get(response.location).text
    assert "Ada Ashdown taken off this case." in html
    assert ">Victims</h3>" not in html  # she was the only victim
    removed = html.split("Taken off this case</h3>", 1)[1].split("</ul>", 1)[0]
    assert "Ada Ashdown, victim" in removed and "Moved out of the district." in removed
    db.session.expire_all()
    party = db.session.get(CaseParty, world.victim_party)
    assert party.removed_at is not None and party.removal_reason == "Moved out of the district."
    for [clock] in clocks_of(world).values():
        assert clock.outcome is ClockOutcome.STOPPED
        assert "Moved out of the district." in clock.stop_reason
    assert world.member.get(assessment_url(world.reference, world.victim)).status_code == 404


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Enter why they are being taken off this case"), ("x" * 401, "The reason must be 400 characters or fewer")],
)
def test_taking_someone_off_needs_a_reason(world, reason, message):
    before = count(AuditEvent)
    response = world.member.post(remove_url(world, world.perpetrator_party), data={"reason": reason})
    assert response.status_code == 400
    assert PROBLEM in response.text and message in response.text
    assert "reason" in error_links(response.text)
    db.session.expire_all()
    assert db.session.get(CaseParty, world.perpetrator_party).removed_at is None
    assert count(AuditEvent) == before


def test_someone_already_taken_off_cannot_be_taken_off_again(world):
    world.member.post(remove_url(world, world.perpetrator_party), data={"reason": "Wrong person."})
    for method in ("get", "post"):
        response = getattr(world.member, method)(remove_url(world, world.perpetrator_party), data={"reason": "Again."})
        assert response.status_code == 409
        assert "Percy Perp has already been taken off this case" in response.text
    assert count(AuditEvent, AuditEvent.verb == "case.person_removed") == 1


def test_a_person_on_another_case_cannot_be_taken_off_through_this_one(world):
    other_case = make_case(lead_agency=world.agencies["council"])
    other_party = add_party(
        case=other_case, person=make_person(created_by=make_user(agency=world.agencies["council"]))
    ).id
    for party_id in (other_party, 999999):
        assert world.member.get(remove_url(world, party_id)).status_code == 404
        assert world.member.post(remove_url(world, party_id), data={"reason": "Test"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(CaseParty, other_party).removed_at is None


@pytest.mark.parametrize(
    ("role", "agency", "status"),
    [
        (Role.PARTNER, "police", 403),
        (Role.MANAGER, "housing", 403),
        (Role.PSG_MEMBER, "housing", 404),
        (Role.ANALYST, "council", 404),
    ],
)
def test_only_psg_members_and_chairs_of_involved_agencies_may_take_people_off(world, role, agency, status):
    client = world.client_as(make_user(role=role, agency=world.agencies[agency]))
    assert client.get(remove_url(world, world.victim_party)).status_code == status
    assert client.post(remove_url(world, world.victim_party), data={"reason": "Test"}).status_code == status
    db.session.expire_all()
    assert db.session.get(CaseParty, world.victim_party).removed_at is None


def test_a_stub_shows_the_highest_current_risk_level_but_a_restricted_stub_does_not(world):
    outsider = world.client_as(make_user(agency=world.agencies["housing"]))
    stub = outsider.get(f"/cases/{world.reference}").text
    assert "Limited view" in stub and "Not assessed" in stub

    assess(world.member, world.reference, world.victim, when=a_minute_ago(1), answers=CRITICAL)
    stub = outsider.get(f"/cases/{world.reference}").text
    assert re.search(r"Risk level\s*</dt>\s*<dd[^>]*>\s*High", stub)

    the_case = db.session.get(Case, world.case_id)
    the_case.restricted = True
    db.session.commit()
    assert "Risk level" not in outsider.get(f"/cases/{world.reference}").text


def test_a_date_in_the_future_is_shown_with_an_unanswered_question(world):
    """The service's rule about the date and the form's own check come back together."""
    matrix_id = matrix_id_on_form(world.member, world.reference, world.victim)
    tomorrow = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    data = assessment_data(matrix_id, when=tomorrow, answers=WITHOUT_VIOLENCE)
    before = stored()
    response = world.member.post(assessment_url(world.reference, world.victim), data=data)
    assert response.status_code == 400
    assert "The date and time of the assessment must not be in the future" in response.text
    assert error_links(response.text) == ["assessed_on-day", "q_violence"]
    assert stored() == before
