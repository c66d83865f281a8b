"""What the meeting pages read: the list, a meeting as each viewer may see it, one item,
and the choices on the chair's forms.

A PSG meeting belongs to the partnership, not to an agency: everyone with MEETING_VIEW
sees it, but each agenda item shows its case as the viewer may see that case, and the
minutes and decisions about a case only to those who see the case in full. Case
conferences are meetings too, but they are recorded and shown on their case
(services/conferences.py), never here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case, CaseAgency, CaseParty, CaseStatus, CaseType, PartyRole
from casework.cases.services import lookup as case_lookup

# The stub's subject follows the case page's rule exactly.
from casework.cases.services.pages import subject_party
from casework.clock import local_date, start_of_day, utcnow
from casework.exceptions import InvalidTransition, NotFound, PermissionDenied
from casework.meetings.models import (
    AgendaItem,
    AgendaSection,
    AttendanceStatus,
    Meeting,
    MeetingAmendment,
    MeetingAttendance,
    MeetingDecision,
)
from casework.meetings.services.lookup import (
    _attendance,
    _psg_meetings,
    _sees_record,
    finishable,
    get_meeting,
)
from casework.paging import Page, clamp
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import assignable_users_clause, authorize, can, visible_actions, visible_cases, visible_referrals
from casework.referrals.models import Referral, ReferralStatus, referral_subject_name

P = Permission


# --- The list of meetings ----------------------------------------------------------


@dataclass(frozen=True)
class MeetingList:
    upcoming: list[Meeting]
    past: Page[Meeting]


def list_meetings(actor: User, *, page: int, per_page: int, now: datetime | None = None) -> MeetingList:
    """Meetings from today on, soonest first; earlier ones a page at a time, latest first."""
    authorize(actor, P.MEETING_VIEW)
    today = start_of_day(local_date(now or utcnow()))
    with_chair = _psg_meetings().options(joinedload(Meeting.chair))
    upcoming = db.session.scalars(with_chair.where(Meeting.held_at >= today).order_by(Meeting.held_at, Meeting.id))
    past = _psg_meetings().where(Meeting.held_at < today)
    total = db.session.scalar(select(func.count()).select_from(past.subquery())) or 0
    page = clamp(page, total, per_page)
    rows = db.session.scalars(
        with_chair.where(Meeting.held_at < today)
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return MeetingList(list(upcoming), Page(list(rows), total, page, per_page))


# --- How each viewer sees the agenda -----------------------------------------------
#
# The agenda of a county's backlog has over a hundred items. The pages read the columns
# they show into small frozen records rather than mapped objects (a case with its
# parties and their people, an item with its decisions): mapped objects hold reference
# cycles, so every one a page loads is left for the garbage collector, and at a hundred
# items that was several collections a request and a full one every few requests.


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    id: int
    text: str
    recorded_by_name: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """An agenda item's columns, and its decisions in the order they were recorded."""

    id: int
    case_id: int | None
    referral_id: int | None
    topic: str
    reasons: list[str]
    minutes: str
    decisions: Sequence[DecisionFacts]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What an item shows of its case; the template decides which of it a stub shows."""

    id: int
    reference: str
    title: str
    case_type: CaseType
    status: CaseStatus
    restricted: bool
    lead_agency_name: str

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """What an item shows of its referral, to those who decide referrals."""

    id: int
    first_name: str
    last_name: str
    place: str
    status: ReferralStatus
    received_at: datetime
    referring_agency_name: str

    @property
    def subject_name(self) -> str:
        return referral_subject_name(self.first_name, self.last_name, self.place)


# No decision, or no action from one: shared, so a hundred items make no empty containers.
_NO_DECISIONS: tuple["DecisionFacts", ...] = ()
_NO_ACTIONS: Mapping[int, list[Action]] = MappingProxyType({})


@dataclass(slots=True)
class ItemView:
    """An agenda item as one viewer may see it."""

    item: ItemFacts
    number: int
    case: CaseFacts | None = None
    full_view: bool = False
    # A stub's subject (DESIGN.md section 1); never set for a restricted stub.
    subject_name: str = ""
    # The referral, for those who decide referrals; None for everyone else.
    referral: ReferralFacts | None = None
    # Why the item is on the agenda; hidden on a restricted stub, which shows nothing
    # but the reference and the lead agency.
    shows_reasons: bool = True
    # The minutes, decisions and amendments about it.
    shows_record: bool = True
    may_write: bool = False
    # The actions each decision created, by decision id.
    actions: Mapping[int, list[Action]] = field(default_factory=lambda: _NO_ACTIONS)

    @property
    def is_case(self) -> bool:
        return self.item.case_id is not None

    @property
    def is_referral(self) -> bool:
        return self.item.referral_id is not None

    @property
    def is_stub(self) -> bool:
        return self.is_case and not self.full_view

    @property
    def restricted_stub(self) -> bool:
        return self.is_stub and (self.case is None or self.case.restricted)

    @property
    def heading(self) -> str:
        """Plain words for the item, safe for this viewer (used in lists and messages)."""
        if self.case is not None:
            return f"{self.case.reference}: {self.case.title}" if self.full_view else self.case.reference
        if self.is_case:
            return "A case not shared with your agency"
        if self.is_referral:
            return f"Referral from {self.referral.referring_agency_name}" if self.referral else "A new referral"
        return self.item.topic


def _items(meeting: Meeting) -> list[ItemFacts]:
    """The meeting's items in agenda order, with their decisions: two statements."""
    rows = db.session.execute(
        select(
            AgendaItem.id,
            AgendaItem.case_id,
            AgendaItem.referral_id,
            AgendaItem.topic,
            AgendaItem.reasons,
            AgendaItem.minutes,
        )
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    decisions: dict[int, list[DecisionFacts]] = {}
    if rows:
        for item_id, decision_id, text, recorded_by, recorded_at in db.session.execute(
            select(
                MeetingDecision.item_id,
                MeetingDecision.id,
                MeetingDecision.text,
                User.name,
                MeetingDecision.recorded_at,
            )
            .join(User, User.id == MeetingDecision.recorded_by_id)
            .where(MeetingDecision.item_id.in_([row.id for row in rows]))
            .order_by(MeetingDecision.id)
        ):
            decisions.setdefault(item_id, []).append(DecisionFacts(decision_id, text, recorded_by, recorded_at))
    return [ItemFacts(*row, decisions=decisions.get(row.id, _NO_DECISIONS)) for row in rows]


def _cases(actor: User, case_ids: set[int]) -> dict[int, tuple[CaseFacts, bool]]:
    """The items' cases the actor may list, with whether they see each in full."""
    if not case_ids:
        return {}
    visible = visible_cases(actor)
    *_, full_view = visible.selected_columns  # after the columns of Case
    rows = db.session.execute(
        visible.with_only_columns(
            Case.id,
            Case.reference,
            Case.title,
            Case.case_type,
            Case.status,
            Case.restricted,
            Agency.name,
            full_view,
        )
        .join(Agency, Agency.id == Case.lead_agency_id)
        .where(Case.id.in_(case_ids))
    )
    return {row[0]: (CaseFacts(*row[:7]), bool(row[7])) for row in rows}


def _subject_names(cases: list[CaseFacts]) -> dict[int, str]:
    """The subject each of these cases' stubs names, by the case page's rule
    (cases.services.pages.subject_name), from the current parties' roles and names. Sent
    whenever the agenda has a case, stubs or not, so a page's statements are the same."""
    parties: dict[int, list[tuple[PartyRole, str]]] = {}
    for case_id, role, first_name, last_name in db.session.execute(
        select(CaseParty.case_id, CaseParty.role, Person.first_name, Person.last_name)
        .join(Person, Person.id == CaseParty.person_id)
        .where(CaseParty.case_id.in_([case.id for case in cases]), CaseParty.removed_at.is_(None))
        .order_by(CaseParty.case_id, CaseParty.id)
    ):
        parties.setdefault(case_id, []).append((role, f"{first_name} {last_name}"))  # as Person.full_name
    return {case.id: subject_party(case.case_type, parties.get(case.id, [])) or "" for case in cases}


def _referrals(actor: User, referral_ids: set[int]) -> dict[int, ReferralFacts]:
    """The items' referrals, for those who decide referrals; nothing for anyone else."""
    if not referral_ids or not can(actor, P.REFERRAL_DECIDE):
        return {}
    rows = db.session.execute(
        visible_referrals(actor)
        .with_only_columns(
            Referral.id,
            Referral.first_name,
            Referral.last_name,
            Referral.place,
            Referral.status,
            Referral.received_at,
            Agency.name,
        )
        .join(Agency, Agency.id == Referral.referring_agency_id)
        .where(Referral.id.in_(referral_ids))
    )
    return {row.id: ReferralFacts(*row) for row in rows}


def _item_views(actor: User, meeting: Meeting, items: list[ItemFacts], numbers: dict[int, int]) -> list[ItemView]:
    """The items as the actor may see them, in a constant number of queries."""
    cases = _cases(actor, {item.case_id for item in items if item.case_id is not None})
    names = _subject_names([case for case, full in cases.values() if not full and not case.restricted]) if cases else {}
    referrals = _referrals(actor, {item.referral_id for item in items if item.referral_id is not None})
    runs = can(actor, P.MEETING_RUN) and not meeting.locked
    views = []
    for item in items:
        case, full_view = cases.get(item.case_id, (None, False)) if item.case_id else (None, False)
        view = ItemView(item=item, number=numbers[item.id], case=case, full_view=full_view)
        if item.referral_id is not None:
            view.referral = referrals.get(item.referral_id)
        if view.is_stub:
            view.shows_reasons = case is not None and not case.restricted
            if view.shows_reasons and case is not None:
                view.subject_name = names.get(case.id, "")
        view.shows_record = _sees_record(actor, item.case_id, item.referral_id, full_view)
        view.may_write = runs and view.shows_record
        views.append(view)
    _attach_actions(actor, views)
    return views


def _attach_actions(actor: User, views: list[ItemView]) -> None:
    """The actions each shown decision created, as far as the viewer may see them."""
    by_decision = {decision.id: view for view in views if view.shows_record for decision in view.item.decisions}
    if not by_decision:
        return
    actions = db.session.scalars(
        visible_actions(actor)
        .where(Action.decision_id.in_(by_decision))
        .options(joinedload(Action.assigned_agency), joinedload(Action.assignee))
        .order_by(Action.id)
    )
    for action in actions:
        assert action.decision_id is not None  # the query reads the actions of these decisions
        view = by_decision[action.decision_id]
        found = view.actions if isinstance(view.actions, dict) else {}
        found.setdefault(action.decision_id, []).append(action)
        view.actions = found


@dataclass(frozen=True)
class AmendmentView:
    amendment: MeetingAmendment
    item_number: int | None
    shown: bool


@dataclass
class MeetingPage:
    meeting: Meeting
    present: list[Agency]
    apologies: list[Agency]
    items: list[ItemView]
    amendments: list[AmendmentView]
    may_run: bool
    finishable: bool
    # What each section of the generated agenda left out: (section, how many more).
    more: list[tuple[AgendaSection, int]] = field(default_factory=list)


def meeting_page(actor: User, meeting_id: int) -> MeetingPage:
    """Everything the meeting page shows to this viewer."""
    meeting = get_meeting(actor, meeting_id)
    attendance = db.session.scalars(
        select(MeetingAttendance)
        .join(MeetingAttendance.agency)
        .where(MeetingAttendance.meeting_id == meeting.id)
        .options(joinedload(MeetingAttendance.agency))
        .order_by(Agency.name)
    ).all()
    items = _items(meeting)
    numbers = {item.id: number for number, item in enumerate(items, start=1)}
    views = _item_views(actor, meeting, items, numbers)
    shown = {view.item.id: view.shows_record for view in views}
    amendments = [
        AmendmentView(
            amendment,
            numbers.get(amendment.item_id) if amendment.item_id else None,
            shown.get(amendment.item_id, True) if amendment.item_id else True,
        )
        for amendment in db.session.scalars(
            select(MeetingAmendment)
            .where(MeetingAmendment.meeting_id == meeting.id)
            .options(joinedload(MeetingAmendment.author))
            .order_by(MeetingAmendment.at, MeetingAmendment.id)
        )
    ]
    return MeetingPage(
        meeting=meeting,
        present=[row.agency for row in attendance if row.status is AttendanceStatus.PRESENT],
        apologies=[row.agency for row in attendance if row.status is AttendanceStatus.APOLOGIES],
        items=views,
        amendments=amendments,
        may_run=can(actor, P.MEETING_RUN),
        finishable=finishable(meeting, utcnow()),
        more=[
            (section, (meeting.agenda_more or {})[section.value])
            for section in AgendaSection
            if section.value in (meeting.agenda_more or {})
        ],
    )


@dataclass(frozen=True)
class ItemPage:
    meeting: Meeting
    view: ItemView


def item_page(actor: User, meeting_id: int, item_id: int) -> ItemPage:
    """One item, for the chair recording its minutes and decisions."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    items = _items(meeting)
    numbers = {item.id: number for number, item in enumerate(items, start=1)}
    wanted = [item for item in items if item.id == item_id]
    if not wanted:
        raise NotFound("agenda item", item_id)
    [view] = _item_views(actor, meeting, wanted, numbers)
    if not view.shows_record:
        # The chair sees this item (a stub of another agency's case) but not its record.
        raise PermissionDenied(P.MEETING_RUN)
    return ItemPage(meeting, view)


def record_view(actor: User, meeting: Meeting, item: ItemFacts | None = None) -> None:
    """The audit record of a meeting's page, or of one item's: they show the agenda's
    cases as the viewer may see them, and what was minuted about the people on them."""
    detail = {"item_id": item.id} if item is not None else {}
    case_id = item.case_id if item is not None else None
    audit.record(actor, "meeting.viewed", "meeting", meeting.id, case_id=case_id, detail=detail)


# --- Choices for the chair's forms -------------------------------------------------


def attendance_agencies(actor: User, meeting_id: int) -> tuple[Meeting, list[Agency], dict[int, AttendanceStatus]]:
    """The meeting, the agencies on its attendance list and what is recorded for each."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    agencies, rows = _attendance(meeting)
    return meeting, agencies, {agency_id: row.status for agency_id, row in rows.items()}


@dataclass(frozen=True)
class DecisionChoices:
    page: ItemPage
    agencies: list[Agency]
    officers: list[User]
    # Whether the chair may share the item's case with another agency from the form.
    may_share: bool = False


def decision_choices(actor: User, meeting_id: int, item_id: int) -> DecisionChoices:
    """The item, and who an action may go to: what create_action accepts, so the lists
    hold nothing that would be refused. For a case, the agencies involved in it and
    those of their officers who may be given actions; otherwise every active agency
    and its officers."""
    page = item_page(actor, meeting_id, item_id)
    case = page.view.case
    agencies_query = select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)
    officers_query = (
        select(User)
        .join(User.agency)
        .where(assignable_users_clause(), Agency.active.is_(True))
        .order_by(Agency.name, User.name)
    )
    if page.view.item.case_id is not None:
        involved = select(CaseAgency.agency_id).where(CaseAgency.case_id == page.view.item.case_id)
        agencies_query = agencies_query.where(Agency.id.in_(involved))
        officers_query = officers_query.where(User.agency_id.in_(involved))
    may_share = case is not None and not page.meeting.locked and case_lookup.may_share(actor, case.reference)
    return DecisionChoices(
        page, list(db.session.scalars(agencies_query)), list(db.session.scalars(officers_query)), may_share
    )


def amendable_items(actor: User, meeting_id: int) -> tuple[Meeting, list[ItemView]]:
    """A finished meeting, and the items the chair may add an amendment about."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    if not meeting.locked:
        raise InvalidTransition(
            "Amendments are added once the meeting is finished: until then, change the record itself"
        )
    items = _items(meeting)
    numbers = {item.id: number for number, item in enumerate(items, start=1)}
    views = [view for view in _item_views(actor, meeting, items, numbers) if view.shows_record]
    return meeting, views
