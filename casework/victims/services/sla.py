"""The victim SLA clocks (DESIGN.md section 3.2).

A high-risk episode starts two clocks: a case conference within 72 hours, and the risk
brought down to medium within 7 days. Clocks follow the recorded times, not the order
things were typed in: whenever an assessment, a conference or a stop is recorded, the
victim's clocks are derived again from the whole history (``derive_clocks``, a pure
function) and the stored rows are brought in line (``recompute``).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from casework import db
from casework.meetings.models import Meeting, MeetingKind
from casework.victims.models import (
    ClockKind,
    ClockOutcome,
    ClockStatus,
    RiskAssessment,
    RiskLevel,
    SlaClock,
    SlaStop,
)


@dataclass(frozen=True)
class SlaRules:
    """Durations are elapsed hours: 72 hours is 72 real hours across a clock change."""

    conference_hours: int = 72
    reduce_hours: int = 168
    due_soon_hours: int = 24
    target_percent: int = 85

    @classmethod
    def from_config(cls, config: Any) -> "SlaRules":
        return cls(
            conference_hours=int(config.get("SLA_CONFERENCE_HOURS", cls.conference_hours)),
            reduce_hours=int(config.get("SLA_REDUCE_HOURS", cls.reduce_hours)),
            due_soon_hours=int(config.get("SLA_DUE_SOON_HOURS", cls.due_soon_hours)),
            target_percent=int(config.get("SLA_TARGET_PERCENT", cls.target_percent)),
        )

    def duration(self, kind: ClockKind) -> timedelta:
        hours = self.conference_hours if kind is ClockKind.CONFERENCE_72H else self.reduce_hours
        return timedelta(hours=hours)


_rules = SlaRules()


def configure(rules: SlaRules) -> None:
    """Set the rules for this process (create_app does, from the configuration)."""
    global _rules
    _rules = rules


def rules() -> SlaRules:
    return _rules


# --- Deriving clocks from events (pure) ----------------------------------------------


@dataclass(frozen=True)
class Assessed:
    at: datetime
    level: RiskLevel
    assessment_id: int


@dataclass(frozen=True)
class Stopped:
    at: datetime
    reason: str


@dataclass
class Clock:
    kind: ClockKind
    started_at: datetime
    due_at: datetime
    started_by_assessment_id: int
    outcome: ClockOutcome = ClockOutcome.OPEN
    met_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: str = ""

    def meet(self, at: datetime) -> None:
        self.outcome = ClockOutcome.MET if at <= self.due_at else ClockOutcome.MET_LATE
        self.met_at = at

    def stop(self, at: datetime, reason: str) -> None:
        # Already past due, it stays a breach: only a clock not yet due stops counting.
        self.outcome = ClockOutcome.OVERDUE_AT_CLOSING if at > self.due_at else ClockOutcome.STOPPED
        self.stopped_at, self.stop_reason = at, reason


# At the same instant: an assessment first (a conference at the very start of an
# episode counts), then a conference, then a stop.
_ASSESSED, _CONFERENCE, _STOPPED = 0, 1, 2


def derive_clocks(
    assessments: list[Assessed], conferences: list[datetime], stops: list[Stopped], rules: SlaRules
) -> list[Clock]:
    """A victim's clocks, worked out from everything recorded about them, in time order.

    Times are taken in UTC, so durations are elapsed hours whatever zone they come in.
    """
    timeline: list[tuple[datetime, int, int, Any]] = []
    timeline += [(a.at.astimezone(UTC), _ASSESSED, a.assessment_id, a) for a in assessments]
    timeline += [(held_at.astimezone(UTC), _CONFERENCE, 0, held_at) for held_at in conferences]
    timeline += [(s.at.astimezone(UTC), _STOPPED, 0, s) for s in stops]
    timeline.sort(key=lambda event: event[:3])

    clocks: list[Clock] = []
    reduce_clock: Clock | None = None  # the open episode's 7-day clock; None: no episode open
    for at, kind, _, event in timeline:
        if kind == _ASSESSED:
            if event.level is RiskLevel.HIGH and reduce_clock is None:
                conference = Clock(
                    ClockKind.CONFERENCE_72H, at, at + rules.duration(ClockKind.CONFERENCE_72H), event.assessment_id
                )
                reduce_clock = Clock(
                    ClockKind.REDUCE_7D, at, at + rules.duration(ClockKind.REDUCE_7D), event.assessment_id
                )
                clocks += [conference, reduce_clock]
            elif event.level is not RiskLevel.HIGH and reduce_clock is not None:
                reduce_clock.meet(at)  # a medium or standard assessment ends the episode
                reduce_clock = None
        elif kind == _CONFERENCE:
            # Bringing the risk down does not stop the conference clock: the victim is
            # still owed the conference, so any open one is met, late or not.
            for clock in clocks:
                if clock.kind is ClockKind.CONFERENCE_72H and clock.outcome is ClockOutcome.OPEN:
                    clock.meet(at)
        else:
            for clock in clocks:
                if clock.outcome is ClockOutcome.OPEN:
                    clock.stop(at, event.reason)
            reduce_clock = None
    return clocks


# --- Keeping the stored clocks in line ---------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """Everything recorded about one victim on one case that the clocks follow."""

    assessments: list[Assessed]
    conferences: list[datetime]
    stops: list[Stopped]

    def clocks(self, rules: SlaRules | None = None) -> list[Clock]:
        return derive_clocks(self.assessments, self.conferences, self.stops, rules or _rules)

    def latest(self) -> datetime | None:
        """The time of the latest thing recorded, if anything is."""
        times = [a.at for a in self.assessments] + self.conferences + [s.at for s in self.stops]
        return max(times, default=None)


def timeline(case_id: int, person_id: int) -> Timeline:
    """One victim's recorded events on one case, read from the database."""
    assessments = [
        Assessed(at, level, assessment_id)
        for assessment_id, at, level in db.session.execute(
            select(RiskAssessment.id, RiskAssessment.assessed_at, RiskAssessment.level).where(
                RiskAssessment.case_id == case_id, RiskAssessment.person_id == person_id
            )
        )
    ]
    conferences = list(
        db.session.scalars(
            select(Meeting.held_at).where(Meeting.case_id == case_id, Meeting.kind == MeetingKind.CASE_CONFERENCE)
        )
    )
    stops = [
        Stopped(at, reason)
        for at, reason in db.session.execute(
            select(SlaStop.stopped_at, SlaStop.reason).where(
                SlaStop.case_id == case_id, or_(SlaStop.person_id.is_(None), SlaStop.person_id == person_id)
            )
        )
    ]
    return Timeline(assessments, conferences, stops)


def recompute(case_id: int, person_id: int) -> list[SlaClock]:
    """Derive one victim's clocks on one case again and store the result.

    Rows are matched on (kind, the assessment that started them), so a clock that
    has not changed keeps its id.
    """
    derived = {(c.kind, c.started_by_assessment_id): c for c in timeline(case_id, person_id).clocks()}
    stored = {
        (row.kind, row.started_by_assessment_id): row
        for row in db.session.scalars(
            select(SlaClock).where(SlaClock.case_id == case_id, SlaClock.person_id == person_id)
        )
    }
    for key, row in stored.items():
        if key not in derived:
            db.session.delete(row)
    rows = []
    for key, clock in derived.items():
        row = stored.get(key) or SlaClock(case_id=case_id, person_id=person_id)
        if key not in stored:
            db.session.add(row)
        row.kind, row.started_by_assessment_id = clock.kind, clock.started_by_assessment_id
        row.started_at, row.due_at, row.outcome = clock.started_at, clock.due_at, clock.outcome
        row.met_at, row.stopped_at, row.stop_reason = clock.met_at, clock.stopped_at, clock.stop_reason
        rows.append(row)
    db.session.flush()
    return rows


def recompute_case(case_id: int) -> None:
    """Every assessed victim of the case (after a conference, or the case closing)."""
    person_ids = db.session.scalars(
        select(RiskAssessment.person_id).where(RiskAssessment.case_id == case_id).distinct()
    )
    for person_id in list(person_ids):
        recompute(case_id, person_id)


def stop(case_id: int, person_id: int | None, *, at: datetime, reason: str) -> None:
    """Record what stops open clocks (the case closed, a victim taken off it) and apply it."""
    db.session.add(SlaStop(case_id=case_id, person_id=person_id, stopped_at=at, reason=reason))
    db.session.flush()
    if person_id is None:
        recompute_case(case_id)
    else:
        recompute(case_id, person_id)


def status_at(clock: SlaClock, now: datetime) -> ClockStatus:
    """A stored clock's status at ``now``: an open clock is pending, due soon or overdue."""
    if clock.outcome is not ClockOutcome.OPEN:
        return ClockStatus(clock.outcome.value)
    if clock.due_at < now:
        return ClockStatus.OVERDUE
    if clock.due_at <= now + timedelta(hours=_rules.due_soon_hours):
        return ClockStatus.DUE_SOON
    return ClockStatus.PENDING


def open_or_overdue_at_closing_clocks(case_id: int) -> dict[int, list[SlaClock]]:
    """The clocks the case page shows under each victim, in one query: the open ones,
    soonest due first, then those that were overdue when the case closed (the case
    page of a closed case still shows the breaches it closed with)."""
    clocks: dict[int, list[SlaClock]] = {}
    rows = db.session.scalars(
        select(SlaClock)
        .where(
            SlaClock.case_id == case_id,
            SlaClock.outcome.in_((ClockOutcome.OPEN, ClockOutcome.OVERDUE_AT_CLOSING)),
        )
        .order_by(SlaClock.outcome != ClockOutcome.OPEN, SlaClock.due_at, SlaClock.id)
    )
    for clock in rows:
        clocks.setdefault(clock.person_id, []).append(clock)
    return clocks


def latest_assessments(case_id: int) -> dict[int, RiskAssessment]:
    """Each victim's latest assessment on the case (by when it was made), in one query."""
    latest = (
        select(RiskAssessment.person_id, func.max(RiskAssessment.assessed_at).label("at"))
        .where(RiskAssessment.case_id == case_id)
        .group_by(RiskAssessment.person_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(RiskAssessment)
        .join(latest, (latest.c.person_id == RiskAssessment.person_id) & (latest.c.at == RiskAssessment.assessed_at))
        .where(RiskAssessment.case_id == case_id)
        .order_by(RiskAssessment.id)
    )
    return {assessment.person_id: assessment for assessment in rows}
