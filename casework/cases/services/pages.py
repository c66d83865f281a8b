"""What the case pages read: the list, the case page, restricted cases, the forms' choices."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services.action_timeline import SubjectAction, TimelineItem, action_events, subject_actions
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import AccessRequest, Case, CaseAgency, CaseParty, CaseStatus, CaseType, Note, PartyRole
from casework.cases.services import access_requests
from casework.cases.services.lookup import get_case
from casework.clock import today
from casework.exceptions import NotFound
from casework.meetings.models import Meeting, MeetingAttendance, MeetingKind
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import (
    authorize,
    can,
    case_type_as_seen,
    full_view_clause,
    may_on_case,
    needs_access_reason,
    open_agendas_chaired,
    shows_contact_details,
    stub_safe,
    visible_cases,
    works_on_clause,
)
from casework.premises.models import Premises
from casework.victims.models import RiskAssessment, RiskLevel, SlaClock
from casework.victims.services import sla

P = Permission


SORTS = {
    "opened": Case.opened_at,
    "reference": Case.reference,
    "lead-agency": Agency.name,
}


# --- The list ----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    scope: str = "mine"  # "mine": my agency's cases; "all": every case I may list
    status: CaseStatus | None = None
    case_type: CaseType | None = None
    lead_agency_id: int | None = None
    town: str = ""
    text: str = ""
    sort: str = "opened"
    descending: bool = True
    page: int = 1


@dataclass(frozen=True)
class CaseRow:
    case: Case
    full_view: bool


def list_cases(actor: User, criteria: CaseFilter, *, per_page: int) -> Page[CaseRow]:
    authorize(actor, P.CASE_LIST)
    query = visible_cases(actor).join(Case.lead_agency)
    conditions = []
    if criteria.scope == "mine" and not can(actor, P.CASE_VIEW_ANY):
        conditions.append(works_on_clause(actor))
    if criteria.status is not None:
        conditions.append(stub_safe(actor, Case.status == criteria.status, shown_on_stub=False))
    if criteria.case_type is not None:
        conditions.append(stub_safe(actor, Case.case_type == criteria.case_type, shown_on_stub=True))
    if criteria.lead_agency_id is not None:
        conditions.append(Case.lead_agency_id == criteria.lead_agency_id)  # every stub shows it
    if criteria.town:
        conditions.append(stub_safe(actor, Case.town == criteria.town, shown_on_stub=False))
    if text := criteria.text.strip():
        in_title = stub_safe(actor, func.lower(Case.title).contains(text.lower(), autoescape=True), shown_on_stub=False)
        conditions.append(sa.or_(Case.reference.contains(text.upper(), autoescape=True), in_title))
    query = query.where(*conditions)

    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(Case.id).subquery())) or 0
    sort_column = _sort_column(actor, criteria.sort)
    order = sort_column.desc() if criteria.descending else sort_column.asc()
    page = clamp(criteria.page, total, per_page)
    rows = db.session.execute(
        query.options(contains_eager(Case.lead_agency))
        .order_by(order, Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page([CaseRow(case, bool(full)) for case, full in rows], total, page, per_page)


def _sort_column(actor: User, sort: str) -> sa.SQLColumnExpression[object]:
    if sort == "type":
        return case_type_as_seen(actor)
    return SORTS.get(sort, Case.opened_at)


def known_towns(actor: User) -> list[str]:
    """Towns of the cases the user sees in full, for the area filter."""
    query = select(Case.town).where(Case.town != "", full_view_clause(actor)).distinct().order_by(Case.town)
    return list(db.session.scalars(query))


# --- One case ----------------------------------------------------------------------


@dataclass(frozen=True)
class PartyView:
    party: CaseParty
    contact_details_shown: bool


@dataclass
class CasePageData:
    case: Case
    full_view: bool
    # The open PSG meeting the viewer chairs that gives them the full view, if that is
    # the only reason they have it.
    through_meeting: int | None = None
    subject_name: str = ""
    parties: dict[PartyRole, list[PartyView]] = field(default_factory=dict)
    agencies: list[CaseAgency] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    actions: list[SubjectAction] = field(default_factory=list)
    # Notes and the actions' creation and updates, newest first.
    timeline: list[TimelineItem] = field(default_factory=list)
    # Pending requests for access the viewer may decide; on a stub, the viewer's own latest.
    access_requests: list[AccessRequest] = field(default_factory=list)
    own_request: AccessRequest | None = None
    allowed: frozenset[Permission] = frozenset()
    # Victims' latest assessment and open SLA clocks, by person id.
    risk: dict[int, RiskAssessment] = field(default_factory=dict)
    clocks: dict[int, list[SlaClock]] = field(default_factory=dict)
    removed: list[CaseParty] = field(default_factory=list)
    conferences: list[Meeting] = field(default_factory=list)
    # On a stub: the highest current level among the case's victims (DESIGN.md section 1).
    stub_risk: RiskLevel | None = None


def subject_name(case: Case) -> str:
    """The person the case is about, as shown on a stub: the first victim or perpetrator."""
    wanted = {CaseType.VICTIM: PartyRole.VICTIM, CaseType.PERPETRATOR: PartyRole.PERPETRATOR}.get(case.case_type)
    parties = sorted((p for p in case.parties if p.removed_at is None), key=lambda p: p.id)
    for party in parties:
        if party.role == wanted:
            return party.person.full_name
    return parties[0].person.full_name if parties and wanted else ""


def case_page(
    actor: User,
    reference: str,
    *,
    today: date | None = None,
    access_reasons: Mapping[int, dict[str, str]] | None = None,
) -> CasePageData:
    """Everything the case page shows, and the audit record of this view.

    ``today`` is the local date the actions' RAG is worked out for; ``access_reasons``
    are the reasons this user gave in this session for opening restricted cases, by case
    id: the one for this case goes with every view of it.
    """
    case, full_view, works_on = _visible_case(actor, reference)
    data = CasePageData(case=case, full_view=full_view)
    viewed = _viewed(case, full_view=full_view, access_reasons=access_reasons)
    if full_view and not works_on:
        data.through_meeting = viewed["meeting"] = _chaired_meeting(actor, case)
    audit.record(actor, "case.viewed", "case", case.id, case_id=case.id, detail=viewed)
    if full_view:
        _fill_full_view(actor, data, today=today or _local_today(), works_on=works_on)
    else:
        _fill_stub(actor, data)
    return data


def _viewed(case: Case, *, full_view: bool, access_reasons: Mapping[int, dict[str, str]] | None) -> dict[str, object]:
    """The detail of a ``case.viewed`` event: which view, and for a restricted case seen
    in full the reason given for opening it this session."""
    viewed: dict[str, object] = {"view": "full" if full_view else "stub"}
    if needs_access_reason(case, full_view=full_view):
        viewed["access_reason"] = (access_reasons or {}).get(case.id) or {}
    return viewed


def record_view(
    actor: User,
    case: Case | int,
    *,
    page: str,
    person_id: int | None = None,
    access_reasons: Mapping[int, dict[str, str]] | None = None,
) -> None:
    """The audit record of a page other than the case page that shows the case's data in
    full (a form about it, a person on it, an action on it), under ``case.viewed`` like
    the case page itself, naming the page and the person it is about."""
    if isinstance(case, int):
        case = db.session.get_one(Case, case)
    viewed = {**_viewed(case, full_view=True, access_reasons=access_reasons), "page": page}
    audit.record(actor, "case.viewed", "case", case.id, case_id=case.id, person_id=person_id, detail=viewed)


def _visible_case(actor: User, reference: str) -> tuple[Case, bool, bool]:
    """The case with everything both views show, whether the actor sees all of it and
    whether they work on it."""
    query = (
        visible_cases(actor)
        .add_columns(works_on_clause(actor))
        .where(Case.reference == reference.upper())
        .options(
            joinedload(Case.lead_agency),
            joinedload(Case.lead_officer),
            joinedload(Case.opened_by),
            joinedload(Case.premises),
            selectinload(Case.parties).joinedload(CaseParty.person),
            selectinload(Case.agencies).options(joinedload(CaseAgency.agency), joinedload(CaseAgency.added_by)),
        )
    )
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound("case", reference)
    return row[0], bool(row[1]), bool(row[2])


def _chaired_meeting(actor: User, case: Case) -> int | None:
    """The open PSG meeting, chaired by the actor, whose agenda shows them this case."""
    meetings = open_agendas_chaired(actor).where(Case.id == case.id).order_by(Meeting.held_at, Meeting.id)
    return db.session.scalar(meetings.limit(1))


def _fill_stub(actor: User, data: CasePageData) -> None:
    """A stub: who the case is about and who is involved, unless it is restricted."""
    case = data.case
    if not case.restricted:
        data.subject_name = subject_name(case)
        data.agencies = list(case.agencies)
        data.stub_risk = _highest_current_level(case)
    if can(actor, P.CASE_REQUEST_ACCESS):
        data.allowed = frozenset({P.CASE_REQUEST_ACCESS})
        data.own_request = access_requests.latest_request(actor, case.id)


def _fill_full_view(actor: User, data: CasePageData, *, today: date, works_on: bool) -> None:
    case = data.case
    data.subject_name = subject_name(case)
    current = [party for party in case.parties if party.removed_at is None]
    data.removed = [party for party in case.parties if party.removed_at is not None]
    roles_by_person = _roles_anywhere({party.person_id for party in case.parties})
    for role in PartyRole:
        data.parties[role] = [
            PartyView(party, shows_contact_details(actor, roles_by_person[party.person_id]))
            for party in current
            if party.role is role
        ]
    if data.parties[PartyRole.VICTIM]:
        data.risk = sla.latest_assessments(case.id)
        data.clocks = sla.open_or_overdue_at_closing_clocks(case.id)
    data.conferences = _conferences(case.id)
    data.agencies = list(case.agencies)
    data.notes = list(
        db.session.scalars(
            select(Note)
            .where(Note.case_id == case.id)
            .options(joinedload(Note.author))
            .order_by(Note.created_at.desc(), Note.id.desc())
        )
    )
    data.actions = subject_actions(actor, Action.case_id == case.id, today=today)
    data.timeline = sorted(
        [TimelineItem(note.created_at, note.kind.label, note.author.name, [note.body]) for note in data.notes]
        + action_events(row.action for row in data.actions),
        key=lambda item: item.at,
        reverse=True,
    )
    data.allowed = _allowed_on_full_view(actor, case, works_on=works_on)
    if can(actor, P.ACCESS_REQUEST_DECIDE):
        data.access_requests = access_requests.pending_on_case(actor, case)


def _allowed_on_full_view(actor: User, case: Case, *, works_on: bool) -> frozenset[Permission]:
    """What the page offers the actor: the buttons and links it shows."""
    return frozenset(
        permission
        for permission in (
            P.CASE_EDIT,
            P.CASE_NOTE,
            P.CASE_ADD_PERSON,
            P.CASE_REMOVE_PERSON,
            P.CASE_ADD_AGENCY,
            P.CASE_SHARE,
            P.CASE_CLOSE,
            P.RISK_ASSESS,
            P.CONFERENCE_RECORD,
            P.ACTION_CREATE,
        )
        if may_on_case(actor, permission, case, full_view=True, works_on=works_on)
    )


def _local_today() -> date:
    return today()


def _highest_current_level(case: Case) -> RiskLevel | None:
    victims = {party.person_id for party in case.parties if party.role is PartyRole.VICTIM and party.removed_at is None}
    levels = [a.level for person_id, a in sla.latest_assessments(case.id).items() if person_id in victims]
    return max(levels, key=lambda level: level.rank, default=None)


def _conferences(case_id: int) -> list[Meeting]:
    """The case's conferences, newest first, with who attended."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.case_id == case_id, Meeting.kind == MeetingKind.CASE_CONFERENCE)
            .options(selectinload(Meeting.attendance).joinedload(MeetingAttendance.agency))
            .order_by(Meeting.held_at.desc())
        )
    )


def _roles_anywhere(person_ids: set[int]) -> dict[int, set[PartyRole]]:
    """Each person's roles on every case, so a victim elsewhere stays protected here too."""
    roles: dict[int, set[PartyRole]] = {person_id: set() for person_id in person_ids}
    if person_ids:
        rows = db.session.execute(
            select(CaseParty.person_id, CaseParty.role).where(CaseParty.person_id.in_(person_ids)).distinct()
        )
        for person_id, role in rows:
            roles[person_id].add(role)
    return roles


# --- Restricted cases: a reason before the full view ----------------------------------


def case_needing_reason(actor: User, reference: str) -> Case | None:
    """The case, if this user must say why before opening it; None otherwise (including
    a case they may not see at all, which the page itself answers with a 404)."""
    row = db.session.execute(visible_cases(actor).where(Case.reference == reference.upper())).first()
    if row is None or not needs_access_reason(row[0], full_view=bool(row[1])):
        return None
    return row[0]


def restricted_cases_of_person(actor: User, person_id: int) -> list[Case]:
    """The restricted cases a person is on that this user sees in full: their person page
    shows what those cases hold, so each needs a reason too."""
    query = (
        visible_cases(actor)
        .where(
            Case.restricted.is_(True),
            select(CaseParty.id).where(CaseParty.case_id == Case.id, CaseParty.person_id == person_id).exists(),
        )
        .order_by(Case.id)
    )
    return [
        case for case, full_view in db.session.execute(query) if needs_access_reason(case, full_view=bool(full_view))
    ]


def restricted_case_of_action(actor: User, action_id: int) -> list[Case]:
    """The restricted case an action is about, if this user sees it in full."""
    query = visible_cases(actor).where(
        Case.restricted.is_(True),
        select(Action.id).where(Action.id == action_id, Action.case_id == Case.id).exists(),
    )
    return [
        case for case, full_view in db.session.execute(query) if needs_access_reason(case, full_view=bool(full_view))
    ]


# --- Choices for the forms -----------------------------------------------------------


def premises_licence_of(case: Case) -> str:
    """The licence number of the premises the case is linked to, for the edit form."""
    if case.premises_id is None:
        return ""
    return db.session.scalar(select(Premises.licence_number).where(Premises.id == case.premises_id)) or ""


def lead_officer_choices(actor: User, reference: str) -> list[User]:
    case = get_case(actor, reference, P.CASE_EDIT)
    return list(
        db.session.scalars(
            select(User).where(User.agency_id == case.lead_agency_id, User.active.is_(True)).order_by(User.name)
        )
    )


def agencies_not_involved(actor: User, reference: str) -> list[Agency]:
    case = get_case(actor, reference, P.CASE_SHARE)
    involved = select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)
    return list(
        db.session.scalars(
            select(Agency).where(Agency.active.is_(True), Agency.id.not_in(involved)).order_by(Agency.name)
        )
    )
