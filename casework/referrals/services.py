"""Referrals to the PSG: making one, the lists and page, and the chair's decision.

Any agency refers a person or a place. The chair checks the referral against the
people and open cases already known, then accepts it into an existing or a new case
(through the same case and people services as a case opened by hand, so numbering,
rules and audit are the same) or declines it with a reason the referrer sees. A
decision is taken once: the referral row is locked and versioned, and everything an
acceptance writes happens inside one savepoint, so a refusal or a failure half-way
leaves nothing behind.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, NoteKind, PartyRole
from casework.cases.services import commands as cases
from casework.cases.services import lookup as case_lookup
from casework.clock import today, utcnow
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.notifications import events
from casework.paging import Page, clamp
from casework.people import services as people
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import (
    authorize,
    can,
    full_view_clause,
    listable_clause,
    visible_cases,
    visible_referrals,
    works_on_clause,
)
from casework.referrals.models import Consent, Referral, ReferralStatus, ReferralSubject

P = Permission

# The roles a referred person can take on the case they are accepted into.
REFERRED_ROLES = (PartyRole.VICTIM, PartyRole.PERPETRATOR, PartyRole.COMPLAINANT)

NEARBY_LIMIT = 10


# --- Making a referral -------------------------------------------------------------


def check_referral(
    actor: User,
    *,
    subject: ReferralSubject | None,
    first_name: str | None,
    last_name: str | None,
    date_of_birth: date | None,
    postcode: str | None,
    place: str | None,
    what_is_happening: str | None,
    consent: Consent | None,
    consent_reason: str | None,
) -> None:
    """InvalidInput with every rule a referral breaks, on what of the form could be read
    (None for a field the form could not read)."""
    authorize(actor, P.REFERRAL_MAKE)
    checks = Checks()

    def required(text: str | None, message: str, field: str) -> None:
        if text is not None and not text.strip():
            checks.refuse(message, field=field)

    if subject is ReferralSubject.PERSON:
        required(first_name, "Enter the person's first name", "first_name")
        required(last_name, "Enter the person's last name", "last_name")
        if date_of_birth is not None and date_of_birth > today():
            checks.refuse("Date of birth must be in the past", field="date_of_birth")
    elif subject is ReferralSubject.PLACE:
        required(place, "Enter the place", "place")
    people.check_contact_details(checks, postcode=postcode)
    required(what_is_happening, "Enter what is happening", "what_is_happening")
    if consent is not None and consent is not Consent.YES:
        required(consent_reason, "Enter why consent was not given or not asked for", "consent_reason")
    checks.raise_any()


def make_referral(
    actor: User,
    *,
    subject: ReferralSubject,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    address: str,
    postcode: str,
    place: str,
    what_is_happening: str,
    risks: str,
    consent: Consent,
    consent_reason: str,
) -> Referral:
    """A new referral from the actor's agency, waiting for the chair."""
    check_referral(
        actor,
        subject=subject,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        postcode=postcode,
        place=place,
        what_is_happening=what_is_happening,
        consent=consent,
        consent_reason=consent_reason,
    )
    if subject is not ReferralSubject.PERSON:
        # A place referral names no one: nothing about a person is kept with it.
        first_name, last_name, date_of_birth = "", "", None
    referral = Referral(
        subject=subject,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        address=address.strip(),
        postcode=people.normalise_postcode(postcode),
        place=place.strip(),
        what_is_happening=what_is_happening.strip(),
        risks=risks.strip(),
        consent=consent,
        consent_reason=consent_reason.strip(),
        referring_agency_id=actor.agency_id,
        referrer_id=actor.id,
        received_at=utcnow(),
        status=ReferralStatus.NEW,
    )
    db.session.add(referral)
    db.session.flush()
    audit.record(
        actor,
        "referral.made",
        "referral",
        referral.id,
        detail={"subject": subject.value, "consent": consent.value},
    )
    events.referral_made(actor, referral)
    return referral


# --- The list ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    case_reference: str | None
    case_visible: bool


# The list counts its referrals exactly up to this many, then says "more than": an exact
# total reads every referral, and no one pages to the end of years of decided ones. The
# new ones, which the chair has to decide, are always counted exactly.
COUNT_CAP = 1000


@dataclass(frozen=True)
class ReferralPage(Page[ReferralRow]):
    more_than: bool = False  # more than COUNT_CAP referrals: ``total`` is the cap
    has_next: bool = False

    @property
    def pages(self) -> int:
        """The pages known: all of them, or when the total is capped those the cap
        covers and as far as the next one from here."""
        counted = max(1, -(-self.total // self.per_page))
        if not self.more_than:
            return counted
        return max(counted, self.page + 1 if self.has_next else self.page)


def list_referrals(actor: User, *, status: ReferralStatus | None, page: int, per_page: int) -> ReferralPage:
    """The referrals the actor sees, new ones first, then the newest, in three
    statements whatever their number (the user, the counts, the page).

    The page is read as two ranges of indexes rather than one sort of every referral:
    the new ones newest first (``ix_referrals_status_received_at``), then the decided
    ones newest first (``ix_referrals_received_at_id``), each only as far as the page
    reaches, its place in each worked out from the count of new referrals (an index
    range). The total is counted only up to COUNT_CAP; past the end of a longer list
    one more statement counts it to find the last page."""
    authorize(actor, P.REFERRAL_MAKE)
    query = visible_referrals(actor)
    if status is not None:
        query = query.where(Referral.status == status)
    is_new = Referral.status == ReferralStatus.NEW
    capped = query.with_only_columns(Referral.id).limit(COUNT_CAP + 1).subquery()
    counted, new = db.session.execute(
        select(
            select(func.count()).select_from(capped).scalar_subquery(),
            query.where(is_new).with_only_columns(func.count(), maintain_column_froms=True).scalar_subquery(),
        )
    ).one()
    more_than = counted > COUNT_CAP
    page = max(1, page) if more_than else clamp(page, counted, per_page)
    rows = _referral_rows(actor, query, new, (page - 1) * per_page, per_page + 1)
    if not rows and page > 1:  # past the end of a list longer than the cap: its last page
        total = db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)) or 0
        page = clamp(page, total, per_page)
        rows = _referral_rows(actor, query, new, (page - 1) * per_page, per_page + 1)
    items = [ReferralRow(referral, reference, bool(visible)) for referral, reference, visible in rows[:per_page]]
    return ReferralPage(
        items, min(counted, COUNT_CAP), page, per_page, more_than=more_than, has_next=len(rows) > per_page
    )


def _referral_rows(actor: User, query: Select[Referral], new: int, offset: int, limit: int) -> list[sa.Row]:
    """``limit`` referrals from ``offset``: new ones first, each part newest first."""
    is_new = Referral.status == ReferralStatus.NEW
    newest = (Referral.received_at.desc(), Referral.id.desc())
    parts = []
    if offset < new:  # the page starts among the new referrals
        parts.append(query.where(is_new).order_by(*newest).limit(limit).offset(offset))
    if offset + limit > new:  # and reaches the decided ones
        decided = query.where(Referral.status != ReferralStatus.NEW).order_by(*newest)
        parts.append(decided.limit(limit - max(0, new - offset)).offset(max(0, offset - new)))
    # Each part is a subquery of its own: SQLite takes no LIMIT in a member of a UNION.
    ids = sa.union_all(*(select(part.with_only_columns(Referral.id).subquery().c.id) for part in parts))
    return list(
        db.session.execute(
            select(Referral)
            .where(Referral.id.in_(ids))
            .outerjoin(Case, Case.id == Referral.case_id)
            .add_columns(Case.reference, _case_visible(actor))
            .options(joinedload(Referral.referring_agency), joinedload(Referral.referrer))
            .order_by(sa.case((is_new, 0), else_=1), *newest)
        ).all()
    )


def _case_visible(actor: User) -> sa.ColumnElement[bool]:
    """SQL truth of 'the actor may open the page of the referral's case' (stub or full)."""
    if not can(actor, P.CASE_LIST):
        return sa.false()
    return sa.and_(Case.id.is_not(None), listable_clause(actor))


# --- One referral ------------------------------------------------------------------


def _load(actor: User, referral_id: int) -> Referral:
    referral = db.session.scalar(
        visible_referrals(actor)
        .where(Referral.id == referral_id)
        .options(
            joinedload(Referral.referring_agency),
            joinedload(Referral.referrer),
            joinedload(Referral.decided_by),
        )
    )
    if referral is None:
        raise NotFound("referral", referral_id)
    return referral


def _require_new(referral: Referral) -> None:
    if referral.status is not ReferralStatus.NEW:
        raise InvalidTransition(f"This referral has already been {referral.status.value}")


def decidable_referral(actor: User, referral_id: int) -> Referral:
    """A referral the actor may accept or decline now: NotFound unless they see it,
    PermissionDenied unless they are a chair, InvalidTransition once it is decided."""
    referral = _load(actor, referral_id)
    authorize(actor, P.REFERRAL_DECIDE)
    _require_new(referral)
    return referral


@dataclass(frozen=True)
class CaseSeen:
    """A case as the chair may see it: on a stub, no role and nothing else about it."""

    case: Case
    full_view: bool
    role: PartyRole | None = None


@dataclass(frozen=True)
class SimilarPerson:
    person: Person
    cases: list[CaseSeen]


@dataclass
class ReferralPageData:
    referral: Referral
    case_reference: str | None = None
    case_visible: bool = False
    may_decide: bool = False
    similar: list[SimilarPerson] = field(default_factory=list)
    nearby: list[Case] = field(default_factory=list)


def referral_page(actor: User, referral_id: int) -> ReferralPageData:
    """Everything the referral page shows, and the audit record of this view; for a
    chair and a new referral, the checks against what the partnership already knows."""
    referral = _load(actor, referral_id)
    data = ReferralPageData(referral=referral)
    if referral.case_id is not None:
        data.case_reference = db.session.scalar(select(Case.reference).where(Case.id == referral.case_id))
        data.case_visible = (
            db.session.execute(visible_cases(actor).where(Case.id == referral.case_id)).first() is not None
        )
    audit.record(
        actor, "referral.viewed", "referral", referral.id, case_id=referral.case_id, person_id=referral.person_id
    )
    if referral.status is ReferralStatus.NEW and can(actor, P.REFERRAL_DECIDE):
        data.may_decide = True
        data.similar = similar_people(actor, referral)
        data.nearby = nearby_open_cases(actor, referral)
    return data


def similar_people(actor: User, referral: Referral) -> list[SimilarPerson]:
    """People the actor may see with the referred person's name and date of birth or
    postcode, each with the cases they are on.

    Cases the actor sees only as a stub are listed (so they can ask for access) without
    the person's role; restricted cases they cannot see in full are left out, as their
    stubs name no one.
    """
    if referral.subject is not ReferralSubject.PERSON:
        return []
    matches = people.find_similar(
        actor,
        first_name=referral.first_name,
        last_name=referral.last_name,
        date_of_birth=referral.date_of_birth,
        postcode=referral.postcode,
    )
    if not matches:
        return []
    full_view = full_view_clause(actor)
    rows = db.session.execute(
        visible_cases(actor)
        .add_columns(CaseParty.person_id, CaseParty.role)
        .join(CaseParty, CaseParty.case_id == Case.id)
        .where(
            CaseParty.person_id.in_([person.id for person in matches]),
            CaseParty.removed_at.is_(None),
            sa.or_(full_view, Case.restricted.is_(False)),
        )
        .options(joinedload(Case.lead_agency))
        .order_by(Case.opened_at.desc(), Case.id, CaseParty.id)
    ).all()
    by_person: dict[int, list[CaseSeen]] = {person.id: [] for person in matches}
    for case, full, person_id, role in rows:
        by_person[person_id].append(CaseSeen(case, bool(full), role if full else None))
    return [SimilarPerson(person, _one_per_case(by_person[person.id])) for person in matches]


def _one_per_case(seen: list[CaseSeen]) -> list[CaseSeen]:
    """A stub lists a case once, however many parts the person has on it."""
    result: list[CaseSeen] = []
    stubs: set[int] = set()
    for item in seen:
        if not item.full_view:
            if item.case.id in stubs:
                continue
            stubs.add(item.case.id)
        result.append(item)
    return result


def _postcode_district(postcode: str) -> str:
    """'PE13' from 'PE13 1ZZ'; blank unless it is a whole postcode."""
    compact = "".join(postcode.split())
    return people.normalise_postcode(compact).split(" ")[0] if 5 <= len(compact) <= 7 else ""


def nearby_open_cases(actor: User, referral: Referral) -> list[Case]:
    """Open cases the actor sees in full in the same town as the place or address, or
    with someone on them in the same postcode district. Towns and the people on a case
    are not on its stub, so stubs are never matched on them."""
    conditions: list[sa.ColumnElement[bool]] = []
    if district := _postcode_district(referral.postcode):
        someone_nearby = (
            select(CaseParty.id)
            .join(Person, Person.id == CaseParty.person_id)
            .where(
                CaseParty.case_id == Case.id,
                CaseParty.removed_at.is_(None),
                Person.postcode.startswith(f"{district} ", autoescape=True),
            )
            .exists()
        )
        conditions.append(someone_nearby)
    if where := " ".join((referral.place, referral.address)).strip().lower():
        conditions.append(sa.and_(Case.town != "", sa.literal(where).contains(func.lower(Case.town))))
    if not conditions:
        return []
    if not can(actor, P.CASE_LIST):
        return []
    # Only cases seen in full (as stub_safe with shown_on_stub=False), probed one by one
    # as the newest open cases are read: the list stops after NEARBY_LIMIT.
    query = (
        select(Case)
        .where(Case.status == CaseStatus.OPEN, sa.or_(*conditions), full_view_clause(actor, per_row=True))
        .options(joinedload(Case.lead_agency))
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(NEARBY_LIMIT)
    )
    return list(db.session.scalars(query))


# --- Deciding ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    """The case a referral opens, as the chair describes it."""

    case_type: CaseType
    title: str
    lead_agency_id: int | None
    restricted: bool = False


@dataclass(frozen=True)
class ReferredPerson:
    """Who the referred person is on the case: someone already known, or a new record
    made from the referral's details (existing_person_id None)."""

    role: PartyRole
    existing_person_id: int | None = None


@dataclass(frozen=True)
class Acceptance:
    """What accepting a referral did: the case it went into and, when the referred
    person was already on that case in the role chosen, what to tell the chair."""

    case: Case
    already_there: str = ""


def _locked_for_decision(actor: User, referral_id: int, version: int) -> Referral:
    """The referral, locked until the decision is committed, if it may be decided now.

    The row is locked (PostgreSQL; SQLite serialises writers) and read afresh, so a
    second chair waits for the first and then finds the referral decided; the version
    check when the decision is written is the last line of defence.
    """
    referral = db.session.scalar(
        visible_referrals(actor)
        .where(Referral.id == referral_id)
        .options(joinedload(Referral.referring_agency), joinedload(Referral.referrer))
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    )
    if referral is None:
        raise NotFound("referral", referral_id)
    authorize(actor, P.REFERRAL_DECIDE)
    _require_new(referral)
    ensure_version(referral, version)
    return referral


def _record_decision(actor: User, referral: Referral, status: ReferralStatus, **outcome: object) -> None:
    referral.status = status
    referral.decided_by_id = actor.id
    referral.decided_at = utcnow()
    for name, value in outcome.items():
        setattr(referral, name, value)
    db.session.flush()
    events.referral_decided(actor, referral)


def _decided_meanwhile(referral_id: int) -> InvalidTransition | EditConflict:
    status = db.session.scalar(select(Referral.status).where(Referral.id == referral_id))
    if status is None or status is ReferralStatus.NEW:
        return EditConflict()
    return InvalidTransition(f"This referral has already been {status.value}")


def check_acceptance(actor: User, referral_id: int, *, into: str | None, existing_case: str | None) -> None:
    """InvalidInput with every rule an acceptance breaks, on what of the form could be
    read (None for a field the form could not read): a case that cannot take the
    referral is shown with the form's own problems. A new case's fields are all the
    form's to check."""
    referral = decidable_referral(actor, referral_id)
    if into == "existing" and existing_case is not None:
        case = _existing_case_for(actor, existing_case)
        _check_referring_agency_may_join(actor, referral, case, field="case_reference")


def accept_referral(
    actor: User,
    referral_id: int,
    *,
    version: int,
    reference_prefix: str,
    existing_case: str | None = None,
    new_case: NewCase | None = None,
    person: ReferredPerson | None = None,
) -> Acceptance:
    """Accept the referral into an existing case (by reference) or a new one.

    The referred person (for a person referral) joins the case, the referring agency
    becomes involved in it (so it sees the case and can be given its actions), and the
    referral's account goes on the case timeline. Someone already on the case in the
    role chosen stays as they are: the referral is about them, so it is not refused.
    """
    if (existing_case is None) == (new_case is None):
        raise InvalidInput("Select whether to accept the referral into an existing case or a new case", field="into")
    try:
        with db.session.begin_nested():
            referral = _locked_for_decision(actor, referral_id, version)
            if referral.subject is ReferralSubject.PERSON and person is None:
                raise InvalidInput("Select the person's role on the case", field="role")
            if new_case is not None:
                case = _open_case_for(actor, referral, new_case, reference_prefix)
            else:
                case = _existing_case_for(actor, existing_case or "")
            person_id, already_there = None, ""
            if referral.subject is ReferralSubject.PERSON:
                person_id, already_there = _add_person(actor, referral, case, person)
            _involve_referring_agency(
                actor, referral, case, field="case_reference" if new_case is None else "restricted"
            )
            cases.add_note(actor, case.reference, kind=NoteKind.DECISION, body=_case_note(actor, referral))
            _record_decision(actor, referral, ReferralStatus.ACCEPTED, case_id=case.id, person_id=person_id)
            audit.record(
                actor,
                "referral.accepted",
                "referral",
                referral.id,
                case_id=case.id,
                person_id=person_id,
                detail=_accepted_detail(case, new_case is not None, person if person_id else None, already_there),
            )
    except StaleDataError:
        raise _decided_meanwhile(referral_id) from None
    return Acceptance(case, already_there)


def _accepted_detail(case: Case, opened: bool, person: ReferredPerson | None, already_there: str) -> dict[str, object]:
    detail: dict[str, object] = {"case_reference": case.reference, "new_case": opened}
    if person is not None:
        detail |= {"role": person.role.value, "new_person": person.existing_person_id is None}
    if already_there:
        detail["already_on_case"] = True
    return detail


def _open_case_for(actor: User, referral: Referral, new_case: NewCase, reference_prefix: str) -> Case:
    if not new_case.title.strip():
        raise InvalidInput("Enter a title", field="title")
    if new_case.lead_agency_id is None:
        raise InvalidInput("Select the lead agency", field="lead_agency_id")
    return cases.open_case(
        actor,
        case_type=new_case.case_type,
        title=new_case.title,
        summary=referral.what_is_happening,
        lead_agency_id=new_case.lead_agency_id,
        district="",
        town="",
        ward="",
        restricted=new_case.restricted,
        reference_prefix=reference_prefix,
    )


def _existing_case_for(actor: User, reference: str) -> Case:
    """The case the chair named: it must exist, be open, and be seen in full."""
    cleaned = reference.strip().upper()
    if not cleaned:
        raise InvalidInput("Enter the reference of the case", field="case_reference")
    query = visible_cases(actor).add_columns(works_on_clause(actor)).where(Case.reference == cleaned)
    row = db.session.execute(query).first()
    if row is None:
        raise InvalidInput(f"There is no case with the reference {cleaned}", field="case_reference")
    # Seen in full only through a meeting's agenda is not enough: people are added to it.
    case, full_view = row[0], bool(row[1]) and bool(row[2])
    if not full_view:
        raise InvalidInput(
            f"Your agency cannot see case {cleaned} in full, so the referral cannot be added to it. "
            "Ask its lead agency to add your agency, or choose another case",
            field="case_reference",
        )
    if case.status is not CaseStatus.OPEN:
        raise InvalidInput(f"Case {cleaned} is closed: reopen it first, or choose another case", field="case_reference")
    return case


def _add_person(actor: User, referral: Referral, case: Case, person: ReferredPerson | None) -> tuple[int, str]:
    """The person's id, and what to tell the chair when they were on the case already."""
    assert person is not None  # checked before anything was written
    if person.role not in REFERRED_ROLES:
        raise InvalidInput("Select the person's role on the case", field="role")
    if person.existing_person_id is not None:
        on_case = db.session.scalar(
            select(CaseParty)
            .where(
                CaseParty.case_id == case.id,
                CaseParty.person_id == person.existing_person_id,
                CaseParty.role == person.role,
                CaseParty.removed_at.is_(None),
            )
            .options(joinedload(CaseParty.person))
        )
        if on_case is not None:
            return on_case.person_id, (
                f"{on_case.person.full_name} was already a {person.role.label.lower()} on it and stays as they were."
            )
        party = people.add_existing_person(actor, case.reference, person_id=person.existing_person_id, role=person.role)
    else:
        # The chair has seen the similar people on the referral page and chose a new record.
        party = people.add_new_person(
            actor,
            case.reference,
            role=person.role,
            first_name=referral.first_name,
            last_name=referral.last_name,
            date_of_birth=referral.date_of_birth,
            address=referral.address,
            postcode=referral.postcode,
            phone="",
            email="",
            vulnerabilities="",
            confirmed_new=True,
        )
    return party.person_id, ""


def _joins(referral: Referral, case: Case) -> bool:
    """Whether accepting the referral brings its (active) agency into the case."""
    involved = db.session.scalar(
        select(CaseAgency.id).where(CaseAgency.case_id == case.id, CaseAgency.agency_id == referral.referring_agency_id)
    )
    return involved is None and referral.referring_agency.active


def _check_referring_agency_may_join(actor: User, referral: Referral, case: Case, *, field: str) -> None:
    """A restricted case is shared only by its lead agency's chair or a manager
    (policy.share_check): another chair is told whom to ask, on the form, instead of
    being refused the page."""
    if _joins(referral, case) and not case_lookup.may_share(actor, case.reference):
        raise _may_not_share(referral, case, field=field)


def _may_not_share(referral: Referral, case: Case, *, field: str) -> InvalidInput:
    lead = db.session.scalar(select(Agency.name).where(Agency.id == case.lead_agency_id))
    agency = referral.referring_agency.name
    if field == "restricted":  # a new case, opened and rolled back with this refusal
        return InvalidInput(
            f"Only {lead}'s chair or a manager can share a restricted case {lead} leads with {agency}, "
            f"which the referral would bring in. Lead the case from your own agency, leave it unrestricted, "
            "or ask one of them to accept the referral",
            field=field,
        )
    return InvalidInput(
        f"Case {case.reference} is restricted, so only {lead}'s chair or a manager can share it with {agency}, "
        f"which the referral would bring in. Ask one of them to add {agency} to the case first, "
        "or choose another case",
        field=field,
    )


def _involve_referring_agency(actor: User, referral: Referral, case: Case, *, field: str) -> None:
    """Bring the referring agency into the case (``_joins``); whether the chair may share
    it is add_agency's to decide, and a refusal is said as ``_may_not_share`` says it."""
    if not _joins(referral, case):
        return
    try:
        cases.add_agency(
            actor,
            case.reference,
            agency_id=referral.referring_agency_id,
            reason="Its referral was accepted into the case",
        )
    except PermissionDenied:
        raise _may_not_share(referral, case, field=field) from None


def _case_note(actor: User, referral: Referral) -> str:
    """The referral's account, for the case timeline: the lead agency may not be the
    one that referred, and only the referring agency and the chairs see the referral."""
    lines = [
        f"Referral from {referral.referring_agency.name} ({referral.referrer.name}) accepted by {actor.name}.",
        "",
        f"What is happening: {referral.what_is_happening}",
    ]
    if referral.place:
        lines.append(f"Where: {referral.place}")
    if referral.risks:
        lines.append(f"Risks: {referral.risks}")
    consent = f"Consent to share: {referral.consent.label}"
    if referral.consent_reason:
        consent += f" ({referral.consent_reason})"
    lines.append(consent)
    return "\n".join(lines)


def decline_referral(actor: User, referral_id: int, *, version: int, reason: str) -> Referral:
    """Decline with a reason the referring agency sees; the reason stays out of the audit
    detail, as free text about people does."""
    if not reason.strip():
        raise InvalidInput("Enter why the referral is declined", field="reason")
    try:
        with db.session.begin_nested():
            referral = _locked_for_decision(actor, referral_id, version)
            _record_decision(actor, referral, ReferralStatus.DECLINED, decline_reason=reason.strip())
            audit.record(actor, "referral.declined", "referral", referral.id)
    except StaleDataError:
        raise _decided_meanwhile(referral_id) from None
    return referral
