"""The demo's casebook, opened as its officers would: each case, the people on it, the
agencies brought in and the notes go through the case pages' services, at their own
moment in the past."""

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
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
            cases.add_agency(
                by, case.reference, agency_id=agency_id, reason="Asked to work on the case with the lead agency"
            )


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


def load_casebook(
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
        case = open_case(
            opener, opened, case_type=case_type, title=title, summary=CASE_SUMMARY,
            place=Place(*rng.choice(PLACES)),
            # Every fourth victim case is restricted (domestic abuse or witness protection).
            restricted=case_type is CaseType.VICTIM and number % 4 == 3,
        )  # fmt: skip
        # Most cases bring in one or two more partners; the housing association's
        # member sees the others as stubs, which shows need-to-know in action.
        involved = {extra.id for extra in rng.sample(list(agencies.values()), k=rng.choice([0, 1, 1, 2]))}
        if number % 5 == 0:
            involved.add(agencies["Fenland Community Support"].id)
        involve(case, involved, by=manager, at=opened)
        for role in PARTY_ROLES[case_type]:
            add_person(case, role, invent_person(rng), by=opener, at=opened)
        _write_notes(rng, now, case, opener, closing=number % 7 == 6)


def _write_notes(rng: random.Random, now: datetime, case: Case, opener: User, *, closing: bool) -> None:
    """One to four notes in the case's first weeks (none after now), and for a closing
    case its closure six weeks after it opened, or an hour ago if that is sooner."""
    latest = now - timedelta(hours=2)
    for step, (kind, body) in enumerate(rng.sample(NOTES, k=rng.randint(1, 4))):
        written = case.opened_at + timedelta(days=step * 3 + 1, hours=rng.randint(0, 8))
        add_note(case, kind, body, by=opener, at=min(written, latest))
    if closing:
        closed = min(case.opened_at + timedelta(days=40), now - timedelta(hours=1))
        close(case, "risk reduced and no incidents for six weeks.", by=opener, at=closed)
