"""Keyword-only builders. Each adds and commits: under the test fixture a commit only
releases a SAVEPOINT, and the test's outer transaction still rolls everything back."""

import functools
import itertools
from datetime import date, datetime

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import hash_password
from casework.actions.models import Action, ActionStatus
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, Note, NoteKind, PartyRole
from casework.clock import today, utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingKind
from casework.people.models import Person
from casework.permissions import Role
from casework.plan.models import PlanAction, PlanActionKind, PlanActionStatus, PlanMilestone, Priority
from casework.premises.models import Premises, PremisesKind, TlsStatus
from casework.rag import Rag
from casework.referrals.models import Consent, Referral, ReferralStatus, ReferralSubject

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once per process, when the first user is made: after
    tests/conftest.py has set the cost the suite hashes at."""
    return hash_password(PASSWORD)


_numbers = itertools.count(1)


def make_agency(*, name: str | None = None, kind: AgencyKind = AgencyKind.COUNCIL, active: bool = True) -> Agency:
    agency = Agency(name=name or f"Agency {next(_numbers)}", kind=kind, statutory=True, active=active)
    db.session.add(agency)
    db.session.commit()
    return agency


def make_user(
    *,
    role: Role = Role.PSG_MEMBER,
    agency: Agency | None = None,
    email: str | None = None,
    name: str | None = None,
    active: bool = True,
) -> User:
    number = next(_numbers)
    user = User(
        email=email or f"user{number}@example.test",
        name=name or f"User {number}",
        role=role,
        agency_id=(agency or make_agency()).id,
        password_hash=_password_hash(),
        active=active,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_case(
    *,
    lead_agency: Agency,
    opened_by: User | None = None,
    involved: list[Agency] = (),  # type: ignore[assignment]
    title: str = "Noise and threats from a neighbour",
    case_type: CaseType = CaseType.VICTIM,
    status: CaseStatus = CaseStatus.OPEN,
    restricted: bool = False,
    town: str = "Wisbech",
    opened_at: datetime | None = None,
    reference: str | None = None,
    premises: Premises | None = None,
) -> Case:
    opener = opened_by or make_user(agency=lead_agency)
    when = opened_at or utcnow()
    case = Case(
        reference=reference or f"ASB-{when.year}-{90000 + next(_numbers):05d}",
        case_type=case_type,
        title=title,
        summary="Summary of the case.",
        status=status,
        lead_agency_id=lead_agency.id,
        lead_officer_id=opener.id,
        district="Fenland",
        town=town,
        ward="Waterlees",
        restricted=restricted,
        premises_id=premises.id if premises else None,
        opened_at=when,
        opened_by_id=opener.id,
        closed_at=when if status is CaseStatus.CLOSED else None,
    )
    db.session.add(case)
    db.session.flush()
    for agency in {lead_agency.id: lead_agency, **{a.id: a for a in involved}}.values():
        db.session.add(
            CaseAgency(
                case_id=case.id,
                agency_id=agency.id,
                added_by_id=opener.id,
                added_at=when,
                case_open=status is CaseStatus.OPEN,
            )
        )
    db.session.commit()
    return case


def make_person(
    *,
    created_by: User,
    first_name: str = "Ada",
    last_name: str = "Ashdown",
    date_of_birth: date | None = date(1980, 5, 17),
    postcode: str = "PE13 1ZZ",
    address: str = "1 Orchard Road, Wisbech",
    phone: str = "07700 900123",
) -> Person:
    person = Person(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        address=address,
        postcode=postcode,
        phone=phone,
        email="ada@example.org",
        created_by_id=created_by.id,
    )
    db.session.add(person)
    db.session.commit()
    return person


def add_party(*, case: Case, person: Person, role: PartyRole = PartyRole.VICTIM) -> CaseParty:
    party = CaseParty(case_id=case.id, person_id=person.id, role=role, added_by_id=case.opened_by_id, added_at=utcnow())
    db.session.add(party)
    db.session.commit()
    return party


def make_note(*, case: Case, author: User, body: str = "Visited the victim.", kind: NoteKind = NoteKind.NOTE) -> Note:
    note = Note(case_id=case.id, author_id=author.id, kind=kind, body=body, created_at=utcnow())
    db.session.add(note)
    db.session.commit()
    return note


def make_premises(
    *,
    name: str | None = None,
    status: TlsStatus = TlsStatus.GREEN,
    status_since: datetime | None = None,
    kind: PremisesKind = PremisesKind.ON_SALES,
    town: str = "Wisbech",
    cluster: str = "Wisbech pub cluster",
    licence_number: str | None = None,
    created_at: datetime | None = None,
) -> Premises:
    premises = build_premises(
        name=name,
        status=status,
        status_since=status_since,
        kind=kind,
        town=town,
        cluster=cluster,
        licence_number=licence_number,
        created_at=created_at,
    )
    db.session.add(premises)
    db.session.commit()
    return premises


def build_premises(
    *,
    name: str | None = None,
    status: TlsStatus = TlsStatus.GREEN,
    status_since: datetime | None = None,
    kind: PremisesKind = PremisesKind.ON_SALES,
    town: str = "Wisbech",
    cluster: str = "Wisbech pub cluster",
    licence_number: str | None = None,
    created_at: datetime | None = None,
) -> Premises:
    """The row ``make_premises`` adds, not yet added: for a test that adds hundreds at once."""
    number = next(_numbers)
    return Premises(
        name=name or f"The Crown {number}",
        address=f"{number} Market Place, {town}",
        postcode="PE13 1AB",
        licence_number=licence_number or f"PL-{number:05d}",
        kind=kind,
        town=town,
        cluster=cluster,
        licence_holder="Fenland Taverns Ltd",
        designated_premises_supervisor="Sam Barker",
        status=status,
        status_since=status_since or utcnow(),
        created_at=created_at or utcnow(),
    )


# --- Actions ---------------------------------------------------------------------------


def make_action(
    *,
    agency: Agency,
    created_by: User,
    case: Case | None = None,
    premises: Premises | None = None,
    meeting_id: int | None = None,
    plan_action_id: int | None = None,
    title: str = "Visit the victim with the housing officer",
    due_on: date | None = None,
    status: ActionStatus = ActionStatus.OPEN,
    assignee: User | None = None,
) -> Action:
    """An action as stored, without the checks of services.actions.create_action."""
    action = Action(
        case_id=case.id if case else None,
        premises_id=premises.id if premises else None,
        meeting_id=meeting_id,
        plan_action_id=plan_action_id,
        title=title,
        assigned_agency_id=agency.id,
        assignee_id=assignee.id if assignee else None,
        due_on=due_on or today(),
        status=status,
        created_by_id=created_by.id,
    )
    db.session.add(action)
    db.session.commit()
    return action


# --- Delivery plan ---------------------------------------------------------------------


def make_priority(*, number: int, title: str | None = None, lead_officer: str = "", year_targets: str = "") -> Priority:
    priority = Priority(
        number=number, title=title or f"Priority {number}", lead_officer=lead_officer, year_targets=year_targets
    )
    db.session.add(priority)
    db.session.commit()
    return priority


def make_plan_action(
    *,
    priority: Priority,
    ref: str,
    lead_agency: Agency,
    action: str = "Run a summer diversionary programme",
    kind: PlanActionKind = PlanActionKind.PREVENTION,
    project: str = "",
    partners: tuple[Agency, ...] = (),
    milestones: tuple[tuple[date, str, bool], ...] = (),
    rag: Rag | None = None,
    rag_reason: str = "",
    improvement: str = "",
    progress: str = "",
    status: PlanActionStatus = PlanActionStatus.OPEN,
) -> PlanAction:
    """A plan action as stored, without the checks of services.plan."""
    plan_action = PlanAction(
        priority_id=priority.id,
        ref=ref,
        kind=kind,
        action=action,
        project=project,
        lead_agency_id=lead_agency.id,
        rag=rag,
        rag_reason=rag_reason,
        improvement=improvement,
        progress=progress,
        status=status,
        partners=list(partners),
        milestones=[PlanMilestone(due_on=due_on, text=text, done=done) for due_on, text, done in milestones],
    )
    db.session.add(plan_action)
    db.session.commit()
    return plan_action


def make_plan_item(
    *,
    lead_agency: Agency,
    ref: str = "1.3.3",
    priority_title: str | None = None,
    action: str = "Run a summer diversionary programme",
) -> PlanAction:
    """A plan action under a new priority, numbered as its reference's first part."""
    priority = make_priority(number=int(ref.split(".")[0]), title=priority_title)
    return make_plan_action(priority=priority, ref=ref, lead_agency=lead_agency, action=action)


# --- Referrals -------------------------------------------------------------------------


def make_referral(
    *,
    referrer: User,
    subject: ReferralSubject = ReferralSubject.PERSON,
    first_name: str = "Ada",
    last_name: str = "Ashdown",
    date_of_birth: date | None = date(1980, 5, 17),
    postcode: str = "PE13 1ZZ",
    address: str = "1 Orchard Road, Wisbech",
    place: str = "",
    what_is_happening: str = "Youths shouting and throwing stones at her windows most nights.",
    consent: Consent = Consent.YES,
    status: ReferralStatus = ReferralStatus.NEW,
    received_at: datetime | None = None,
) -> Referral:
    referral = Referral(
        subject=subject,
        first_name=first_name if subject is ReferralSubject.PERSON else "",
        last_name=last_name if subject is ReferralSubject.PERSON else "",
        date_of_birth=date_of_birth if subject is ReferralSubject.PERSON else None,
        address=address,
        postcode=postcode,
        place=place,
        what_is_happening=what_is_happening,
        risks="",
        consent=consent,
        consent_reason="" if consent is Consent.YES else "Could not reach her safely",
        referring_agency_id=referrer.agency_id,
        referrer_id=referrer.id,
        received_at=received_at or utcnow(),
        status=status,
    )
    db.session.add(referral)
    db.session.commit()
    return referral


# --- Meetings --------------------------------------------------------------------------


def make_psg_meeting(
    *,
    chair: User,
    held_at: datetime | None = None,
    location: str = "Fenland Hall, March",
    finished_at: datetime | None = None,
) -> Meeting:
    """A PSG meeting as stored, without the checks of services.commands.schedule_meeting
    (so one can be made in the past, or already finished)."""
    meeting = Meeting(
        kind=MeetingKind.PSG_MEETING,
        held_at=held_at or utcnow(),
        location=location,
        chair_id=chair.id,
        recorded_by_id=chair.id,
        finished_at=finished_at,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def make_agenda_item(
    *,
    meeting: Meeting,
    position: int,
    case: Case | None = None,
    referral_id: int | None = None,
    topic: str = "",
    reasons: tuple[str, ...] = ("Added by the chair",),
    added_by_chair: bool = True,
    minutes: str = "",
) -> AgendaItem:
    item = AgendaItem(
        meeting_id=meeting.id,
        position=position,
        case_id=case.id if case else None,
        referral_id=referral_id,
        topic=topic,
        reasons=list(reasons),
        added_by_chair=added_by_chair,
        minutes=minutes,
    )
    db.session.add(item)
    db.session.commit()
    return item
