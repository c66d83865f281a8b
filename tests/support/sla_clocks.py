"""SLA clock rows written straight to the database, for the dashboard's figures.

The dashboard reads only ``sla_clocks``, so its tests build the rows they need (with
the high assessment each clock must point at) rather than replaying assessments and
conferences through the services; the rules that derive clocks have tests of their own.
"""

from datetime import datetime, timedelta

from casework import db
from casework.cases.models import Case
from casework.people.models import Person
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel, SlaClock
from casework.victims.services import risk, sla


def make_clock(
    *,
    case: Case,
    person: Person,
    started_at: datetime,
    kind: ClockKind = ClockKind.CONFERENCE_72H,
    outcome: ClockOutcome = ClockOutcome.OPEN,
    due_at: datetime | None = None,
    met_at: datetime | None = None,
    stopped_at: datetime | None = None,
    stop_reason: str = "",
    commit: bool = True,
) -> SlaClock:
    """A clock of ``kind``; ``met_at`` defaults to an hour after the start for met and met
    late clocks, ``stopped_at`` to an hour after the start for stopped clocks and an hour
    after the due time for clocks overdue at closing."""
    assessment = RiskAssessment(
        case_id=case.id,
        person_id=person.id,
        matrix_id=risk.current_matrix().id,
        answers={},
        score=30,
        computed_level=RiskLevel.HIGH,
        level=RiskLevel.HIGH,
        assessed_at=started_at,
        assessed_by_id=case.opened_by_id,
    )
    db.session.add(assessment)
    db.session.flush()
    if outcome in (ClockOutcome.MET, ClockOutcome.MET_LATE) and met_at is None:
        met_at = started_at + timedelta(hours=1)
    if outcome is ClockOutcome.STOPPED and stopped_at is None:
        stopped_at = started_at + timedelta(hours=1)
    if outcome is ClockOutcome.OVERDUE_AT_CLOSING and stopped_at is None:
        stopped_at = (due_at or started_at + sla.rules().duration(kind)) + timedelta(hours=1)
    clock = SlaClock(
        kind=kind,
        case_id=case.id,
        person_id=person.id,
        started_at=started_at,
        due_at=due_at or started_at + sla.rules().duration(kind),
        outcome=outcome,
        met_at=met_at,
        stopped_at=stopped_at,
        stop_reason=stop_reason or ("Case closed: no further incidents" if stopped_at else ""),
        started_by_assessment_id=assessment.id,
    )
    db.session.add(clock)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return clock


def make_clock_due(
    *, case: Case, person: Person, due_at: datetime, kind: ClockKind = ClockKind.CONFERENCE_72H
) -> SlaClock:
    """An open clock due at ``due_at`` (started the kind's duration before it)."""
    return make_clock(
        case=case, person=person, kind=kind, started_at=due_at - sla.rules().duration(kind), due_at=due_at
    )
