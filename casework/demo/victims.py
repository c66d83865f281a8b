"""Demo high-risk victims and their SLA clocks: the last complete quarter's figures look
like the source reports, and whenever the demo loads there are clocks due soon and
overdue. Every assessment, conference and stop goes through the service a form calls."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.cases.models import Case, CaseParty, CaseType, PartyRole
from casework.cases.services import commands as cases
from casework.clock import ZONE
from casework.demo import casebook
from casework.demo.casebook import PLACES, VICTIM_TITLES
from casework.demo.past import recorded_at
from casework.people import services as people
from casework.victims.models import ClockKind, ClockOutcome, RiskLevel, RiskMatrix
from casework.victims.services import conferences, risk, riskmatrix, sla

# The last complete quarter looks like the source reports: a case conference within
# 72 hours for 74 percent of 19 high-risk victims (14 on time, 5 late), and the risk
# brought down within 7 days for 78.6 percent of 14 (11 on time, 3 late; the other
# victims left the case or their case closed first, so those clocks stopped).
CONFERENCES_ON_TIME, CONFERENCES_LATE = 14, 5
REDUCED_ON_TIME, REDUCED_LATE = 11, 3

CONFERENCE_OUTCOMES = [
    "Joint visit by police and housing agreed; CCTV and a target-hardening visit offered.",
    "Community Protection Warning to be served on the perpetrator; victim referred to victim support.",
    "Safety plan agreed with the victim; extra police patrols for two weeks.",
    "Housing to consider a management move; fire and rescue home safety visit booked.",
    "Mediation ruled out; tenancy enforcement to start; weekly welfare calls by the ASB officer.",
]
STOP_REASONS = {
    "removed": "Moved out of the area; referred to the receiving partnership",
    "closed": "Victim rehoused out of the district",
}
OVERRIDE_REASON = "The victim's carer has moved away and the perpetrator lives next door"


def last_complete_quarter(now: datetime) -> tuple[datetime, datetime]:
    """The financial quarter before the one ``now`` falls in, bounded at local midnight.

    Financial quarters start in April, July, October and January, as calendar quarters do.
    """
    local = now.astimezone(ZONE)
    month = (local.month - 1) // 3 * 3 + 1
    current = datetime(local.year, month, 1, tzinfo=ZONE)
    previous = datetime(local.year - (month == 1), (month - 4) % 12 + 1, 1, tzinfo=ZONE)
    return previous.astimezone(UTC), current.astimezone(UTC)


@dataclass
class _Episode:
    """One victim's high-risk episode as it will be recorded."""

    start: datetime
    lead: User
    conference: datetime | None = None
    reduced: datetime | None = None
    stop: datetime | None = None
    stop_kind: str = ""  # "removed" or "closed"
    override: bool = False

    def clocks(self, rules: sla.SlaRules) -> list[sla.Clock]:
        assessments = [sla.Assessed(self.start, RiskLevel.HIGH, 1)]
        if self.reduced:
            assessments.append(sla.Assessed(self.reduced, RiskLevel.MEDIUM, 2))
        stops = [sla.Stopped(self.stop, self.stop_kind)] if self.stop else []
        return sla.derive_clocks(assessments, [self.conference] if self.conference else [], stops, rules)


def _counted(clock: sla.Clock, now: datetime) -> str | None:
    """How a clock counts towards a compliance rate at ``now``: on time, not, or not at all."""
    if clock.outcome is ClockOutcome.MET:
        return "met"
    if clock.outcome is ClockOutcome.MET_LATE or (clock.outcome is ClockOutcome.OPEN and clock.due_at < now):
        return "missed"
    return None


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _between(
    low: datetime, high: datetime | None, *, include_low: bool = True, include_high: bool = True
) -> Callable[[datetime], bool]:
    """Whether a moment lies between ``low`` and ``high`` (no upper bound when None)."""

    def within(at: datetime) -> bool:
        above = low <= at if include_low else low < at
        below = high is None or (at <= high if include_high else at < high)
        return above and below

    return within


def _office_hours(at: datetime, keep: Callable[[datetime], bool]) -> datetime:
    """The time moved into the working day (local), unless that would change what it means."""
    local = at.astimezone(ZONE)
    if local.hour < 9:
        local = local.replace(hour=9, minute=30)
    elif local.hour >= 17:
        local = local.replace(hour=16, minute=15)
    moved = _minute(local.astimezone(UTC))
    return moved if keep(moved) else _minute(at)


def _plan(rng: random.Random, now: datetime, officers: list[User], rules: sla.SlaRules) -> list[_Episode]:
    """The last quarter's episodes, made up to its planned figures, then those live now."""
    live = _live_episodes(now, officers, rules)
    conference, reduction = _outcomes_to_plan(rng, now, live, rules)
    # Spread over the quarter, leaving time for everything to have happened by its end.
    quarter_start, quarter_end = last_complete_quarter(now)
    first, last = quarter_start + timedelta(days=1), quarter_end - timedelta(days=12)
    step = (last - first) / len(conference)
    planned = []
    for n, (held, reduced) in enumerate(zip(conference, reduction, strict=True)):
        day = (first + step * n).astimezone(ZONE)
        start = _minute(day.replace(hour=rng.randint(9, 16), minute=rng.choice([0, 15, 30, 45])).astimezone(UTC))
        episode = _Episode(start, officers[n % len(officers)], override=n == 4)
        episode.conference = _conference_at(rng, start, rules, on_time=held == "met")
        _reduce_or_stop(rng, episode, rules, how=reduced, stop_kind="removed" if n % 2 else "closed")
        planned.append(episode)
    return planned + live


def _live_episodes(now: datetime, officers: list[User], rules: sla.SlaRules) -> list[_Episode]:
    """Relative to now: clocks due soon, overdue, and one just started."""
    conference_time, reduce_time = rules.duration(ClockKind.CONFERENCE_72H), rules.duration(ClockKind.REDUCE_7D)
    soon = min(timedelta(hours=rules.due_soon_hours), conference_time)
    member, chair, police, asb, fire = officers
    live = [
        _Episode(_minute(now - conference_time + soon / 2), member),  # conference due soon
        _Episode(_minute(now - conference_time + soon / 4), police),  # conference due soon
        _Episode(_minute(now - reduce_time + soon / 3), asb),  # conference held, reduction due soon
        _Episode(_minute(now - conference_time - timedelta(hours=5)), member),  # conference overdue
        _Episode(_minute(now - reduce_time - timedelta(hours=20)), chair),  # conference held, reduction overdue
        _Episode(_minute(now - timedelta(hours=6)), fire),  # just started
    ]
    live[2].conference = _minute(live[2].start + conference_time / 2)
    live[4].conference = _minute(live[4].start + conference_time * 0.6)
    return live


def _outcomes_to_plan(
    rng: random.Random, now: datetime, live: list[_Episode], rules: sla.SlaRules
) -> tuple[list[str], list[str]]:
    """Each planned victim's conference ("met" or "late") and reduction ("met", "late" or
    "stopped"), in a shuffled order.

    In the first days of a quarter some live episodes started in the last one: they count
    towards its figures, so the planned victims make up only the rest."""
    quarter_start, quarter_end = last_complete_quarter(now)
    tally = {(kind, how): 0 for kind in ClockKind for how in ("met", "missed")}
    for episode in live:
        if quarter_start <= episode.start < quarter_end:
            for clock in episode.clocks(rules):
                if how := _counted(clock, now):
                    tally[clock.kind, how] += 1
    conference = ["met"] * (CONFERENCES_ON_TIME - tally[ClockKind.CONFERENCE_72H, "met"]) + ["late"] * (
        CONFERENCES_LATE - tally[ClockKind.CONFERENCE_72H, "missed"]
    )
    reduction = ["met"] * (REDUCED_ON_TIME - tally[ClockKind.REDUCE_7D, "met"]) + ["late"] * (
        REDUCED_LATE - tally[ClockKind.REDUCE_7D, "missed"]
    )
    reduction += ["stopped"] * (len(conference) - len(reduction))
    rng.shuffle(conference)
    rng.shuffle(reduction)
    return conference, reduction


def _conference_at(rng: random.Random, start: datetime, rules: sla.SlaRules, *, on_time: bool) -> datetime:
    """Within 72 hours of ``start``, or late but before the reduction falls due."""
    conference_time, reduce_time = rules.duration(ClockKind.CONFERENCE_72H), rules.duration(ClockKind.REDUCE_7D)
    due = start + conference_time
    if on_time:
        return _office_hours(start + conference_time * rng.uniform(0.2, 0.95), _between(start, due))
    late = start + conference_time + (reduce_time - conference_time) * rng.uniform(0.05, 0.3)
    return _office_hours(late, _between(due, start + reduce_time, include_low=False, include_high=False))


def _reduce_or_stop(rng: random.Random, episode: _Episode, rules: sla.SlaRules, *, how: str, stop_kind: str) -> None:
    """The risk brought down within 7 days of the start ("met"), after ("late"), or the
    clock stopped before then ("stopped", by ``stop_kind``)."""
    if episode.conference is None:
        raise ValueError("a planned episode has its conference before its reduction")
    due = episode.start + rules.duration(ClockKind.REDUCE_7D)
    if how == "met":
        earliest = min(episode.conference + timedelta(hours=6), due - timedelta(hours=2))
        at = earliest + (due - timedelta(hours=1) - earliest) * rng.uniform(0.1, 0.9)
        episode.reduced = _office_hours(at, _between(earliest, due))
    elif how == "late":
        episode.reduced = _office_hours(
            due + timedelta(hours=rng.randint(4, 72)), _between(due, None, include_low=False)
        )
    else:
        after = episode.conference + timedelta(minutes=1)
        at = after + (due - after) * rng.uniform(0.2, 0.8)
        episode.stop = _office_hours(at, _between(after, due, include_high=False))
        episode.stop_kind = stop_kind


def _answers(
    rng: random.Random,
    matrix: riskmatrix.Matrix,
    level: RiskLevel,
    *,
    like: dict[str, str] | None = None,
    critical: bool = False,
) -> dict[str, str]:
    """Answers to every question that score ``level`` (with a critical answer if asked).

    ``like``: earlier answers about the same victim; what is said about the victim
    stays the same, and the behaviour and its impact are no worse.
    """
    about_victim = {q.id for group in matrix.groups if "victim" in group.title.lower() for q in group.questions}
    # The lower the level, the more questions get their lowest answer; a critical answer
    # is there to show a victim who is high risk at a score below the threshold.
    lowest = 0.55 if critical else {RiskLevel.HIGH: 0.0, RiskLevel.MEDIUM: 0.4, RiskLevel.STANDARD: 0.75}[level]
    for attempt in range(3000):
        chosen = {}
        for question in matrix.questions:
            options = [o for o in question.options if not o.critical] or list(question.options)
            earlier = question.option(like[question.id]) if like and attempt < 300 else None
            if earlier and question.id in about_victim:
                options = [earlier]
            elif earlier:
                options = [o for o in options if o.points <= earlier.points] or options
            options.sort(key=lambda o: o.points)
            chosen[question.id] = options[0].id if rng.random() < lowest else rng.choice(options).id
        if critical:
            question, option = rng.choice([(q, o) for q in matrix.questions for o in q.options if o.critical])
            chosen[question.id] = option.id
        if riskmatrix.score(matrix, chosen).level is level:
            return chosen
    raise RuntimeError(f"the risk matrix gives no {level.value} answers for the demo")


def load_high_risk_victims(
    rng: random.Random,
    now: datetime,
    *,
    agencies: dict[str, Agency],
    officers: list[User],
    manager: User,
) -> None:
    """Victims whose risk was assessed high, with their conferences, reductions and
    stops, so the SLA figures of the last quarter, and the clocks due now, look real.

    Assessments, conferences, removals and closures are recorded through the services a
    user's form calls, so the clocks are the ones those services start, meet and stop.
    """
    victims = _HighRiskVictims.of(rng, now, agencies, manager)
    for n, episode in enumerate(_plan(rng, now, officers, victims.rules)):
        case, victim, involved = victims.open_case(n, episode)
        victims.assess_risk(n, episode, case, victim.person_id)
        if episode.conference:
            victims.hold_conference(n, episode.lead, episode.conference, case, involved)
        if episode.stop:
            victims.stop(episode, case, victim)


@dataclass
class _HighRiskVictims:
    """What recording each high-risk victim's episode needs, through the services."""

    rng: random.Random
    now: datetime
    stored: RiskMatrix
    matrix: riskmatrix.Matrix
    rules: sla.SlaRules
    manager: User
    police: Agency
    housing: Agency
    others: list[Agency]  # the other statutory agencies

    @classmethod
    def of(cls, rng: random.Random, now: datetime, agencies: dict[str, Agency], manager: User) -> "_HighRiskVictims":
        stored = risk.current_matrix()
        police, housing = agencies["Cambridgeshire Constabulary"], agencies["Roddons Housing Association"]
        others = [a for a in agencies.values() if a.statutory and a.id not in (police.id, housing.id)]
        return cls(rng, now, stored, riskmatrix.parse(stored.definition), sla.rules(), manager, police, housing, others)

    def open_case(self, n: int, episode: _Episode) -> tuple[Case, CaseParty, set[int]]:
        """The victim's case, opened by their lead some days before the risk was high,
        with the victim, a perpetrator and the agencies involved."""
        rng, lead = self.rng, episode.lead
        opened = _minute(episode.start - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 5)))
        case = casebook.open_case(
            lead, opened, case_type=CaseType.VICTIM, title=VICTIM_TITLES[n % len(VICTIM_TITLES)],
            summary="High-risk victim referred to the Problem Solving Group for a case conference.",
            place=casebook.Place(*rng.choice(PLACES)),
        )  # fmt: skip
        victim = casebook.add_person(case, PartyRole.VICTIM, casebook.invent_person(rng), by=lead, at=opened)
        casebook.add_person(case, PartyRole.PERPETRATOR, casebook.invent_person(rng), by=lead, at=opened)
        involved = {lead.agency_id, self.police.id, (self.housing if n % 3 == 0 else rng.choice(self.others)).id}
        casebook.involve(case, involved, by=self.manager, at=opened)
        return case, victim, involved

    def assess_risk(self, n: int, episode: _Episode, case: Case, victim: int) -> None:
        """Sometimes medium when the case opened, then high; brought down later."""
        rng, matrix, lead = self.rng, self.matrix, episode.lead
        if episode.override:  # scored medium, raised to high on professional judgement
            high = _answers(rng, matrix, RiskLevel.MEDIUM)
        else:
            high = _answers(rng, matrix, RiskLevel.HIGH, critical=n % 3 == 1)
            if n % 2 == 0:
                earlier = _answers(rng, matrix, RiskLevel.MEDIUM, like=high)
                self.assessed(case, victim, lead, case.opened_at + timedelta(hours=2), earlier)
        self.assessed(case, victim, lead, episode.start, high, override=episode.override)
        if episode.reduced:
            lower = _answers(rng, matrix, RiskLevel.MEDIUM, like=high)
            self.assessed(case, victim, lead, episode.reduced, lower)
            follow_up = episode.reduced + timedelta(days=rng.randint(14, 28))
            if n % 3 == 0 and follow_up < self.now:
                standard = _answers(rng, matrix, RiskLevel.STANDARD, like=lower)
                self.assessed(case, victim, lead, follow_up, standard)

    def assessed(
        self, case: Case, victim: int, by: User, at: datetime, answers: dict[str, str], *, override: bool = False
    ) -> None:
        # Recorded through the assessment form's service, a little after it was made.
        with recorded_at(min(at + timedelta(minutes=self.rng.randint(5, 90)), self.now)):
            risk.record_assessment(
                by, case.reference, victim, matrix_id=self.stored.id, answers=answers, assessed_at=at,
                override_level=RiskLevel.HIGH if override else None, override_reason=OVERRIDE_REASON if override else "",
            )  # fmt: skip

    def hold_conference(self, n: int, lead: User, held_at: datetime, case: Case, involved: set[int]) -> None:
        absent = [a.id for a in self.others if a.id not in involved][: n % 2]
        with recorded_at(min(held_at + timedelta(hours=self.rng.randint(1, 6)), self.now)):
            conferences.record_conference(
                lead, case.reference, held_at=held_at, present=sorted(involved), apologies=absent,
                outcome=self.rng.choice(CONFERENCE_OUTCOMES),
            )  # fmt: skip

    def stop(self, episode: _Episode, case: Case, victim: CaseParty) -> None:
        """The victim leaves the case, or the case closes, before the risk comes down."""
        if episode.stop is None:
            raise ValueError("only an episode with a stop stops")
        reason = STOP_REASONS[episode.stop_kind]
        with recorded_at(episode.stop):
            if episode.stop_kind == "removed":
                people.remove_from_case(episode.lead, case.reference, party_id=victim.id, reason=reason)
            else:
                cases.close_case(episode.lead, case.reference, version=case.version, reason=reason)
