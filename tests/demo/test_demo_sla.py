"""The demo partnership's high-risk victims: the last complete quarter's SLA figures look
like the source reports (74 percent within 72 hours, 78 percent within 7 days).
(That clocks are due soon and overdue whenever it loads: test_demo_dates.py.)

The figures are worked out here from the stored clocks with plain Python, on purpose
independently of the dashboard's queries."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from casework import db
from casework.agencies.models import Agency
from casework.cases.models import Case, CaseParty, CaseType, PartyRole
from casework.clock import ZONE
from casework.demo import load_demo
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel, RiskMatrix, SlaClock
from casework.victims.services import riskmatrix

LONDON = ZONE


def quarter_before(now: datetime) -> tuple[datetime, datetime]:
    """The financial quarter (Q1 April-June ... Q4 January-March) before the current one."""
    local = now.astimezone(LONDON).date()
    starts = [(year, month) for year in (local.year - 1, local.year) for month in (1, 4, 7, 10)]
    current = max(i for i, (year, month) in enumerate(starts) if (year, month) <= (local.year, local.month))
    (y0, m0), (y1, m1) = starts[current - 1], starts[current]
    return datetime(y0, m0, 1, tzinfo=LONDON), datetime(y1, m1, 1, tzinfo=LONDON)


def figures(clocks: list[SlaClock], kind: ClockKind, now: datetime) -> dict:
    start, end = quarter_before(now)
    cohort = [c for c in clocks if c.kind is kind and start <= c.started_at < end]
    status = Counter(
        ("overdue" if c.due_at < now else "open") if c.outcome is ClockOutcome.OPEN else c.outcome.value for c in cohort
    )
    counted = status["met"] + status["met_late"] + status["overdue"] + status["overdue_at_closing"]
    return {
        "started": len(cohort),
        "victims": len({c.person_id for c in cohort}),
        "counted": counted,
        "met": status["met"],
        "rate": 100 * status["met"] / counted,
        "stopped": status["stopped"],
    }


def all_clocks() -> list[SlaClock]:
    return list(db.session.scalars(select(SlaClock)))


@pytest.mark.parametrize(
    "now",
    [
        None,  # whenever the suite runs
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # half an hour into Q1 (00:30 BST on 1 April)
        datetime(2027, 1, 3, 12, 0, tzinfo=UTC),  # the third day of Q4
        datetime(2026, 10, 5, 8, 0, tzinfo=UTC),  # the fifth day of Q3
        datetime(2026, 8, 20, 8, 0, tzinfo=UTC),  # mid-quarter
    ],
    ids=["today", "q1-first-hour", "q4-day-3", "q3-day-5", "mid-quarter"],
)
def test_the_last_complete_quarter_looks_like_the_source_reports(demo, now):
    """Even in the first days of a quarter, when clocks due now started in the last one."""
    now = demo(now)
    clocks = all_clocks()
    conference = figures(clocks, ClockKind.CONFERENCE_72H, now)
    reduction = figures(clocks, ClockKind.REDUCE_7D, now)
    assert abs(conference["rate"] - 74) <= 2, conference
    assert abs(conference["counted"] - 18) <= 2, conference
    assert abs(reduction["rate"] - 78) <= 2, reduction
    assert abs(reduction["counted"] - 14) <= 1, reduction
    assert 17 <= conference["victims"] <= 22
    # The victims whose reduction does not count left the case or saw it closed first.
    assert reduction["stopped"] >= 3


def test_mid_quarter_the_figures_are_14_of_19_and_11_of_14(demo):
    now = demo(datetime(2026, 8, 20, 8, 0, tzinfo=UTC))
    clocks = all_clocks()
    conference, reduction = figures(clocks, ClockKind.CONFERENCE_72H, now), figures(clocks, ClockKind.REDUCE_7D, now)
    assert conference == {"started": 19, "victims": 19, "counted": 19, "met": 14, "rate": 100 * 14 / 19, "stopped": 0}
    assert reduction == {"started": 19, "victims": 19, "counted": 14, "met": 11, "rate": 100 * 11 / 14, "stopped": 5}
    assert (round(conference["rate"]), round(reduction["rate"])) == (74, 79)


def test_the_high_risk_victims_are_victims_of_victim_cases_spread_across_lead_agencies(demo):
    now = demo()
    start, end = quarter_before(now)
    cohort = [c for c in all_clocks() if start <= c.started_at < end]
    cases = {case.id: case for case in db.session.scalars(select(Case).where(Case.id.in_({c.case_id for c in cohort})))}
    assert {case.case_type for case in cases.values()} == {CaseType.VICTIM}
    assert len({case.lead_agency_id for case in cases.values()}) >= 4
    victims = set(
        db.session.execute(select(CaseParty.case_id, CaseParty.person_id).where(CaseParty.role == PartyRole.VICTIM))
    )
    assert {(c.case_id, c.person_id) for c in cohort} <= victims


def test_every_assessment_scores_what_its_answers_give_with_its_matrix(demo):
    demo()
    matrices = {m.id: riskmatrix.parse(m.definition) for m in db.session.scalars(select(RiskMatrix))}
    assert [m.name for m in matrices.values()] == ["Casework default ASB victim risk matrix"]
    assessments = list(db.session.scalars(select(RiskAssessment)))
    assert len(assessments) >= 40
    for assessment in assessments:
        result = riskmatrix.score(matrices[assessment.matrix_id], assessment.answers)
        assert (assessment.score, assessment.computed_level) == (result.score, result.level)
        assert assessment.level is (assessment.override_level or result.level)
        if assessment.override_level:
            assert assessment.override_level.rank > result.level.rank and assessment.override_reason
    levels = Counter(a.level for a in assessments)
    assert levels[RiskLevel.HIGH] >= 19 and levels[RiskLevel.MEDIUM] >= 14 and levels[RiskLevel.STANDARD] >= 1
    high_by_critical = [a for a in assessments if a.computed_level is RiskLevel.HIGH and a.score < 22]
    assert high_by_critical, "some victims are high because of a critical answer"
    # Every clock was started by a high assessment of that victim.
    started_by = {a.id: a for a in assessments}
    for clock in all_clocks():
        assessment = started_by[clock.started_by_assessment_id]
        assert (assessment.level, assessment.person_id, assessment.assessed_at) == (
            RiskLevel.HIGH,
            clock.person_id,
            clock.started_at,
        )


def test_loading_the_demo_again_adds_no_victims_or_clocks(app, demo):
    demo()
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (RiskAssessment, SlaClock, RiskMatrix, Agency)
    ]
    with app.app_context():
        assert load_demo() is False
        db.session.commit()
    assert [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (RiskAssessment, SlaClock, RiskMatrix, Agency)
    ] == counts
