"""The fictional demo partnership that `make run` loads.

Agency kinds, towns and wards follow the source reports of Fenland and South and East
Cambridgeshire; every person, address and officer is invented.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import hash_password
from casework.agencies.models import Agency, AgencyKind
from casework.audit.models import AuditEvent
from casework.cases import services as cases
from casework.cases.models import (
    Case,
    CaseParty,
    CaseType,
    NoteKind,
    PartyRole,
)
from casework.clock import ZONE, utcnow
from casework.demo import casebook
from casework.demo.past import recorded_at
from casework.demo.premises import load_premises
from casework.demo.work import load_partnership_work
from casework.meetings.models import Meeting, MeetingKind
from casework.meetings.services import agenda
from casework.people import services as people
from casework.permissions import Role
from casework.premises.models import Premises
from casework.victims.models import ClockKind, ClockOutcome, RiskLevel, RiskMatrix
from casework.victims.services import conferences, risk, riskmatrix, sla

DEMO_PASSWORD = "casework-demo"  # nosec B105: the demo accounts' published password, only in demo data

AGENCIES = [
    ("Fenland District Council", AgencyKind.COUNCIL, True),
    ("Cambridgeshire Constabulary", AgencyKind.POLICE, True),
    ("Cambridgeshire County Council", AgencyKind.COUNTY, True),
    ("Cambridgeshire Fire and Rescue Service", AgencyKind.FIRE, True),
    ("Roddons Housing Association", AgencyKind.HOUSING, False),
    ("Fenland Health Partnership", AgencyKind.HEALTH, True),
    ("Probation Service", AgencyKind.PROBATION, True),
    ("Fenland Community Support", AgencyKind.VOLUNTARY, False),
    ("East of England Ambulance Service", AgencyKind.HEALTH, True),
]

# (email, name, role, agency)
DEMO_ACCOUNTS = [
    ("member@demo.test", "Sam Ashby", Role.PSG_MEMBER, "Roddons Housing Association"),
    ("chair@demo.test", "Priya Holloway", Role.PSG_CHAIR, "Fenland District Council"),
    ("licensing@demo.test", "Tom Reddick", Role.LICENSING_OFFICER, "Fenland District Council"),
    ("manager@demo.test", "Helen Marsh", Role.MANAGER, "Fenland District Council"),
    ("partner@demo.test", "Jo Pickering", Role.PARTNER, "Fenland Community Support"),
    ("analyst@demo.test", "Ravi Okafor", Role.ANALYST, "Cambridgeshire County Council"),
    ("admin@demo.test", "Chris Allerton", Role.ADMIN, "Fenland District Council"),
]

OFFICERS = [
    ("pc.dunmore@demo.test", "PC Lee Dunmore", Role.PSG_MEMBER, "Cambridgeshire Constabulary"),
    ("asb.officer@demo.test", "Amira Castell", Role.PSG_MEMBER, "Fenland District Council"),
    ("fire.safety@demo.test", "Gareth Wyn", Role.PSG_MEMBER, "Cambridgeshire Fire and Rescue Service"),
]

PLACES = [
    ("Fenland", "Wisbech", "Waterlees"),
    ("Fenland", "Wisbech", "Medworth"),
    ("Fenland", "Wisbech", "Roman Bank"),
    ("Fenland", "March", "March West"),
    ("Fenland", "March", "March North"),
    ("Fenland", "Whittlesey", "Bassenhally"),
    ("Fenland", "Chatteris", "Wenny"),
    ("Fenland", "Manea", "Manea"),
]

VICTIM_TITLES = [
    "Repeated noise and verbal abuse from neighbours",
    "Threats and intimidation at home",
    "Hate-motivated harassment",
    "Vulnerable adult targeted by youths",
    "Criminal damage to property and car",
    "Cuckooing concerns, vulnerable tenant",
]
PERPETRATOR_TITLES = [
    "Young person, ASB in town centre, ABC in place",
    "Street drinking and abuse, repeat",
    "Moped riding and intimidation",
    "Persistent noise nuisance, tenancy warning",
]
PLACE_TITLES = [
    "Street drinking in the park",
    "Youths gathering and fire-setting at the recreation ground",
    "Fly-tipping behind the shops",
    "Drug paraphernalia in the alleyway",
]
CASE_SUMMARY = (
    "Referred to the Problem Solving Group. Partners are sharing information under the partnership's "
    "information sharing agreement."
)
PARTY_ROLES = {
    CaseType.VICTIM: [PartyRole.VICTIM, PartyRole.PERPETRATOR, PartyRole.WITNESS],
    CaseType.PERPETRATOR: [PartyRole.PERPETRATOR, PartyRole.COMPLAINANT],
    CaseType.PLACE: [PartyRole.COMPLAINANT, PartyRole.PERPETRATOR],
    CaseType.FAMILY: [PartyRole.FAMILY_MEMBER, PartyRole.FAMILY_MEMBER, PartyRole.FAMILY_MEMBER],
}
NOTES = [
    (NoteKind.CONTACT, "Visited the victim at home. They reported two further incidents since last week."),
    (NoteKind.INCIDENT, "Police attended after a report of shouting and a broken window. No arrests."),
    (NoteKind.NOTE, "Housing officer to review tenancy conditions with the perpetrator's landlord."),
    (NoteKind.DECISION, "PSG agreed: joint visit by police and housing within 7 days; referral to victim support."),
    (NoteKind.CONTACT, "Phone call with the victim: feels safer since the CCTV was installed."),
    (NoteKind.NOTE, "Fire and rescue offered a home safety visit; accepted for next Tuesday."),
]


def _exempt_demo_accounts() -> None:
    """A demo database loaded before accounts had a second factor: its accounts, whose
    password is published, are exempt, as in a fresh load. Only where the demo loader
    itself created them."""
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb == "demo.loaded")) is None:
        return
    emails = [email for email, *_ in DEMO_ACCOUNTS + OFFICERS]
    db.session.execute(update(User).where(User.email.in_(emails), User.mfa_exempt.is_(False)).values(mfa_exempt=True))


# The PSG members who open the casebook's cases in turn, and the demo's high-risk victims' officers.
PSG_MEMBERS = [
    "member@demo.test",
    "chair@demo.test",
    "pc.dunmore@demo.test",
    "asb.officer@demo.test",
    "fire.safety@demo.test",
]


def load_demo(*, seed: int = 2026, now: datetime | None = None) -> bool:
    """Create the demo partnership unless it is already there. Returns whether it did.

    Everything is placed relative to ``now`` (the time it loads, unless given).
    """
    if db.session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0][0])) is not None:
        _exempt_demo_accounts()
        return False
    rng = random.Random(seed)  # nosec B311: seeded for repeatable demo data, not for security
    now = now or utcnow()
    agencies = _load_agencies()
    staff = _load_staff(agencies)
    members = [staff[email] for email in PSG_MEMBERS]
    manager = staff["manager@demo.test"]
    _load_casebook(rng, now, agencies=agencies, members=members, manager=manager)
    # Each part of the demo has its own seeded generator, so changing one leaves the rest as they were.
    victims_rng, premises_rng, work_rng = (random.Random(seed + n) for n in (1, 2, 3))  # nosec B311: seeded for repeatable demo data, not for security
    _load_high_risk_victims(victims_rng, now, agencies=agencies, officers=members, manager=manager)

    load_premises(premises_rng, now, agencies=agencies, officer=staff["licensing@demo.test"])
    _link_a_case_to_premises(now, agencies=agencies, opener=staff["member@demo.test"], manager=manager)
    load_partnership_work(work_rng, now, agencies=agencies, staff=staff)

    db.session.add(AuditEvent(verb="demo.loaded", object_type="demo", object_id=None, at=utcnow()))
    db.session.flush()
    _generate_next_agenda(staff["chair@demo.test"], now)
    return True


def _load_agencies() -> dict[str, Agency]:
    """The partnership's agencies by name, reusing any already there."""
    agencies = {}
    for name, kind, statutory in AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.name == name))
        if agency is None:
            agency = Agency(name=name, kind=kind, statutory=statutory)
            db.session.add(agency)
        agencies[name] = agency
    db.session.flush()
    return agencies


def _load_staff(agencies: dict[str, Agency]) -> dict[str, User]:
    """The demo accounts and officers by e-mail, all with the published password."""
    password_hash = hash_password(DEMO_PASSWORD)
    staff = {}
    for email, name, role, agency_name in DEMO_ACCOUNTS + OFFICERS:
        # The demo password is published: a second factor would protect nothing here.
        user = User(
            email=email,
            name=name,
            role=role,
            agency_id=agencies[agency_name].id,
            password_hash=password_hash,
            mfa_exempt=True,
        )
        db.session.add(user)
        staff[email] = user
    db.session.flush()
    return staff


def _generate_next_agenda(chair: User, now: datetime) -> None:
    """The next PSG meeting's agenda, generated from the casebook as the chair would."""
    next_meeting = db.session.scalar(
        select(Meeting.id).where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.finished_at.is_(None))
    )
    if next_meeting is not None:
        agenda.generate_agenda(chair, next_meeting, now=now)
        db.session.flush()


def _link_a_case_to_premises(now: datetime, *, agencies: dict[str, Agency], opener: User, manager: User) -> None:
    """A case about the red premises past its deadline, so that the PSG member and the
    partner (whose agencies are involved) can open that premises' page through it."""
    licence = db.session.scalar(select(Premises.licence_number).where(Premises.name == "The Drowned Eel"))
    opened = now - timedelta(days=30)
    case = casebook.open_case(
        opener, opened, case_type=CaseType.PREMISES_LINKED, title="Disorder and noise at closing time, The Drowned Eel",
        summary="Residents of the flats opposite report fights and noise after 1am. Housing, police and "
        "licensing are sharing what they know before the licensing review.",
        place=casebook.Place("Fenland", "Wisbech", "Waterlees"), premises_licence=licence or "",
    )  # fmt: skip
    partners = ("Roddons Housing Association", "Cambridgeshire Constabulary", "Fenland Community Support")
    casebook.involve(case, [agencies[name].id for name in partners], by=manager, at=opened)


# --- The casebook ---------------------------------------------------------------------


def _load_casebook(
    rng: random.Random, now: datetime, *, agencies: dict[str, Agency], members: list[User], manager: User
) -> None:
    """Victim, perpetrator, place and family cases opened over the last ten months by
    the PSG members in turn; every seventh is closed."""
    plans = (
        [(CaseType.VICTIM, title) for title in VICTIM_TITLES * 3]
        + [(CaseType.PERPETRATOR, title) for title in PERPETRATOR_TITLES * 2]
        + [(CaseType.PLACE, title) for title in PLACE_TITLES]
        + [(CaseType.FAMILY, "Family with complex needs, Troubled Families referral")]
    )
    for number, (case_type, title) in enumerate(plans):
        opener = members[number % len(members)]
        opened = now - timedelta(days=rng.randint(2, 300), hours=rng.randint(0, 12))
        case = casebook.open_case(
            opener, opened, case_type=case_type, title=title, summary=CASE_SUMMARY,
            place=casebook.Place(*rng.choice(PLACES)),
            # Every fourth victim case is restricted (domestic abuse or witness protection).
            restricted=case_type is CaseType.VICTIM and number % 4 == 3,
        )  # fmt: skip
        # Most cases bring in one or two more partners; the housing association's
        # member sees the others as stubs, which shows need-to-know in action.
        involved = {extra.id for extra in rng.sample(list(agencies.values()), k=rng.choice([0, 1, 1, 2]))}
        if number % 5 == 0:
            involved.add(agencies["Fenland Community Support"].id)
        casebook.involve(case, involved, by=manager, at=opened)
        for role in PARTY_ROLES[case_type]:
            casebook.add_person(case, role, casebook.invent_person(rng), by=opener, at=opened)
        _write_notes(rng, now, case, opener, closing=number % 7 == 6)


def _write_notes(rng: random.Random, now: datetime, case: Case, opener: User, *, closing: bool) -> None:
    """One to four notes in the case's first weeks (none after now), and for a closing
    case its closure six weeks after it opened, or an hour ago if that is sooner."""
    latest = now - timedelta(hours=2)
    for step, (kind, body) in enumerate(rng.sample(NOTES, k=rng.randint(1, 4))):
        written = case.opened_at + timedelta(days=step * 3 + 1, hours=rng.randint(0, 8))
        casebook.add_note(case, kind, body, by=opener, at=min(written, latest))
    if closing:
        closed = min(case.opened_at + timedelta(days=40), now - timedelta(hours=1))
        casebook.close(case, "risk reduced and no incidents for six weeks.", by=opener, at=closed)


# --- High-risk victims and their SLA clocks ---------------------------------------------


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


def _load_high_risk_victims(
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
