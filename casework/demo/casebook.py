"""Opening the demo's cases as their officers would: each case, the people on it, the
agencies brought in and the notes go through the case pages' services, at their own
moment in the past."""

import random
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.cases.models import Case, CaseAgency, CaseParty, CaseType, NoteKind, PartyRole
from casework.cases.services import commands as cases
from casework.demo.past import recorded_at
from casework.people import services as people

# The prefix of case references, as configured by default (CASE_REFERENCE_PREFIX).
REFERENCE_PREFIX = "ASB"

FIRST_NAMES = [
    "Ada", "Ben", "Cara", "Dev", "Elin", "Finn", "Gwen", "Hal", "Iris", "Jay", "Kit", "Lena", "Milo", "Nia",
    "Owen", "Pip", "Rhys", "Sian", "Toby", "Una", "Vic", "Wren", "Zac", "Ruth",
]  # fmt: skip
LAST_NAMES = [
    "Ashdown", "Brightwell", "Carrow", "Dunmere", "Elvaston", "Fennick", "Galloway", "Hartwell", "Inskip",
    "Jessop", "Kettering", "Lowick", "Marwood", "Nettlefold", "Orchard", "Pennock",
]  # fmt: skip


class Place(NamedTuple):
    district: str
    town: str
    ward: str


class NewPerson(NamedTuple):
    """What the add-a-new-person form asks for."""

    first_name: str
    last_name: str
    date_of_birth: date
    address: str
    postcode: str
    phone: str
    email: str
    vulnerabilities: str


def invent_person(rng: random.Random) -> NewPerson:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return NewPerson(
        first_name=first,
        last_name=last,
        date_of_birth=date(rng.randint(1940, 2008), rng.randint(1, 12), rng.randint(1, 28)),
        address=f"{rng.randint(1, 120)} {rng.choice(['Orchard', 'Mill', 'Station', 'Church', 'Fen'])} Road",
        postcode=f"PE{rng.choice([13, 14, 15, 16])} {rng.randint(1, 9)}ZZ",
        phone=f"07700 900{rng.randint(100, 999)}",
        email=f"{first.lower()}.{last.lower()}@example.org",
        vulnerabilities=rng.choice(["", "", "Lives alone", "Mental health needs", "Hoarding", "Disability"]),
    )


def open_case(
    opener: User,
    at: datetime,
    *,
    case_type: CaseType,
    title: str,
    summary: str,
    place: Place,
    restricted: bool = False,
    premises_licence: str = "",
) -> Case:
    """Opened through the new case form's service: the opener's agency leads, and the
    opener is its lead officer."""
    with recorded_at(at):
        return cases.open_case(
            opener, case_type=case_type, title=title, summary=summary, lead_agency_id=opener.agency_id,
            district=place.district, town=place.town, ward=place.ward, restricted=restricted,
            reference_prefix=REFERENCE_PREFIX, premises_licence=premises_licence,
        )  # fmt: skip


def involve(case: Case, agency_ids: Iterable[int], *, by: User, at: datetime) -> None:
    """Bring in the agencies not involved yet, as the case page's add-an-agency form does.
    Only chairs and managers may: the demo's manager does it for the officer who asks."""
    involved = set(db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)))
    with recorded_at(at):
        for agency_id in sorted(set(agency_ids) - involved):
            cases.add_agency(by, case.reference, agency_id=agency_id)


def add_person(case: Case, role: PartyRole, who: NewPerson, *, by: User, at: datetime) -> CaseParty:
    """A new person on the case. Invented names repeat, so the officer has seen the
    similar people offered and confirmed that this one is new."""
    with recorded_at(at):
        return people.add_new_person(by, case.reference, role=role, confirmed_new=True, **who._asdict())


def add_note(case: Case, kind: NoteKind, body: str, *, by: User, at: datetime) -> None:
    with recorded_at(at):
        cases.add_note(by, case.reference, kind=kind, body=body)


def close(case: Case, reason: str, *, by: User, at: datetime) -> None:
    with recorded_at(at):
        cases.close_case(by, case.reference, version=case.version, reason=reason)
