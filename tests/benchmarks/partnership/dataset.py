"""The partnership's casebook at a given size, for the benchmark and its shape test.

Built on the demo partnership (`casework demo`: its agencies, accounts and password, so
the demo accounts sign in) through the real migrations, then inserted directly in
batches and analysed. Distributions: agencies of uneven size, with the demo accounts'
agencies the largest; eight years of cases, about 8 percent still open; most actions
done; clocks on high-risk victims; an audit event for every view. One person, the
subject of the subject access export, is on 60 cases.

Everything scales with ``Size.cases`` (LARGE: 100,000 cases, 250,000 people, 600,000
notes, 1,000,000 actions, 100,000 clocks, 5,000 premises with 200,000 incidents, 500
meetings, 40,000 referrals, 5,000,000 audit events), except the 150 new referrals the
"accept a referral" write path consumes and the subject's 60 cases, which are fixed.
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

import casework.schema  # noqa: F401 (every table in the metadata)
from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import AccessRequest, Case, CaseAgency, CaseParty, CaseReferenceCounter, Note
from casework.clock import ZONE, utcnow
from casework.db import Base
from casework.demo import DEMO_ACCOUNTS, load_demo
from casework.demo.casebook import PLACES
from casework.meetings.models import AgendaItem, Meeting, MeetingAttendance, MeetingDecision
from casework.notifications.models import Notification
from casework.people.models import Person
from casework.permissions import Role
from casework.plan.models import PlanAction
from casework.premises.models import Premises, PremisesIncident, PremisesStatusChange, PremisesVisit
from casework.premises.services.premises import refresh_incident_summary
from casework.referrals.models import Referral
from casework.victims.models import RiskAssessment, SlaClock
from casework.victims.services import risk
from tests.benchmarks.partnership.common import insert
from tests.support.victims import HIGH_SCORE

# Bump when the data changes, so cached datasets are built again.
BUILDER_VERSION = 9

EIGHT_YEARS = timedelta(days=8 * 365)
# The first cases are open victim cases in this town that the member's agency works on,
# so that the filtered case list (open, victim, this town) is full at SMALL too: SMALL's
# share is about a dozen, LARGE has hundreds.
FILTERED_TOWN, FILTERED_CASES = "Wisbech", 30
# The risk history's victim (on the first of those cases) is assessed this often: more
# than any victim LARGE assesses by chance (6), where SMALL's most assessed had 4.
MOST_ASSESSED = 7
AGENDA_CASES = 30  # of each of the AGENDA_KINDS (below)
SUBJECT_CASES = 60
# New referrals awaiting a decision: "accept a referral" takes two rounds of 5 warm-ups,
# 50 timed and 5 counted, and a section of the agenda's is left after them, at every size.
ACCEPT_QUEUE = 150
QUEUE_ADDRESS = " Church Lane, March"  # how the benchmark tells the dataset's referrals from the demo's
PASSWORD_HASH = "-"  # the extra officers never sign in

# The demo's agencies by name, with their share of the casebook: the demo accounts'
# agencies (council, police, housing, the voluntary partner) are the largest.
AGENCY_WEIGHTS = {
    "Fenland District Council": 26,
    "Cambridgeshire Constabulary": 24,
    "Cambridgeshire County Council": 6,
    "Cambridgeshire Fire and Rescue Service": 4,
    "Roddons Housing Association": 18,
    "Fenland Health Partnership": 5,
    "Probation Service": 5,
    "Fenland Community Support": 10,
    "East of England Ambulance Service": 2,
}
CASE_TYPES = (
    (["victim"] * 55) + (["perpetrator"] * 25) + (["place"] * 10) + (["family"] * 7) + (["premises_linked"] * 3)
)
NOTE_TEXT = (
    "Spoke to the victim by phone; the noise from the flat above continued until 2am on "
    "Saturday. Agreed to install a noise app and keep a diary for two weeks."
)
AUDIT_MIX = [
    ("auth.signed_in", 0.22),
    ("auth.signed_out", 0.15),
    ("auth.sign_in_failed", 0.03),
    ("case.viewed", 0.36),
    ("person.viewed", 0.14),
    ("note.added", 0.05),
    ("action.updated", 0.02),
    ("risk.assessed", 0.01),
    ("premises.viewed", 0.015),
    ("meeting.viewed", 0.005),
    ("referral.viewed", 0.005),
]


@dataclass(frozen=True)
class Size:
    name: str
    cases: int

    def scaled(self, at_large: int, least: int = 1) -> int:
        """``at_large`` in proportion to the cases, but at least ``least``: a floor where the
        proportion would leave SMALL a page of fewer rows than LARGE shows (premises,
        meetings, access requests, the subject's audit trail), so that the two sizes are
        compared on the same page."""
        return max(least, round(at_large * self.cases / 100_000))


SMALL = Size("small", 1_000)
LARGE = Size("large", 100_000)
SIZES = {size.name: size for size in (SMALL, LARGE)}


@dataclass(frozen=True)
class AgendaKind:
    """Open victim cases of one kind the agenda ranks."""

    high_risk: bool  # the victim assessed high, once
    clocks_overdue: bool  # that assessment's clocks still open past due, else met on time
    action_overdue: bool  # its one action overdue, else due within a month
    flagged: bool = False


# The agenda reads each of the orders it ranks a section's cases in (by an overdue
# clock's due time or an overdue action's day, then by reference) as far as a section
# shows (25): LARGE fills every order with hundreds of open cases, SMALL with a handful.
# After the filtered ones, AGENDA_CASES cases of each of these kinds fill every order at
# every size.
AGENDA_KINDS = (
    AgendaKind(high_risk=True, clocks_overdue=True, action_overdue=True),
    AgendaKind(high_risk=True, clocks_overdue=False, action_overdue=True),
    AgendaKind(high_risk=True, clocks_overdue=False, action_overdue=False),
    AgendaKind(high_risk=False, clocks_overdue=False, action_overdue=True),
    AgendaKind(high_risk=False, clocks_overdue=False, action_overdue=False, flagged=True),
)


@dataclass
class CaseRow:
    id: int
    reference: str
    opened: datetime
    ends: datetime  # when it closed, or now
    is_open: bool
    lead: int
    agencies: tuple[int, ...]
    case_type: str
    agenda: AgendaKind | None = None
    victims: list[int] = field(default_factory=list)


@dataclass
class World:
    """What later parts of the build need from earlier ones."""

    rng: random.Random
    now: datetime
    size: Size
    agencies: list[int]
    weights: list[int]
    officers: dict[int, list[int]]
    demo: dict[str, int]
    cases: list[CaseRow] = field(default_factory=list)
    people: int = 0
    first_person: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def agency(self) -> int:
        return self.rng.choices(self.agencies, self.weights)[0]

    def officer(self, agency: int) -> int:
        return self.rng.choice(self.officers[agency])

    def between(self, start: datetime, end: datetime) -> datetime:
        span = max(0.0, (end - start).total_seconds())
        return start + timedelta(seconds=self.rng.random() * span)

    def ago(self, span: timedelta, skew: float = 1.0) -> datetime:
        """A time in the last ``span``; ``skew`` above 1 makes recent times likelier."""
        return self.now - span * (self.rng.random() ** skew)


def _next_id(model: type) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1  # type: ignore[attr-defined]


def build(size: Size, *, seed: int = 2026) -> dict[str, object]:
    """Fill the migrated, empty database of the current app; return what was built."""
    now = utcnow()
    started = time.perf_counter()
    load_demo(seed=seed, now=now)
    db.session.commit()
    world = _world(size, random.Random(seed), now)
    world.timings["demo"] = time.perf_counter() - started
    before = _row_counts()
    first_case = _next_id(Case)
    connection = db.session.connection()
    parts = [
        ("officers", _officers),
        ("cases", _cases),
        ("people", _people),
        ("notes", _notes),
        ("victims", _victims),
        ("premises", _premises),
        ("meetings", _meetings),
        ("actions", _actions),
        ("referrals", _referrals),
        ("access requests", _access_requests),
        ("notifications", _notifications),
        ("audit", _audit),
    ]
    for name, part in parts:
        began = time.perf_counter()
        part(world, connection)
        db.session.commit()
        connection = db.session.connection()
        world.timings[name] = time.perf_counter() - began
    _reference_counters(world)
    db.session.commit()
    _reset_sequences()
    added = {table: count - before[table] for table, count in _row_counts().items()}
    return {
        "size": size.name,
        "cases": size.cases,
        "built_at": now.isoformat(),
        "first_case_id": first_case,
        "rows_added": added,
        "timings": {part: round(seconds, 1) for part, seconds in world.timings.items()},
    }


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _world(size: Size, rng: random.Random, now: datetime) -> World:
    agencies = {name: agency_id for agency_id, name in db.session.execute(sa.select(Agency.id, Agency.name))}
    demo = {
        email: user_id
        for user_id, email in db.session.execute(
            sa.select(User.id, User.email).where(User.email.in_([email for email, *_ in DEMO_ACCOUNTS]))
        )
    }
    officers: dict[int, list[int]] = {agencies[name]: [] for name in AGENCY_WEIGHTS}
    for user_id, agency_id in db.session.execute(sa.select(User.id, User.agency_id)):
        if agency_id in officers:
            officers[agency_id].append(user_id)
    return World(
        rng=rng,
        now=now,
        size=size,
        agencies=[agencies[name] for name in AGENCY_WEIGHTS],
        weights=list(AGENCY_WEIGHTS.values()),
        officers=officers,
        demo=demo,
    )


def _officers(world: World, connection: sa.Connection) -> None:
    """More officers in each agency, in proportion to its share of the work."""
    next_id = _next_id(User)
    rows = []
    for agency, weight in zip(world.agencies, world.weights, strict=True):
        for _ in range(2 + weight // 2):
            rows.append(
                {
                    "id": next_id,
                    "email": f"officer{next_id}@bench.example.test",
                    "name": f"Officer {next_id}",
                    "agency_id": agency,
                    "role": Role.PSG_MEMBER.value,
                    "password_hash": PASSWORD_HASH,
                    "active": True,
                    "created_at": world.now - EIGHT_YEARS,
                    "mfa_exempt": True,
                }
            )
            world.officers[agency].append(next_id)
            next_id += 1
    insert(connection, User.__table__, rows)


def _counters() -> dict[int, int]:
    return dict(db.session.execute(sa.select(CaseReferenceCounter.year, CaseReferenceCounter.last_number)).all())


def _cases(world: World, connection: sa.Connection) -> None:
    rng, now = world.rng, world.now
    numbers = _counters()
    next_id = _next_id(Case)
    rows, involvement = [], []
    member_agency = db.session.scalar(sa.select(User.agency_id).where(User.id == world.demo["member@demo.test"]))
    assert member_agency is not None
    filtered_place = next(place for place in PLACES if place[1] == FILTERED_TOWN)
    for case_id in range(next_id, next_id + world.size.cases):
        filtered = case_id - next_id < FILTERED_CASES
        agenda = _agenda_kind(case_id - next_id)
        is_open = rng.random() < 0.08 or filtered or agenda is not None
        # Open cases are recent; closed ones spread over eight years and took weeks to months.
        opened = world.ago(timedelta(days=730), skew=2.5) if is_open else world.ago(EIGHT_YEARS)
        if agenda:  # old enough for its clocks and action to be overdue
            opened = min(opened, now - timedelta(days=60))
        ends = now if is_open else min(now, opened + timedelta(days=rng.expovariate(1 / 90) + 1))
        year = opened.astimezone(ZONE).year
        numbers[year] = numbers.get(year, 0) + 1
        lead = world.agency()
        others = {world.agency() for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))} - {lead}
        if filtered:
            others = (others | {member_agency}) - {lead}
        case = CaseRow(
            case_id,
            f"ASB-{year}-{numbers[year]:05d}",
            opened,
            ends,
            is_open,
            lead,
            (lead, *sorted(others)),
            "victim" if filtered or agenda else rng.choice(CASE_TYPES),
            agenda,
        )
        world.cases.append(case)
        district, town, ward = filtered_place if filtered else rng.choice(PLACES)
        officer = world.officer(lead)
        rows.append(
            {
                "id": case_id,
                "reference": case.reference,
                "case_type": case.case_type,
                "title": f"Noise and intimidation, {town} ({case_id})",
                "summary": "Repeated noise and verbal abuse; the family feel unsafe at home.",
                "status": "open" if is_open else "closed",
                "lead_agency_id": lead,
                "lead_officer_id": officer,
                "psg_review": agenda.flagged if agenda else is_open and rng.random() < 0.05,
                "district": district,
                "town": town,
                "ward": ward,
                "restricted": rng.random() < 0.03 and not (filtered or agenda),
                "opened_at": opened,
                "opened_by_id": officer,
                "closed_at": None if is_open else ends,
                "version": 1,
            }
        )
        for agency in case.agencies:
            involvement.append(
                {
                    "case_id": case_id,
                    "agency_id": agency,
                    "added_by_id": officer,
                    "added_at": opened,
                    "case_open": is_open,  # kept with each involvement; the column defaults to open
                }
            )
    insert(connection, Case.__table__, rows)
    insert(connection, CaseAgency.__table__, involvement)


def _agenda_kind(index: int) -> AgendaKind | None:
    """Which of the AGENDA_KINDS the case at this place is, if any."""
    kind = (index - FILTERED_CASES) // AGENDA_CASES
    return AGENDA_KINDS[kind] if index >= FILTERED_CASES and kind < len(AGENDA_KINDS) else None


def _reference_counters(world: World) -> None:
    numbers: dict[int, int] = {}
    for case in world.cases:
        year_text, number_text = case.reference.split("-")[1:]
        numbers[int(year_text)] = max(numbers.get(int(year_text), 0), int(number_text))
    existing = _counters()
    for year, number in numbers.items():
        if year in existing:
            db.session.execute(
                sa.update(CaseReferenceCounter).where(CaseReferenceCounter.year == year).values(last_number=number)
            )
        else:
            db.session.add(CaseReferenceCounter(year=year, last_number=number))


FIRST_ROLE = {"victim": "victim", "perpetrator": "perpetrator", "family": "family_member"}
OTHER_ROLES = ["perpetrator", "witness", "complainant", "family_member", "victim"]


def _people(world: World, connection: sa.Connection) -> None:
    """About 2.5 people a case; one in sixteen is already on another case. The first
    person is the subject, on 60 cases."""
    rng = world.rng
    first = world.first_person = _next_id(Person)
    next_person = first + 1
    parties = []
    subject_cases = set(rng.sample(range(len(world.cases)), min(SUBJECT_CASES, len(world.cases))))
    for index, case in enumerate(world.cases):
        on_case: set[int] = set()
        for position in range(rng.choices((1, 2, 3, 4, 5), (20, 30, 25, 15, 10))[0]):
            person = rng.randrange(first + 1, next_person) if next_person > first + 1 else next_person
            if not position or rng.random() >= 0.06 or person in on_case:
                person, next_person = next_person, next_person + 1
            role = FIRST_ROLE.get(case.case_type, "complainant") if position == 0 else rng.choice(OTHER_ROLES)
            on_case.add(person)
            parties.append(_party(case, person, role, world))
            if role == "victim":
                case.victims.append(person)
        if index in subject_cases:
            role = "victim" if len(subject_cases) % 3 else "witness"
            subject_cases.discard(index)
            parties.append(_party(case, first, role, world))
            if role == "victim":
                case.victims.append(first)
    world.people = next_person - first
    insert(connection, Person.__table__, (_person(person_id, world) for person_id in range(first, next_person)))
    insert(connection, CaseParty.__table__, parties)


def _party(case: CaseRow, person: int, role: str, world: World) -> dict[str, object]:
    return {
        "case_id": case.id,
        "person_id": person,
        "role": role,
        "added_by_id": world.officer(case.lead),
        "added_at": case.opened,
        "removal_reason": "",
    }


SURNAMES = ["Ashby", "Barker", "Castell", "Dunmore", "Elwood", "Fairbairn", "Gosling", "Holloway", "Ingram", "Jarvis"]
FORENAMES = ["Alex", "Billie", "Casey", "Dana", "Eli", "Frankie", "Georgie", "Harley", "Jamie", "Kit"]


def _person(person_id: int, world: World) -> dict[str, object]:
    rng = world.rng
    subject = person_id == world.first_person
    return {
        "id": person_id,
        "first_name": "Morgan" if subject else rng.choice(FORENAMES),
        "last_name": "Subject" if subject else f"{rng.choice(SURNAMES)}-{person_id}",
        "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(60 * 365)),
        "address": f"{person_id % 200 + 1} Station Road, Wisbech",
        "postcode": "PE13 1AA",
        "phone": "07700 900123",
        "email": "",
        "vulnerabilities": "",
        "created_by_id": world.demo["member@demo.test"],
        "created_at": world.now - EIGHT_YEARS,
        "version": 1,
    }


def _notes(world: World, connection: sa.Connection) -> None:
    """Six notes a case on average, written while the case was open."""
    rng = world.rng

    def rows() -> Iterator[dict[str, object]]:
        for case in world.cases:
            for _ in range(rng.randint(0, 12)):
                yield {
                    "case_id": case.id,
                    "author_id": world.officer(rng.choice(case.agencies)),
                    "kind": rng.choice(("note", "note", "note", "contact", "incident", "decision")),
                    "body": NOTE_TEXT,
                    "created_at": world.between(case.opened, case.ends),
                }

    insert(connection, Note.__table__, rows())


def _victims(world: World, connection: sa.Connection) -> None:
    """High-risk assessments of victims, each starting two SLA clocks (100,000 clocks at
    LARGE): met on time three times in four, late or stopped otherwise; on open cases
    the clocks still running, and a backlog overdue. The agenda's high-risk cases have
    one assessment each, with their clocks overdue or met as their kind says, and no
    other."""
    rng = world.rng
    matrix_id = risk.current_matrix().id
    # The risk history's victim and the agenda's cases are assessed as said below, and only so.
    with_victims = [case for case in world.cases[1:] if case.victims and not case.agenda]

    def assessed() -> Iterator[tuple[CaseRow, int, datetime, str | None]]:
        """Who is assessed when, and their clocks' outcome if not left to chance."""
        case = world.cases[0]  # a victim case: its first party is the victim
        for _ in range(MOST_ASSESSED):
            yield case, case.victims[0], world.between(case.opened, case.ends), None
        for case in world.cases:
            if case.agenda and case.agenda.high_risk:
                started = world.between(world.now - timedelta(days=40), world.now - timedelta(days=8))
                yield case, case.victims[0], started, "open" if case.agenda.clocks_overdue else "met"
        for _ in range(world.size.scaled(50_000)):
            case = rng.choice(with_victims)
            yield case, rng.choice(case.victims), world.between(case.opened, case.ends), None

    assessments, clocks = [], []
    for assessment_id, (case, person, started, outcome) in enumerate(assessed(), start=_next_id(RiskAssessment)):
        officer = world.officer(case.lead)
        assessments.append(
            {
                "id": assessment_id,
                "case_id": case.id,
                "person_id": person,
                "matrix_id": matrix_id,
                "answers": HIGH_SCORE,
                "score": 24,
                "computed_level": "high",
                "level": "high",
                "override_reason": "",
                "assessed_at": started,
                "assessed_by_id": officer,
                "recorded_at": started,
            }
        )
        for kind, hours in (("conference_72h", 72), ("reduce_7d", 168)):
            clocks.append(_clock(world, case, person, kind, started, timedelta(hours=hours), assessment_id, outcome))
    insert(connection, RiskAssessment.__table__, assessments)
    insert(connection, SlaClock.__table__, clocks)


def _clock(
    world: World,
    case: CaseRow,
    person: int,
    kind: str,
    started: datetime,
    allowed: timedelta,
    assessment: int,
    outcome: str | None = None,
) -> dict[str, object]:
    """A clock with a random outcome, or with ``outcome``: "open", or "met" on time."""
    rng, now = world.rng, world.now
    due = started + allowed
    met_at: datetime | None = started + allowed * rng.random()
    stopped_at: datetime | None = None
    if outcome == "open":
        met_at = None
    elif outcome is None:
        draw = rng.random()
        outcome = "met"
        if draw < 0.05:
            outcome, met_at, stopped_at = "stopped", None, started + allowed * rng.random()
        elif draw < 0.25:
            outcome, met_at = "met_late", due + timedelta(hours=rng.uniform(1, 200))
        if (met_at or stopped_at) > now or (case.is_open and due < now and rng.random() < 0.1):  # type: ignore[operator]
            outcome, met_at, stopped_at = "open", None, None  # still running, or the backlog
    return {
        "kind": kind,
        "case_id": case.id,
        "person_id": person,
        "started_at": started,
        "due_at": due,
        "outcome": outcome,
        "met_at": met_at,
        "stopped_at": stopped_at,
        "stop_reason": "Case closed: resolved" if stopped_at else "",
        "started_by_assessment_id": assessment,
    }


def _premises(world: World, connection: sa.Connection) -> None:
    """Licensed premises (7 in 10 green, 2 amber, 1 red), forty incidents each on average,
    some premises far busier than others, three visits each, and the last move of the
    amber and red ones."""
    rng, now = world.rng, world.now
    officer = world.demo["licensing@demo.test"]
    first = _next_id(Premises)
    count = world.size.scaled(5_000, least=250)
    statuses = ["green"] * 7 + ["amber"] * 2 + ["red"]
    rows, changes, visits = [], [], []
    for premises_id in range(first, first + count):
        status = rng.choice(statuses)
        since = world.ago(timedelta(days=400))
        rows.append(
            {
                "id": premises_id,
                "name": f"The Bench Arms {premises_id}",
                "address": f"{premises_id % 90 + 1} High Street",
                "postcode": "PE13 1XX",
                "licence_number": f"BENCH/{premises_id:06d}",
                "kind": rng.choice(("on_sales", "off_sales", "both", "late_night")),
                "town": rng.choice(PLACES)[1],
                "cluster": "Town centre",
                "licence_holder": "Bench Taverns Ltd",
                "designated_premises_supervisor": "A. Keeper",
                "sircs_member": rng.random() < 0.3,
                "thumbs_up": rng.random() < 0.2,
                "status": status,
                "status_since": since,
                "created_at": now - EIGHT_YEARS,
                "version": 1,
            }
        )
        if status != "green":
            changes.append(
                {
                    "premises_id": premises_id,
                    "from_status": "green",
                    "to_status": status,
                    "reason": "Incidents from two agencies in the window",
                    "officer_id": officer,
                    "at": since,
                    "incident_ids": [],
                    "visit_ids": [],
                }
            )
        for _ in range(3):
            visits.append(
                {
                    "premises_id": premises_id,
                    "kind": rng.choice(("compliance", "referral", "test_purchase", "challenge_25_training")),
                    "result": rng.choice(("pass", "pass", "fail", "not_applicable")),
                    "notes": "",
                    "officer_id": officer,
                    "visited_at": world.ago(EIGHT_YEARS, skew=2),
                }
            )
    insert(connection, Premises.__table__, rows)
    insert(connection, PremisesStatusChange.__table__, changes)
    insert(connection, PremisesVisit.__table__, visits)
    police = [agency for agency in world.agencies][:2]

    def incidents() -> Iterator[dict[str, object]]:
        for _ in range(count * 40):
            yield {
                "premises_id": first + int(count * rng.random() ** 2),
                "occurred_at": world.ago(EIGHT_YEARS, skew=3),
                "reporting_agency_id": rng.choice(police) if rng.random() < 0.7 else world.agency(),
                "source": rng.choice(("police", "ambulance", "emergency_department", "cctv", "licensing", "other")),
                "category": rng.choice(("violence", "disorder", "underage_sale", "drugs", "noise", "other")),
                "severity": rng.choice(("low", "low", "medium", "high")),
                "description": "Fight outside at closing time.",
                "recorded_by_id": officer,
                "recorded_at": now,
            }

    insert(connection, PremisesIncident.__table__, incidents())
    refresh_incident_summary()


def _meetings(world: World, connection: sa.Connection) -> None:
    """Past meetings over eight years: two in five PSG meetings (attendance, fifteen
    agenda items with minutes and a decision each), the rest case conferences."""
    rng = world.rng
    chair = world.demo["chair@demo.test"]
    first = _next_id(Meeting)
    open_cases = [case for case in world.cases if case.victims] or world.cases
    meetings, attendance, psg = [], [], []
    for meeting_id in range(first, first + world.size.scaled(500, least=50)):
        held = world.ago(EIGHT_YEARS) - timedelta(days=1)
        is_psg = meeting_id == first or rng.random() < 0.4
        case = None if is_psg else rng.choice(open_cases)
        meetings.append(
            {
                "id": meeting_id,
                "kind": "psg_meeting" if is_psg else "case_conference",
                "case_id": case.id if case else None,
                "held_at": held,
                "location": "Fenland Hall",
                "chair_id": chair,
                "outcome": "Actions agreed.",
                "agenda_generated_at": held - timedelta(days=7) if is_psg else None,
                "finished_at": held + timedelta(hours=2),
                "recorded_by_id": chair,
                "recorded_at": held,
                "version": 1,
            }
        )
        for agency in rng.sample(world.agencies, 6):
            attendance.append(
                {
                    "meeting_id": meeting_id,
                    "agency_id": agency,
                    "status": rng.choice(("present", "present", "apologies")),
                }
            )
        if is_psg:
            psg.append((meeting_id, held))
    insert(connection, Meeting.__table__, meetings)
    insert(connection, MeetingAttendance.__table__, attendance)
    first_item = _next_id(AgendaItem)
    items: list[dict[str, object]] = []
    decisions: list[dict[str, object]] = []
    for meeting_id, held in psg:
        for position in range(1, 16):
            item_id = first_item + len(items)
            items.append(
                {
                    "id": item_id,
                    "meeting_id": meeting_id,
                    "position": position,
                    "case_id": rng.choice(open_cases).id,
                    "referral_id": None,
                    "topic": "",
                    "reasons": ["High-risk victim"],
                    "added_by_chair": False,
                    "minutes": "Housing and police to visit together; review next month.",
                }
            )
            decisions.append(
                {"item_id": item_id, "text": "Joint visit within 7 days.", "recorded_by_id": chair, "recorded_at": held}
            )
    insert(connection, AgendaItem.__table__, items)
    insert(connection, MeetingDecision.__table__, decisions)


def _action_status(world: World, due: date, today: date, on_open_case: bool) -> str:
    """Most actions are done; a few were cancelled; the live ones are recent, with a
    backlog overdue (more on open cases)."""
    draw = world.rng.random()
    if due >= today:
        return "open" if draw < 0.6 else "in_progress" if draw < 0.8 else "done"
    live = 0.2 if on_open_case and (today - due).days < 180 else 0.01
    return "open" if draw < live else "cancelled" if draw < live + 0.05 else "done"


def _actions(world: World, connection: sa.Connection) -> None:
    """Ten actions a case on average (1,000,000 at LARGE): four in five about cases, owed
    by an involved agency; the rest about premises, meetings and the delivery plan."""
    rng = world.rng
    today = world.now.astimezone(ZONE).date()
    premises = db.session.scalars(sa.select(Premises.id)).all()
    meetings = db.session.scalars(sa.select(Meeting.id)).all()
    plan = db.session.scalars(sa.select(PlanAction.id)).all()

    undesignated = [case for case in world.cases if not case.agenda]
    designated = [(case, case.agenda) for case in world.cases if case.agenda]

    def rows() -> Iterator[dict[str, object]]:
        for case, kind in designated:
            yield _agenda_action(world, case, kind, today)
        for _ in range(world.size.cases * 10 - len(designated)):
            subject: dict[str, object] = dict(NO_SUBJECT)
            draw = rng.random()
            on_open_case = False
            if draw < 0.8:
                case = rng.choice(undesignated)
                subject["case_id"], agency, on_open_case = case.id, rng.choice(case.agencies), case.is_open
                created = world.between(case.opened, case.ends)
            else:
                key, choices = (
                    ("premises_id", premises)
                    if draw < 0.9
                    else ("meeting_id", meetings)
                    if draw < 0.97
                    else ("plan_action_id", plan)
                )
                subject[key], agency, created = rng.choice(choices), world.agency(), world.ago(EIGHT_YEARS)
            due = created.astimezone(ZONE).date() + timedelta(days=rng.randint(1, 90))
            status = _action_status(world, due, today, on_open_case)
            done = status == "done"
            yield _action(
                subject,
                agency,
                assignee=world.officer(agency) if rng.random() < 0.5 else None,
                due=due,
                status=status,
                completed_at=min(world.now, created + timedelta(days=rng.randint(1, 90))) if done else None,
                created_by=world.officer(agency),
                created=created,
            )

    insert(connection, Action.__table__, rows())


NO_SUBJECT: dict[str, object] = {"case_id": None, "premises_id": None, "meeting_id": None, "plan_action_id": None}


def _action(
    subject: dict[str, object],
    agency: int,
    *,
    assignee: int | None,
    due: date,
    status: str,
    completed_at: datetime | None,
    created_by: int,
    created: datetime,
) -> dict[str, object]:
    """An action's row, about ``subject`` (one of NO_SUBJECT's keys set)."""
    return {
        **subject,
        "title": "Visit the victim with the housing officer",
        "detail": "",
        "assigned_agency_id": agency,
        "assignee_id": assignee,
        "due_on": due,
        "status": status,
        "completion_note": "Visited" if status == "done" else "",
        "completed_at": completed_at,
        "created_by_id": created_by,
        "created_at": created,
        "version": 1,
    }


def _agenda_action(world: World, case: CaseRow, kind: AgendaKind, today: date) -> dict[str, object]:
    """The one action on a case of the AGENDA_KINDS: overdue, or due within a month."""
    rng = world.rng
    due = today + timedelta(days=-rng.randint(1, 14) if kind.action_overdue else rng.randint(1, 30))
    agency = rng.choice(case.agencies)
    return _action(
        NO_SUBJECT | {"case_id": case.id},
        agency,
        assignee=world.officer(agency),
        due=due,
        status="open",
        completed_at=None,
        created_by=world.officer(agency),
        created=world.now - timedelta(days=rng.randint(20, 59)),
    )


def _referrals(world: World, connection: sa.Connection) -> None:
    """Referrals over eight years (40,000 at LARGE), most decided: four in five accepted
    into a case; the last fortnight's still new. Plus the queue of new referrals from the
    voluntary partner that the write path accepts."""
    rng, now = world.rng, world.now
    partner = world.demo["partner@demo.test"]
    partner_agency = db.session.scalar(sa.select(User.agency_id).where(User.id == partner))
    assert partner_agency is not None
    chair = world.demo["chair@demo.test"]

    def rows() -> Iterator[dict[str, object]]:
        for n in range(world.size.scaled(40_000) + ACCEPT_QUEUE):
            queued = n < ACCEPT_QUEUE
            received = world.ago(timedelta(days=7)) if queued else world.ago(EIGHT_YEARS)
            agency = partner_agency if queued else world.agency()
            status = (
                "new"
                if queued or now - received < timedelta(days=14)
                else rng.choice(("accepted",) * 4 + ("declined",))
            )
            case = rng.choice(world.cases) if status == "accepted" else None
            yield {
                "subject": "person",
                "first_name": rng.choice(FORENAMES),
                "last_name": f"Referred-{n}",
                "address": f"{n % 300 + 1}{QUEUE_ADDRESS}",
                "postcode": "PE15 8AA",
                "place": "",
                "what_is_happening": "Youths gathering outside the flat and shouting abuse most evenings.",
                "risks": "Lives alone",
                "consent": "yes",
                "consent_reason": "",
                "referring_agency_id": agency,
                "referrer_id": partner if queued else world.officer(agency),
                "received_at": received,
                "status": status,
                "decided_by_id": None if status == "new" else chair,
                "decided_at": None if status == "new" else received + timedelta(days=2),
                "decline_reason": "Not anti-social behaviour" if status == "declined" else "",
                "case_id": case.id if case else None,
                "version": 1,
            }

    insert(connection, Referral.__table__, rows())


def _access_requests(world: World, connection: sa.Connection) -> None:
    """Requests for access to cases by officers of agencies not involved: one case in a
    hundred asked about, a fifth of those (on open cases) still waiting, more on the
    cases the chair's agency leads."""
    rng = world.rng
    chair_agency = db.session.scalar(sa.select(User.agency_id).where(User.id == world.demo["chair@demo.test"]))
    asked = rng.sample(world.cases, min(len(world.cases), world.size.scaled(1_000, least=200)))
    led = [case for case in world.cases if case.lead == chair_agency and case.is_open]
    asked += rng.sample(led, min(len(led), world.size.scaled(200, least=50)))
    rows = []
    for case in {case.id: case for case in asked}.values():
        agency = rng.choice([agency for agency in world.agencies if agency not in case.agencies] or world.agencies)
        waiting = case.is_open and (case.lead == chair_agency or rng.random() < 0.2)
        at = world.between(case.opened, case.ends)
        rows.append(
            {
                "case_id": case.id,
                "user_id": world.officer(agency),
                "agency_id": agency,
                "lead_agency_id": case.lead,
                "reason": "The family has been referred to us; we need to see the history.",
                "status": "pending" if waiting else rng.choice(("granted", "declined")),
                "requested_at": at,
                "decided_by_id": None if waiting else world.demo["chair@demo.test"],
                "decided_at": None if waiting else at + timedelta(days=1),
                "decline_reason": "",
            }
        )
    insert(connection, AccessRequest.__table__, rows)


NOTIFICATION_KINDS = [
    "clock_due_soon",
    "clock_overdue",
    "action_assigned",
    "action_due_soon",
    "action_overdue",
    "referral_made",
]


def _notifications(world: World, connection: sa.Connection) -> None:
    """Two e-mails a case (200,000 at LARGE), a fifth of them to the demo accounts,
    nearly all sent and most read."""
    rng = world.rng
    demo = list(world.demo.values())
    everyone = [user for officers in world.officers.values() for user in officers]

    def rows() -> Iterator[dict[str, object]]:
        for _ in range(world.size.cases * 2):
            case = rng.choice(world.cases)
            created = world.between(case.opened, case.ends)
            status = rng.choices(("sent", "digested", "failed", "withdrawn"), (90, 5, 2, 3))[0]
            yield {
                "user_id": rng.choice(demo) if rng.random() < 0.2 else rng.choice(everyone),
                "kind": rng.choice(NOTIFICATION_KINDS),
                "reference": case.reference,
                "link": f"/cases/{case.reference}",
                "due_at": created + timedelta(days=3),
                "case_id": case.id,
                "created_at": created,
                "status": status,
                "attempts": 1,
                "next_attempt_at": created,
                "last_error": "Connection refused" if status == "failed" else "",
                "sent_at": created if status == "sent" else None,
                "read_at": created + timedelta(hours=5) if status == "sent" and rng.random() < 0.7 else None,
            }

    insert(connection, Notification.__table__, rows())


def _audit(world: World, connection: sa.Connection) -> None:
    """Fifty events a case (5,000,000 at LARGE) over eight years, in a partnership's mix:
    signing in and out, a view of a case or person for every page seen, and the rest.
    Some hundreds are about the subject of the subject access export."""
    rng = world.rng
    verbs, weights = zip(*AUDIT_MIX, strict=True)
    everyone = [user for officers in world.officers.values() for user in officers]
    subject_events = world.size.scaled(2_000, least=200)
    subject_cases = [case.id for case in world.cases if world.first_person in case.victims] or [world.cases[0].id]
    reason = {"reason": "safeguarding", "label": "Safeguarding concern", "details": "Checking before the visit"}
    people = (world.first_person + 1, world.first_person + max(1, world.people - 1))

    def rows() -> Iterator[dict[str, object]]:
        for n, verb in enumerate(rng.choices(verbs, weights, k=world.size.cases * 50)):
            actor = rng.choice(everyone)
            case_id: int | None = None
            person_id: int | None = None
            object_id: int | None
            object_type, object_id = "user", actor
            if n < subject_events:
                verb = "person.viewed" if n % 2 else "case.viewed"
                person_id = world.first_person if n % 2 else None
                case_id = None if n % 2 else rng.choice(subject_cases)
            elif verb.startswith(("case.", "note.", "risk.")):
                case_id = rng.choice(world.cases).id
            elif verb == "person.viewed":
                person_id = rng.randint(*people)
            if case_id or person_id:
                object_type, object_id = ("case", case_id) if case_id else ("person", person_id)
            yield {
                "at": world.ago(EIGHT_YEARS),
                "actor_id": actor,
                "verb": verb,
                "object_type": object_type,
                "object_id": object_id,
                "case_id": case_id,
                "person_id": person_id,
                "detail": reason if n % 40 == 0 and (case_id or person_id) else {},
                "ip": "10.0.0.1",
                "request_id": "",
            }

    insert(connection, AuditEvent.__table__, rows())


def _reset_sequences() -> None:
    """PostgreSQL: the identity sequences after rows were inserted with their ids."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"
                )
            )
    db.session.commit()
