"""The fictional demo partnership that `make run` loads.

Agency kinds, towns and wards follow the source reports of Fenland and South and East
Cambridgeshire; every person, address and officer is invented.
"""

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.db import utcnow
from casework.models import (
    Agency,
    AgencyKind,
    AuditEvent,
    Case,
    CaseAgency,
    CaseParty,
    CaseReferenceCounter,
    CaseStatus,
    CaseType,
    Note,
    NoteKind,
    PartyRole,
    Person,
    User,
)
from casework.permissions import Role
from casework.services.passwords import hash_password

DEMO_PASSWORD = "casework-demo"

AGENCIES = [
    ("Fenland District Council", AgencyKind.COUNCIL, True),
    ("Cambridgeshire Constabulary", AgencyKind.POLICE, True),
    ("Cambridgeshire County Council", AgencyKind.COUNTY, True),
    ("Cambridgeshire Fire and Rescue Service", AgencyKind.FIRE, True),
    ("Roddons Housing Association", AgencyKind.HOUSING, False),
    ("Fenland Health Partnership", AgencyKind.HEALTH, True),
    ("Probation Service", AgencyKind.PROBATION, True),
    ("Fenland Community Support", AgencyKind.VOLUNTARY, False),
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

FIRST_NAMES = ["Ada", "Ben", "Cara", "Dev", "Elin", "Finn", "Gwen", "Hal", "Iris", "Jay", "Kit", "Lena",
               "Milo", "Nia", "Owen", "Pip", "Rhys", "Sian", "Toby", "Una", "Vic", "Wren", "Zac", "Ruth"]
LAST_NAMES = ["Ashdown", "Brightwell", "Carrow", "Dunmere", "Elvaston", "Fennick", "Galloway", "Hartwell",
              "Inskip", "Jessop", "Kettering", "Lowick", "Marwood", "Nettlefold", "Orchard", "Pennock"]

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
NOTES = [
    (NoteKind.CONTACT, "Visited the victim at home. They reported two further incidents since last week."),
    (NoteKind.INCIDENT, "Police attended after a report of shouting and a broken window. No arrests."),
    (NoteKind.NOTE, "Housing officer to review tenancy conditions with the perpetrator's landlord."),
    (NoteKind.DECISION, "PSG agreed: joint visit by police and housing within 7 days; referral to victim support."),
    (NoteKind.CONTACT, "Phone call with the victim: feels safer since the CCTV was installed."),
    (NoteKind.NOTE, "Fire and rescue offered a home safety visit; accepted for next Tuesday."),
]


def load_demo(*, seed: int = 2026) -> bool:
    """Create the demo partnership unless it is already there. Returns whether it did."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0][0])) is not None:
        return False
    rng = random.Random(seed)
    now = utcnow()
    agencies = {}
    for name, kind, statutory in AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.name == name))
        if agency is None:
            agency = Agency(name=name, kind=kind, statutory=statutory)
            db.session.add(agency)
        agencies[name] = agency
    db.session.flush()

    password_hash = hash_password(DEMO_PASSWORD)
    staff = {}
    for email, name, role, agency_name in DEMO_ACCOUNTS + OFFICERS:
        user = User(email=email, name=name, role=role, agency_id=agencies[agency_name].id, password_hash=password_hash)
        db.session.add(user)
        staff[email] = user
    db.session.flush()

    members = [staff["member@demo.test"], staff["chair@demo.test"], staff["pc.dunmore@demo.test"],
               staff["asb.officer@demo.test"], staff["fire.safety@demo.test"]]
    year_counts: dict[int, int] = {}

    def reference(opened: datetime) -> str:
        if opened.year not in year_counts:
            counter = db.session.get(CaseReferenceCounter, opened.year)
            year_counts[opened.year] = counter.last_number if counter else 0
        year_counts[opened.year] += 1
        return f"ASB-{opened.year}-{year_counts[opened.year]:05d}"

    def person() -> Person:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(rng.randint(1940, 2008), rng.randint(1, 12), rng.randint(1, 28))
        new = Person(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            address=f"{rng.randint(1, 120)} {rng.choice(['Orchard', 'Mill', 'Station', 'Church', 'Fen'])} Road",
            postcode=f"PE{rng.choice([13, 14, 15, 16])} {rng.randint(1, 9)}ZZ",
            phone=f"07700 900{rng.randint(100, 999)}",
            email=f"{first.lower()}.{last.lower()}@example.org",
            vulnerabilities=rng.choice(["", "", "Lives alone", "Mental health needs", "Hoarding", "Disability"]),
            created_by_id=staff["asb.officer@demo.test"].id,
        )
        db.session.add(new)
        return new

    plans = (
        [(CaseType.VICTIM, title) for title in VICTIM_TITLES * 3]
        + [(CaseType.PERPETRATOR, title) for title in PERPETRATOR_TITLES * 2]
        + [(CaseType.PLACE, title) for title in PLACE_TITLES]
        + [(CaseType.FAMILY, "Family with complex needs, Troubled Families referral")]
    )
    for number, (case_type, title) in enumerate(plans):
        opener = members[number % len(members)]
        opened = now - timedelta(days=rng.randint(2, 300), hours=rng.randint(0, 12))
        district, town, ward = rng.choice(PLACES)
        case = Case(
            reference=reference(opened),
            case_type=case_type,
            title=title,
            summary="Referred to the Problem Solving Group. Partners are sharing information under the "
            "partnership's information sharing agreement.",
            lead_agency_id=opener.agency_id,
            lead_officer_id=opener.id,
            district=district,
            town=town,
            ward=ward,
            # Every fourth victim case is restricted (domestic abuse or witness protection).
            restricted=case_type is CaseType.VICTIM and number % 4 == 3,
            opened_at=opened,
            opened_by_id=opener.id,
        )
        if number % 7 == 6:
            case.status, case.closed_at = CaseStatus.CLOSED, opened + timedelta(days=40)
        db.session.add(case)
        db.session.flush()
        involved = {opener.agency_id}
        # Most cases bring in one or two more partners; the housing association's
        # member sees the others as stubs, which shows need-to-know in action.
        for extra in rng.sample(list(agencies.values()), k=rng.choice([0, 1, 1, 2])):
            involved.add(extra.id)
        if number % 5 == 0:
            involved.add(agencies["Fenland Community Support"].id)
        for agency_id in sorted(involved):
            db.session.add(CaseAgency(case_id=case.id, agency_id=agency_id, added_by_id=opener.id, added_at=opened))

        roles = {
            CaseType.VICTIM: [PartyRole.VICTIM, PartyRole.PERPETRATOR, PartyRole.WITNESS],
            CaseType.PERPETRATOR: [PartyRole.PERPETRATOR, PartyRole.COMPLAINANT],
            CaseType.PLACE: [PartyRole.COMPLAINANT, PartyRole.PERPETRATOR],
            CaseType.FAMILY: [PartyRole.FAMILY_MEMBER, PartyRole.FAMILY_MEMBER, PartyRole.FAMILY_MEMBER],
        }[case_type]
        people = [person() for _role in roles]
        db.session.flush()
        for role, party in zip(roles, people, strict=True):
            db.session.add(CaseParty(case_id=case.id, person_id=party.id, role=role, added_by_id=opener.id, added_at=opened))
        for step, (kind, body) in enumerate(rng.sample(NOTES, k=rng.randint(1, 4))):
            db.session.add(
                Note(case_id=case.id, author_id=opener.id, kind=kind, body=body,
                     created_at=opened + timedelta(days=step * 3 + 1, hours=rng.randint(0, 8)))
            )
        if case.status is CaseStatus.CLOSED:
            db.session.add(Note(case_id=case.id, author_id=opener.id, kind=NoteKind.STATUS,
                                body="Case closed: risk reduced and no incidents for six weeks.", created_at=case.closed_at))

    for year, count in year_counts.items():
        counter = db.session.get(CaseReferenceCounter, year)
        if counter is None:
            db.session.add(CaseReferenceCounter(year=year, last_number=count))
        else:
            counter.last_number = count
    db.session.add(AuditEvent(verb="demo.loaded", object_type="demo", object_id=None, at=datetime.now(UTC)))
    db.session.flush()
    return True
