"""People on cases: adding them (new or existing), finding duplicates, the person page."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.cases.models import Case, CaseParty, PartyRole
from casework.cases.services.lookup import get_case
from casework.clock import utcnow
from casework.exceptions import Checks, DomainError, InvalidInput, InvalidTransition, NotFound
from casework.limits import STOPPING_REASON_MAX
from casework.meetings.models import Meeting
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import (
    can,
    full_view_clause,
    open_agendas_chaired,
    shows_contact_details,
    visible_people,
    works_on_clause,
)
from casework.victims.services import sla

P = Permission


class SimilarPeopleExist(DomainError):
    """People the user can see look like the one about to be created; ``on_this_case``
    says, by person id, the roles any of them already has on the case ("a victim")."""

    def __init__(self, matches: list[Person], on_this_case: dict[int, str] | None = None) -> None:
        super().__init__(f"{len(matches)} similar people")
        self.matches = matches
        self.on_this_case = on_this_case or {}


# The shape of a UK postcode, spaces aside: the outward code (area and district, like
# "SW1A" or "PE13") and the inward code (sector and unit, like "1AA"). Whether the
# postcode exists is not checked: no list of them ships with Casework.
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
POSTCODE_FORMAT = "Enter a real postcode, like SW1A 1AA"
# A UK number: 0 or +44 (with "(0)" after it if they like), then 9 or 10 digits, the
# first not 0. Spaces, hyphens and brackets between the digits are allowed, and the
# number is kept in one form (normalise_phone).
_PHONE = re.compile(r"(?:\+44|0)[1-9][0-9]{8,9}")
_PHONE_SEPARATORS = re.compile(r"[ ()-]")
PHONE_FORMAT = "Enter a UK phone number, like 01632 960 001 or +44 7700 900 982"


def normalise_postcode(postcode: str) -> str:
    """'sw1a1aa' -> 'SW1A 1AA': upper case, one space before the inward code."""
    compact = "".join(postcode.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def is_uk_postcode(text: str) -> bool:
    return bool(_POSTCODE.fullmatch("".join(text.split()).upper()))


def _compact_phone(text: str) -> str:
    return _PHONE_SEPARATORS.sub("", text.strip().replace("+44 (0)", "+44").replace("+44(0)", "+44"))


def is_uk_phone(text: str) -> bool:
    return bool(_PHONE.fullmatch(_compact_phone(text)))


def _phone_groups(national: str) -> tuple[int, ...]:
    """How a national number is grouped for reading, as Ofcom and GOV.UK write them:
    London and the other 02 areas 3-4-4 (020 7946 0000), the 011x and 01x1 cities 4-3-4
    (0121 496 0000), 03, 08 and 09 numbers 4-3-4 (0300 123 4567), other areas and
    mobiles 5-3-3 (01632 960 001, 07700 900 982); the shorter 10-digit numbers 5-5
    (01632 96000) or 4-6 (0800 123456)."""
    if len(national) == 10:
        return (5, 5) if national[1] in "17" else (4, 6)
    if national[1] == "2":
        return (3, 4, 4)
    if national[1] in "389" or (national[1] == "1" and "1" in (national[2], national[3])):
        return (4, 3, 4)
    return (5, 3, 3)


def normalise_phone(phone: str) -> str:
    """'+44 (0)7700-900982' -> '07700 900 982': a UK number in its national form,
    grouped for reading, so one number is stored one way. Text that is not a UK number
    (only ever stored before numbers were checked) is kept as it is, trimmed."""
    compact = _compact_phone(phone)
    if not _PHONE.fullmatch(compact):
        return phone.strip()
    national = "0" + compact.removeprefix("+44") if compact.startswith("+44") else compact
    groups, start = [], 0
    for size in _phone_groups(national):
        groups.append(national[start : start + size])
        start += size
    return " ".join(groups)


def check_contact_details(checks: Checks, *, postcode: str | None = None, phone: str | None = None) -> None:
    """A postcode and a phone number typed in (blank is fine), into ``checks``."""
    if postcode and postcode.strip() and not is_uk_postcode(postcode):
        checks.refuse(POSTCODE_FORMAT, field="postcode")
    if phone and phone.strip() and not is_uk_phone(phone):
        checks.refuse(PHONE_FORMAT, field="phone")


def find_similar(
    actor: User, *, first_name: str, last_name: str, date_of_birth: date | None, postcode: str
) -> list[Person]:
    """Same name and date of birth, or same name and postcode, among people the user may see."""
    same_name = sa.and_(
        func.lower(Person.first_name) == first_name.strip().lower(),
        func.lower(Person.last_name) == last_name.strip().lower(),
    )
    also = []
    if date_of_birth is not None:
        also.append(Person.date_of_birth == date_of_birth)
    if postcode.strip():
        also.append(Person.postcode == normalise_postcode(postcode))
    if not also:
        return []
    query = visible_people(actor).where(same_name, sa.or_(*also)).order_by(Person.id).limit(10)
    return list(db.session.scalars(query))


def add_new_person(
    actor: User,
    reference: str,
    *,
    role: PartyRole,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    address: str,
    postcode: str,
    phone: str,
    email: str,
    vulnerabilities: str,
    confirmed_new: bool,
) -> CaseParty:
    """Create a person and add them to the case.

    Unless the user has already seen and set aside the similar people, raise
    SimilarPeopleExist so that they can pick an existing record instead.
    """
    case = get_case(actor, reference, P.CASE_ADD_PERSON)
    if not confirmed_new:
        matches = find_similar(
            actor, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, postcode=postcode
        )
        if matches:
            raise SimilarPeopleExist(matches, _roles_on_case(case, matches))
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        address=address.strip(),
        postcode=normalise_postcode(postcode),
        phone=normalise_phone(phone),
        email=email.strip(),
        vulnerabilities=vulnerabilities.strip(),
        created_by_id=actor.id,
    )
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "person.created", "person", person.id, person_id=person.id, case_id=case.id)
    return _new_party(actor, case, person, role)  # a person created now is on no case yet


def _roles_on_case(case: Case, people: list[Person]) -> dict[int, str]:
    rows = db.session.execute(
        select(CaseParty.person_id, CaseParty.role)
        .where(
            CaseParty.case_id == case.id,
            CaseParty.person_id.in_([person.id for person in people]),
            CaseParty.removed_at.is_(None),
        )
        .order_by(CaseParty.id)
    )
    roles: dict[int, list[str]] = {}
    for person_id, role in rows:
        label = role.label.lower()
        roles.setdefault(person_id, []).append(f"{'an' if label[0] in 'aeiou' else 'a'} {label}")
    return {person_id: " and ".join(named) for person_id, named in roles.items()}


def add_existing_person(actor: User, reference: str, *, person_id: int, role: PartyRole) -> CaseParty:
    case = get_case(actor, reference, P.CASE_ADD_PERSON)
    person = db.session.scalar(visible_people(actor).where(Person.id == person_id))
    if person is None:
        raise InvalidInput("Select a person from the list", field="person_id")
    return _add_party(actor, case, person, role)


def _add_party(actor: User, case: Case, person: Person, role: PartyRole) -> CaseParty:
    """An existing person onto the case; back in a role they were taken off, the earlier
    record of them is reused."""
    existing = db.session.scalar(
        select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.person_id == person.id, CaseParty.role == role)
    )
    if existing is None:
        return _new_party(actor, case, person, role)
    if existing.removed_at is None:
        raise InvalidInput(f"{person.full_name} is already a {role.label.lower()} on this case", field="role")
    existing.removed_at, existing.removal_reason = None, ""
    return _recorded(actor, existing)


def _new_party(actor: User, case: Case, person: Person, role: PartyRole) -> CaseParty:
    party = CaseParty(case_id=case.id, person_id=person.id, role=role, added_by_id=actor.id, added_at=utcnow())
    db.session.add(party)
    return _recorded(actor, party)


def _recorded(actor: User, party: CaseParty) -> CaseParty:
    db.session.flush()
    audit.record(
        actor,
        "case.person_added",
        "case_party",
        party.id,
        case_id=party.case_id,
        person_id=party.person_id,
        detail={"role": party.role.value},
    )
    return party


def removable_party(actor: User, reference: str, party_id: int) -> tuple[Case, CaseParty]:
    """The case and a person on it, for the page that asks why they are being taken off.
    Someone not on this case is not found; someone already taken off cannot be again."""
    case = get_case(actor, reference, P.CASE_REMOVE_PERSON)
    party = db.session.scalar(
        select(CaseParty)
        .where(CaseParty.id == party_id, CaseParty.case_id == case.id)
        .options(joinedload(CaseParty.person))
    )
    if party is None:
        raise NotFound("case party", party_id)
    if party.removed_at is not None:
        raise InvalidTransition(f"{party.person.full_name} has already been taken off this case")
    return case, party


def remove_from_case(actor: User, reference: str, *, party_id: int, reason: str) -> CaseParty:
    """Take a person off a case. The record stays, marked removed; a victim's open
    SLA clocks stop with the reason."""
    case = get_case(actor, reference, P.CASE_REMOVE_PERSON)
    if len(reason.strip()) > STOPPING_REASON_MAX:
        # It is kept on the record and in the SLA stop reason, which has room for this much.
        raise InvalidInput(f"Reason must be {STOPPING_REASON_MAX} characters or fewer", field="reason")
    party = db.session.scalar(
        select(CaseParty).where(CaseParty.id == party_id, CaseParty.case_id == case.id, CaseParty.removed_at.is_(None))
    )
    if party is None:
        raise InvalidInput("Select a person on this case", field="party_id")
    now = utcnow()
    party.removed_at, party.removal_reason = now, reason.strip()
    db.session.flush()
    audit.record(
        actor,
        "case.person_removed",
        "case_party",
        party.id,
        case_id=case.id,
        person_id=party.person_id,
        detail={"role": party.role.value},
    )
    if party.role is PartyRole.VICTIM:
        sla.stop(case.id, party.person_id, at=now, reason=f"Victim removed from the case: {reason.strip()}")
    return party


def search_people(actor: User, reference: str, *, name: str) -> list[Person]:
    """People the user may see whose name contains every word typed, for 'add existing'."""
    get_case(actor, reference, P.CASE_ADD_PERSON)
    words = name.lower().split()
    if not words:
        return []
    full_name = func.lower(Person.first_name + " " + Person.last_name)
    query = visible_people(actor).where(*(full_name.contains(word, autoescape=True) for word in words))
    return list(db.session.scalars(query.order_by(Person.last_name, Person.first_name, Person.id).limit(25)))


@dataclass(frozen=True)
class PersonCase:
    case: Case
    roles: list[PartyRole]


@dataclass
class PersonPageData:
    person: Person
    contact_details_shown: bool
    cases: list[PersonCase] = field(default_factory=list)


def _through_meeting(actor: User) -> sa.ColumnElement[Any]:
    """Per case: the open meeting whose chair (the actor) sees it in full only through
    its agenda, or null when the actor works on the case (or chairs no such meeting)."""
    if not can(actor, Permission.MEETING_RUN):
        return sa.null()
    meeting = open_agendas_chaired(actor).order_by(Meeting.held_at, Meeting.id).limit(1).scalar_subquery()
    return sa.case((works_on_clause(actor), sa.null()), else_=meeting)


def _why_seen(rows: Sequence[Any], access_reasons: Mapping[int, dict[str, str]]) -> dict[str, object]:
    """What a ``person.viewed`` event says of why the person was seen, like ``case.viewed``
    does for a case: the reason given for each restricted case they are on, and the
    meeting for each case seen only through a chaired agenda, by case reference."""
    reasons = {case.reference: access_reasons.get(case.id) or {} for _role, case, _m in rows if case.restricted}
    meetings = {case.reference: meeting for _role, case, meeting in rows if meeting is not None}
    detail: dict[str, object] = {}
    if reasons:
        detail["access_reasons"] = reasons
    if meetings:
        detail["meetings"] = meetings
    return detail


def person_page(
    actor: User, person_id: int, *, access_reasons: Mapping[int, dict[str, str]] | None = None
) -> PersonPageData:
    """The person and the cases the actor sees them on, and the audit record of this
    view; ``access_reasons`` are the reasons given this session for opening restricted
    cases, by case id (as for the case page)."""
    person = db.session.scalar(visible_people(actor).where(Person.id == person_id))
    if person is None:
        raise NotFound("person", person_id)
    # Only the cases this user sees in full; other cases stay unmentioned.
    rows = db.session.execute(
        select(CaseParty.role, Case, _through_meeting(actor))
        .join(Case, Case.id == CaseParty.case_id)
        .where(CaseParty.person_id == person.id, full_view_clause(actor))
        .options(joinedload(Case.lead_agency))
        .order_by(Case.opened_at.desc(), CaseParty.id)
    ).all()
    all_roles = set(db.session.scalars(select(CaseParty.role).where(CaseParty.person_id == person.id).distinct()))
    by_case: dict[int, PersonCase] = {}
    for role, case, _meeting in rows:
        by_case.setdefault(case.id, PersonCase(case, [])).roles.append(role)
    detail = _why_seen(rows, access_reasons or {})
    audit.record(actor, "person.viewed", "person", person.id, person_id=person.id, detail=detail)
    return PersonPageData(
        person=person,
        # Judged on every case the person is on, so a victim elsewhere stays protected.
        contact_details_shown=shows_contact_details(actor, all_roles),
        cases=list(by_case.values()),
    )
