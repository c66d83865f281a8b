"""PSG meetings: scheduling, the meeting page, the chair's changes, locking and amendments.

A PSG meeting belongs to the partnership, not to an agency: everyone with MEETING_VIEW
sees it, but each agenda item shows its case as the viewer may see that case, and the
minutes and decisions about a case only to those who see the case in full. Case
conferences are meetings too, but they are recorded and shown on their case
(services/conferences.py), never here.

Every change carries the meeting version the chair's page was built from; a change
bumps it, so of two chairs saving at once the second is told and nothing of theirs is
written. A finished meeting is locked: corrections are added as amendments.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services.actions import Subject, create_action
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case, CaseAgency, CaseParty

# The stub's subject follows the case page's rule exactly.
from casework.cases.services.pages import subject_name
from casework.clock import local_date, start_of_day, utcnow
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.meetings.models import (
    AMENDMENT_MAX,
    DECISION_MAX,
    LOCATION_MAX,
    MINUTES_MAX,
    TOPIC_MAX,
    AgendaItem,
    AttendanceStatus,
    Meeting,
    MeetingAmendment,
    MeetingAttendance,
    MeetingDecision,
    MeetingKind,
)
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import (
    assignable_users_clause,
    authorize,
    can,
    visible_actions,
    visible_cases,
    visible_referrals,
)
from casework.referrals.models import Referral

P = Permission

FINISHED = "This meeting is finished: add an amendment instead"
ADDED_BY_CHAIR = "Added by the chair"
# A meeting typed for "now" reaches the server a moment later.
CLOCK_SKEW = timedelta(minutes=2)


# --- Finding a meeting -------------------------------------------------------------


def _psg_meetings() -> Select[Meeting]:
    return select(Meeting).where(Meeting.kind == MeetingKind.PSG_MEETING)


def get_meeting(actor: User, meeting_id: int) -> Meeting:
    """A PSG meeting the actor may see. Case conferences, and every meeting for users
    who may not see meetings at all, are NotFound."""
    if not can(actor, P.MEETING_VIEW):
        raise NotFound("meeting", meeting_id)
    meeting = db.session.scalar(_psg_meetings().where(Meeting.id == meeting_id).options(joinedload(Meeting.chair)))
    if meeting is None:
        raise NotFound("meeting", meeting_id)
    return meeting


def runnable_meeting(actor: User, meeting_id: int, *, version: int | None) -> Meeting:
    """A meeting the actor may change now: they run meetings, it is not finished, and
    (when ``version`` is given) nobody has changed it since their page was built."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    if meeting.locked:
        raise InvalidTransition(FINISHED)
    if version is not None:
        ensure_version(meeting, version)
    return meeting


def claim(meeting: Meeting) -> None:
    """Write the meeting row with its next version.

    Every change to a meeting's record goes through here, so the row's version counts
    changes to its items, attendance and decisions too; a concurrent change that saved
    first makes this one fail with EditConflict (the caller rolls back).
    """
    flag_modified(meeting, "location")
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.scalar(
        select(AgendaItem)
        .where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.decisions))
    )
    if item is None:
        raise NotFound("agenda item", item_id)
    return item


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


# --- Scheduling --------------------------------------------------------------------


def _clean_location(location: str) -> str:
    cleaned = location.strip()
    if not cleaned:
        raise InvalidInput("Enter where the meeting will be held", field="location")
    if len(cleaned) > LOCATION_MAX:
        raise InvalidInput(f"The location must be {LOCATION_MAX} characters or fewer", field="location")
    return cleaned


def check_schedule(actor: User, *, held_at: datetime | None, location: str | None, now: datetime | None = None) -> None:
    """InvalidInput with every rule a new meeting breaks, on what of the form could be
    read (None for a field the form could not read)."""
    authorize(actor, P.MEETING_RUN)
    checks = Checks()
    if held_at is not None and held_at < (now or utcnow()) - CLOCK_SKEW:
        checks.refuse("A meeting is scheduled ahead: the date and time must be in the future", field="held_on")
    if location is not None:
        try:
            _clean_location(location)
        except InvalidInput as error:
            checks.add(error)
    checks.raise_any()


def schedule_meeting(actor: User, *, held_at: datetime, location: str, now: datetime | None = None) -> Meeting:
    """A PSG meeting ahead, chaired by the actor."""
    check_schedule(actor, held_at=held_at, location=location, now=now)
    meeting = Meeting(
        kind=MeetingKind.PSG_MEETING,
        held_at=held_at,
        location=_clean_location(location),
        chair_id=actor.id,
        recorded_by_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        actor,
        "meeting.scheduled",
        "meeting",
        meeting.id,
        detail={"held_at": held_at.isoformat(), "location": meeting.location},
    )
    return meeting


# --- How each viewer sees the agenda -----------------------------------------------


@dataclass
class ItemView:
    """An agenda item as one viewer may see it."""

    item: AgendaItem
    number: int
    case: Case | None = None
    full_view: bool = False
    # A stub's subject (DESIGN.md section 1); never set for a restricted stub.
    subject_name: str = ""
    # The referral, for those who decide referrals; None for everyone else.
    referral: Referral | None = None
    # Why the item is on the agenda; hidden on a restricted stub, which shows nothing
    # but the reference and the lead agency.
    shows_reasons: bool = True
    # The minutes, decisions and amendments about it.
    shows_record: bool = True
    may_write: bool = False
    actions: dict[int, list[Action]] = field(default_factory=dict)

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
            return f"Referral from {self.referral.referring_agency.name}" if self.referral else "A new referral"
        return self.item.topic


def _sees_record(actor: User, item: AgendaItem, full_view: bool) -> bool:
    if item.case_id is not None:
        return full_view
    if item.referral_id is not None:
        return can(actor, P.REFERRAL_DECIDE)
    return True


def _item_views(actor: User, meeting: Meeting, items: list[AgendaItem], numbers: dict[int, int]) -> list[ItemView]:
    """The items as the actor may see them, in a constant number of queries."""
    case_ids = {item.case_id for item in items if item.case_id is not None}
    cases: dict[int, tuple[Case, bool]] = {}
    if case_ids:
        rows = db.session.execute(
            visible_cases(actor)
            .where(Case.id.in_(case_ids))
            .options(joinedload(Case.lead_agency), selectinload(Case.parties).joinedload(CaseParty.person))
        )
        cases = {case.id: (case, bool(full)) for case, full in rows}
    referrals: dict[int, Referral] = {}
    referral_ids = {item.referral_id for item in items if item.referral_id is not None}
    if referral_ids and can(actor, P.REFERRAL_DECIDE):
        referrals = {
            referral.id: referral
            for referral in db.session.scalars(
                visible_referrals(actor)
                .where(Referral.id.in_(referral_ids))
                .options(joinedload(Referral.referring_agency))
            )
        }
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
                view.subject_name = subject_name(case)
        view.shows_record = _sees_record(actor, item, full_view)
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
        by_decision[action.decision_id].actions.setdefault(action.decision_id, []).append(action)


def _load_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .options(selectinload(AgendaItem.decisions).joinedload(MeetingDecision.recorded_by))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


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
    items = _load_items(meeting)
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
    )


@dataclass(frozen=True)
class ItemPage:
    meeting: Meeting
    view: ItemView


def item_page(actor: User, meeting_id: int, item_id: int) -> ItemPage:
    """One item, for the chair recording its minutes and decisions."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    items = _load_items(meeting)
    numbers = {item.id: number for number, item in enumerate(items, start=1)}
    wanted = [item for item in items if item.id == item_id]
    if not wanted:
        raise NotFound("agenda item", item_id)
    [view] = _item_views(actor, meeting, wanted, numbers)
    if not view.shows_record:
        # The chair sees this item (a stub of another agency's case) but not its record.
        raise PermissionDenied(P.MEETING_RUN)
    return ItemPage(meeting, view)


def _writable_item(actor: User, meeting: Meeting, item_id: int) -> AgendaItem:
    """An item whose record (minutes, decisions) the actor may see, and so write."""
    item = _item(meeting, item_id)
    full_view = False
    if item.case_id is not None:
        row = db.session.execute(visible_cases(actor).where(Case.id == item.case_id)).first()
        full_view = row is not None and bool(row[1])
    if not _sees_record(actor, item, full_view):
        raise PermissionDenied(P.MEETING_RUN)
    return item


# --- Changing the agenda by hand ---------------------------------------------------


def _renumber(items: Iterable[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def add_item(actor: User, meeting_id: int, *, version: int, case_reference: str, topic: str) -> AgendaItem:
    """Put a case (by reference, one the chair can at least list) or a topic at the end."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    reference, cleaned_topic = case_reference.strip().upper(), topic.strip()
    if reference and cleaned_topic:
        raise InvalidInput("Enter a case reference or a topic, not both", field="case_reference")
    if not reference and not cleaned_topic:
        raise InvalidInput("Enter a case reference or a topic", field="case_reference")
    if len(cleaned_topic) > TOPIC_MAX:
        raise InvalidInput(f"The topic must be {TOPIC_MAX} characters or fewer", field="topic")
    items = _load_items(meeting)
    case_id = None
    if reference:
        case = db.session.scalars(visible_cases(actor).where(Case.reference == reference)).first()
        if case is None:
            raise InvalidInput(
                f"There is no case {reference} that you can see: check the reference", field="case_reference"
            )
        if any(item.case_id == case.id for item in items):
            raise InvalidInput(f"{case.reference} is already on the agenda", field="case_reference")
        case_id = case.id
    item = AgendaItem(
        meeting_id=meeting.id,
        position=len(items) + 1,
        case_id=case_id,
        topic=cleaned_topic,
        reasons=[ADDED_BY_CHAIR],
        added_by_chair=True,
        minutes="",
    )
    db.session.add(item)
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_changed",
        "meeting",
        meeting.id,
        case_id=case_id,
        detail={"change": "added", "item_id": item.id},
    )
    return item


def drop_item(actor: User, meeting_id: int, item_id: int, *, version: int) -> None:
    """Take an item off the agenda; one with minutes or decisions stays on the record."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    item = _item(meeting, item_id)
    if item.decisions or item.minutes.strip():
        raise InvalidInput("This item has minutes or decisions, so it stays on the agenda")
    items = [other for other in _load_items(meeting) if other.id != item.id]
    db.session.delete(item)
    _renumber(items)
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_changed",
        "meeting",
        meeting.id,
        case_id=item.case_id,
        detail={"change": "dropped", "item_id": item_id},
    )


def move_item(actor: User, meeting_id: int, item_id: int, *, version: int, up: bool) -> None:
    """Swap an item with the one before (or after) it; at either end nothing changes."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    items = _load_items(meeting)
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound("agenda item", item_id)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return
    moved = items[index]
    items[index], items[other] = items[other], moved
    _renumber(items)
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_changed",
        "meeting",
        meeting.id,
        case_id=moved.case_id,
        detail={"change": "moved up" if up else "moved down", "item_id": item_id},
    )


# --- Attendance --------------------------------------------------------------------


def _attendance(meeting: Meeting) -> tuple[list[Agency], dict[int, MeetingAttendance]]:
    """Every active agency (and any since deactivated that were recorded), by name,
    and the attendance recorded, by agency."""
    rows = {
        row.agency_id: row
        for row in db.session.scalars(select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id))
    }
    listed = Agency.active.is_(True) | Agency.id.in_(rows) if rows else Agency.active.is_(True)
    return list(db.session.scalars(select(Agency).where(listed).order_by(Agency.name))), rows


def attendance_agencies(actor: User, meeting_id: int) -> tuple[Meeting, list[Agency], dict[int, AttendanceStatus]]:
    """The meeting, the agencies on its attendance list and what is recorded for each."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    agencies, rows = _attendance(meeting)
    return meeting, agencies, {agency_id: row.status for agency_id, row in rows.items()}


def record_attendance(
    actor: User, meeting_id: int, *, version: int, statuses: dict[int, AttendanceStatus | None]
) -> None:
    """Present, apologies or nothing recorded, for each agency on the list."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    agencies, rows = _attendance(meeting)
    if not set(statuses) <= {agency.id for agency in agencies}:
        raise InvalidInput("Choose the attendance of agencies on the list")
    for agency_id, status in statuses.items():
        row = rows.get(agency_id)
        if status is None and row is not None:
            db.session.delete(row)
        elif status is not None and row is None:
            db.session.add(MeetingAttendance(meeting_id=meeting.id, agency_id=agency_id, status=status))
        elif status is not None and row is not None:
            row.status = status
    claim(meeting)
    audit.record(
        actor,
        "meeting.attendance_recorded",
        "meeting",
        meeting.id,
        detail={
            "present": sorted(a for a, s in statuses.items() if s is AttendanceStatus.PRESENT),
            "apologies": sorted(a for a, s in statuses.items() if s is AttendanceStatus.APOLOGIES),
        },
    )


# --- Minutes and decisions ---------------------------------------------------------


def record_minutes(actor: User, meeting_id: int, item_id: int, *, version: int, minutes: str) -> AgendaItem:
    meeting = runnable_meeting(actor, meeting_id, version=version)
    item = _writable_item(actor, meeting, item_id)
    cleaned = minutes.strip()
    if len(cleaned) > MINUTES_MAX:
        raise InvalidInput(f"The minutes must be {MINUTES_MAX} characters or fewer", field="minutes")
    item.minutes = cleaned
    claim(meeting)
    audit.record(
        actor, "meeting.minutes_recorded", "meeting", meeting.id, case_id=item.case_id, detail={"item_id": item.id}
    )
    return item


@dataclass(frozen=True)
class ActionRequest:
    """An action to create with a decision. ``title`` blank: the decision's own words."""

    assigned_agency_id: int | None
    title: str = ""
    assignee_id: int | None = None
    due_on: date | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.assigned_agency_id or self.title.strip() or self.assignee_id or self.due_on)


@dataclass(frozen=True)
class RecordedDecision:
    decision: MeetingDecision
    action: Action | None = None
    # The agency the action went to, for the confirmation message.
    agency: Agency | None = None


def record_decision(
    actor: User, meeting_id: int, item_id: int, *, version: int, text: str, action: ActionRequest | None = None
) -> RecordedDecision:
    """A decision on an item and, if asked, the action it creates, all or nothing.

    The action is about the item's case, or about the meeting for a referral or a
    topic; services.actions decides whether it may be assigned as asked.
    """
    meeting = runnable_meeting(actor, meeting_id, version=version)
    item = _writable_item(actor, meeting, item_id)
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("Enter the decision", field="text")
    if len(cleaned) > DECISION_MAX:
        raise InvalidInput(f"The decision must be {DECISION_MAX} characters or fewer", field="text")
    if action is not None and action.wanted:
        if action.assigned_agency_id is None:
            raise InvalidInput("Select the agency the action is assigned to", field="assigned_agency_id")
        if action.due_on is None:
            raise InvalidInput("Enter the date the action is due", field="due_on")
    created = None
    # A savepoint: if the action is refused, the decision goes with it.
    with db.session.begin_nested():
        decision = MeetingDecision(item_id=item.id, text=cleaned, recorded_by_id=actor.id)
        db.session.add(decision)
        db.session.flush()
        if action is not None and action.wanted:
            subject = Subject(case_id=item.case_id) if item.case_id else Subject(meeting_id=meeting.id)
            created = create_action(
                actor,
                subject,
                title=action.title.strip() or _first_words(cleaned),
                detail=cleaned,
                assigned_agency_id=action.assigned_agency_id,  # type: ignore[arg-type]
                assignee_id=action.assignee_id,
                due_on=action.due_on,  # type: ignore[arg-type]
                decision_id=decision.id,
            )
    claim(meeting)
    audit.record(
        actor,
        "meeting.decision_recorded",
        "meeting",
        meeting.id,
        case_id=item.case_id,
        detail={"item_id": item.id, "decision_id": decision.id, "action_id": created.id if created else None},
    )
    if created is None:
        return RecordedDecision(decision)
    return RecordedDecision(decision, created, db.session.get(Agency, created.assigned_agency_id))


def _first_words(text: str, limit: int = 200) -> str:
    """An action title from a decision: its first line, cut at a word near ``limit``."""
    line = text.splitlines()[0].strip()
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


@dataclass(frozen=True)
class DecisionChoices:
    page: ItemPage
    agencies: list[Agency]
    officers: list[User]


def decision_choices(actor: User, meeting_id: int, item_id: int) -> DecisionChoices:
    """The item, and who an action may go to: for a case, its involved agencies first
    and their officers; otherwise every active agency and officer."""
    page = item_page(actor, meeting_id, item_id)
    case_id = page.view.item.case_id
    agencies_query = select(Agency).where(Agency.active.is_(True))
    officers_query = (
        select(User)
        .join(User.agency)
        .where(assignable_users_clause(), Agency.active.is_(True))
        .order_by(Agency.name, User.name)
    )
    if case_id is not None:
        involved = select(CaseAgency.agency_id).where(CaseAgency.case_id == case_id)
        agencies_query = agencies_query.order_by(Agency.id.in_(involved).desc(), Agency.name)
        officers_query = officers_query.where(User.agency_id.in_(involved))
    else:
        agencies_query = agencies_query.order_by(Agency.name)
    return DecisionChoices(page, list(db.session.scalars(agencies_query)), list(db.session.scalars(officers_query)))


# --- Finishing and amending --------------------------------------------------------


def finishable(meeting: Meeting, now: datetime) -> bool:
    """A meeting can be finished from the day it is held."""
    return not meeting.locked and meeting.held_at < start_of_day(local_date(now) + timedelta(days=1))


def finish_meeting(actor: User, meeting_id: int, *, version: int, now: datetime | None = None) -> Meeting:
    """Lock the record."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    moment = now or utcnow()
    if not finishable(meeting, moment):
        raise InvalidTransition("This meeting has not been held yet: it can be finished from the day it is held")
    meeting.finished_at = moment
    claim(meeting)
    audit.record(actor, "meeting.finished", "meeting", meeting.id, detail={"finished_at": moment.isoformat()})
    return meeting


def amendable_items(actor: User, meeting_id: int) -> tuple[Meeting, list[ItemView]]:
    """A finished meeting, and the items the chair may add an amendment about."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    if not meeting.locked:
        raise InvalidTransition(
            "Amendments are added once the meeting is finished: until then, change the record itself"
        )
    items = _load_items(meeting)
    numbers = {item.id: number for number, item in enumerate(items, start=1)}
    views = [view for view in _item_views(actor, meeting, items, numbers) if view.shows_record]
    return meeting, views


def add_amendment(actor: User, meeting_id: int, *, item_id: int | None, text: str) -> MeetingAmendment:
    """A correction to a finished meeting's record: added, never replacing anything."""
    meeting, views = amendable_items(actor, meeting_id)
    if item_id is not None and item_id not in {view.item.id for view in views}:
        raise InvalidInput("Choose an item from the list", field="item_id")
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("Enter the amendment", field="text")
    if len(cleaned) > AMENDMENT_MAX:
        raise InvalidInput(f"The amendment must be {AMENDMENT_MAX} characters or fewer", field="text")
    amendment = MeetingAmendment(meeting_id=meeting.id, item_id=item_id, text=cleaned, author_id=actor.id)
    db.session.add(amendment)
    db.session.flush()
    case_id = next((view.item.case_id for view in views if view.item.id == item_id), None)
    audit.record(
        actor,
        "meeting.amended",
        "meeting",
        meeting.id,
        case_id=case_id,
        detail={"amendment_id": amendment.id, "item_id": item_id},
    )
    return amendment
