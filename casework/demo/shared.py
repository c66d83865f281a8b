"""What the demo's partnership-work loaders share: the staff who do the work, the open
cases to hang it on (spread over the casebook), and moments in the working day."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.cases.models import Case, CaseAgency, CaseStatus, CaseType
from casework.clock import ZONE, local_date
from casework.demo.plan import COUNCIL, FIRE, HOUSING, POLICE, VOLUNTARY
from casework.plan.models import PlanAction

CHAIR = "chair@demo.test"
MANAGER = "manager@demo.test"
LICENSING = "licensing@demo.test"
# The demo officer who works each agency's actions (agencies without one get none by name).
OFFICER = {
    COUNCIL: "asb.officer@demo.test",
    POLICE: "pc.dunmore@demo.test",
    FIRE: "fire.safety@demo.test",
    HOUSING: "member@demo.test",
    VOLUNTARY: "partner@demo.test",
}


@dataclass
class OpenCase:
    """An open case and the agencies involved in it, kept up to date as the work adds them."""

    case: Case
    involved: list[int]


@dataclass
class Work:
    """The partnership as the loaders find it (the casebook already loaded), and what they
    record for each other: the cases already given work, and the plan's actions by ref."""

    rng: random.Random
    now: datetime
    agencies: dict[str, Agency]
    staff: dict[str, User]
    cases: list[OpenCase] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    plan: dict[str, PlanAction] = field(default_factory=dict)
    today: date = field(init=False)

    def __post_init__(self) -> None:
        self.today = local_date(self.now)
        involved: dict[int, list[int]] = {}
        for case_id, agency_id in db.session.execute(
            select(CaseAgency.case_id, CaseAgency.agency_id).order_by(CaseAgency.case_id, CaseAgency.agency_id)
        ):
            involved.setdefault(case_id, []).append(agency_id)
        open_cases = db.session.scalars(select(Case).where(Case.status == CaseStatus.OPEN).order_by(Case.id))
        self.cases = [OpenCase(case, involved.get(case.id, [])) for case in open_cases]

    def agency(self, name: str) -> Agency:
        return self.agencies[name]

    def officer(self, agency: str) -> User | None:
        email = OFFICER.get(agency)
        return self.staff[email] if email else None

    def pick_case(
        self,
        *,
        involving: Sequence[str] = (),
        types: Sequence[CaseType] = (),
        before: datetime | None = None,
        among: set[int] | None = None,
    ) -> OpenCase | None:
        """An open, unrestricted case that involves all those agencies, preferring one not
        picked yet, so the demo's work is spread over the casebook."""
        wanted = [self.agency(name).id for name in involving]
        pool = [
            open_case
            for open_case in self.cases
            if not open_case.case.restricted
            and all(agency_id in open_case.involved for agency_id in wanted)
            and (not types or open_case.case.case_type in types)
            and (before is None or open_case.case.opened_at < before)
            and (among is None or open_case.case.id in among)
        ]
        pool = [c for c in pool if c.case.id not in self.used] or pool
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        self.used.add(chosen.case.id)
        return chosen

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)

    def office_time(self, days_ago: int) -> datetime:
        """A moment in the working day ``days_ago`` days before today (never after now)."""
        day = self.today - timedelta(days=days_ago)
        moment = self.local(day, self.rng.randint(9, 16), self.rng.choice([0, 15, 30, 45]))
        return min(moment, self.now - timedelta(minutes=30))


def weekday(day: date) -> date:
    """The day, or the nearest working day to it: meetings are not held at weekends."""
    return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


def lead_of(case: Case) -> User:
    """The case's lead officer, or whoever opened it."""
    lead = db.session.get(User, case.lead_officer_id or case.opened_by_id)
    if lead is None:
        raise ValueError(f"the demo case {case.reference} has no lead")
    return lead
