"""The fictional demo partnership that `make run` loads.

Agency kinds, towns and wards follow the source reports of Fenland and South and East
Cambridgeshire; every person, address and officer is invented.

Here: the agencies and accounts, and the order things are loaded in. Each area has its
own module: the casebook (`casebook`), high-risk victims and their SLA clocks
(`victims`), licensed premises (`premises`), and the partnership's work (`work`: the
delivery plan, meetings, referrals and actions, which share `shared`).
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import hash_password
from casework.agencies.models import Agency, AgencyKind
from casework.audit.models import AuditEvent
from casework.cases.models import CaseType
from casework.clock import utcnow
from casework.demo import casebook
from casework.demo.casebook import load_casebook
from casework.demo.premises import load_premises
from casework.demo.victims import load_high_risk_victims
from casework.demo.work import load_partnership_work
from casework.meetings.models import Meeting, MeetingKind
from casework.meetings.services import agenda
from casework.permissions import Role
from casework.premises.models import Premises

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
    load_casebook(rng, now, agencies=agencies, members=members, manager=manager)
    # Each part of the demo has its own seeded generator, so changing one leaves the rest as they were.
    victims_rng, premises_rng, work_rng = (random.Random(seed + n) for n in (1, 2, 3))  # nosec B311: seeded for repeatable demo data, not for security
    load_high_risk_victims(victims_rng, now, agencies=agencies, officers=members, manager=manager)

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
