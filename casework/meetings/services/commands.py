"""The chair's changes to a PSG meeting: scheduling, the agenda by hand, attendance, minutes
and decisions, finishing and amendments.

Every change carries the meeting version the chair's page was built from; a change
bumps it, so of two chairs saving at once the second is told and nothing of theirs is
written. A finished meeting is locked: corrections are added as amendments.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services.actions import Subject, create_action
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case
from casework.clock import local_date, utcnow
from casework.dates import DEFAULT_BOUNDS, DateBounds, far_ahead, horizon_words, long_date
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, InvalidTransition, NotFound
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
from casework.meetings.services.lookup import _attendance, _item, _load_items, _writable_item, finishable, get_meeting
from casework.meetings.services.pages import amendable_items
from casework.notifications import events
from casework.permissions import Permission
from casework.policy import authorize, visible_cases

P = Permission


FINISHED = "This meeting is finished: add an amendment instead"


ADDED_BY_CHAIR = "Added by the chair"


# A meeting typed for "now" reaches the server a moment later.
CLOCK_SKEW = timedelta(minutes=2)


# --- A meeting the chair may change -----------------------------------------------


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


class MeetingFarAhead(InvalidInput):
    """The meeting is further ahead than the horizon: allowed, once the user has confirmed it."""

    def __init__(self, held_at: datetime, bounds: DateBounds) -> None:
        super().__init__(
            f"The meeting, on {long_date(local_date(held_at))}, is more than {horizon_words(bounds)} ahead",
            field="held_on",
        )


def schedule_meeting(
    actor: User,
    *,
    held_at: datetime,
    location: str,
    now: datetime | None = None,
    warn_if_far_ahead: bool = False,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> Meeting:
    """A PSG meeting ahead, chaired by the actor. Given ``warn_if_far_ahead`` (until the
    user has confirmed the date), one beyond the horizon raises MeetingFarAhead once
    every other check has passed, and nothing is written."""
    check_schedule(actor, held_at=held_at, location=location, now=now)
    if warn_if_far_ahead and far_ahead(local_date(held_at), bounds):
        raise MeetingFarAhead(held_at, bounds)
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


# --- Changing the agenda by hand ---------------------------------------------------


def _renumber(items: Iterable[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def check_agenda_item(actor: User, meeting_id: int, *, case_reference: str | None, topic: str | None) -> None:
    """InvalidInput with every rule a new agenda item breaks, on what of the form could be
    read (None for a field the form could not read: something was typed there)."""
    meeting = get_meeting(actor, meeting_id)
    authorize(actor, P.MEETING_RUN)
    _agenda_item_checks(actor, _load_items(meeting), case_reference, topic)[0].raise_any()


def _agenda_item_checks(
    actor: User, items: list[AgendaItem], case_reference: str | None, topic: str | None
) -> tuple[Checks, int | None]:
    """Every problem with a new item, and the id of the case it puts on the agenda."""
    checks = Checks()
    reference = None if case_reference is None else case_reference.strip().upper()
    cleaned_topic = None if topic is None else topic.strip()
    case_id = None
    if reference != "" and cleaned_topic != "":
        checks.refuse("Enter a case reference or a topic, not both", field="case_reference")
    elif reference == "" and cleaned_topic == "":
        checks.refuse("Enter a case reference or a topic", field="case_reference")
    elif reference:
        case = db.session.scalars(visible_cases(actor).where(Case.reference == reference)).first()
        if case is None:
            checks.refuse(f"There is no case {reference} that you can see: check the reference", field="case_reference")
        elif any(item.case_id == case.id for item in items):
            checks.refuse(f"{case.reference} is already on the agenda", field="case_reference")
        else:
            case_id = case.id
    if cleaned_topic is not None and len(cleaned_topic) > TOPIC_MAX:
        checks.refuse(f"The topic must be {TOPIC_MAX} characters or fewer", field="topic")
    return checks, case_id


def add_item(actor: User, meeting_id: int, *, version: int, case_reference: str, topic: str) -> AgendaItem:
    """Put a case (by reference, one the chair can at least list) or a topic at the end."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    items = _load_items(meeting)
    checks, case_id = _agenda_item_checks(actor, items, case_reference, topic)
    checks.raise_any()
    item = AgendaItem(
        meeting_id=meeting.id,
        position=len(items) + 1,
        case_id=case_id,
        topic=topic.strip(),
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
    actor: User,
    meeting_id: int,
    item_id: int,
    *,
    version: int,
    text: str,
    action: ActionRequest | None = None,
    warn_if_far_ahead: bool = False,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> RecordedDecision:
    """A decision on an item and, if asked, the action it creates, all or nothing.

    The action is about the item's case, or about the meeting for a referral or a
    topic; services.actions decides whether it may be assigned as asked, and how far
    back and ahead it may be due (DueDateFarAhead when ``warn_if_far_ahead``).
    """
    meeting = runnable_meeting(actor, meeting_id, version=version)
    item = _writable_item(actor, meeting, item_id)
    cleaned = _decision_text(text, action)
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
                warn_if_far_ahead=warn_if_far_ahead,
                bounds=bounds,
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


def _decision_text(text: str, action: ActionRequest | None) -> str:
    """The decision's words, once it and the action asked for have what they need."""
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
    return cleaned


def _first_words(text: str, limit: int = 200) -> str:
    """An action title from a decision: its first line, cut at a word near ``limit``."""
    line = text.splitlines()[0].strip()
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


# --- Finishing and amending --------------------------------------------------------


def finish_meeting(actor: User, meeting_id: int, *, version: int, now: datetime | None = None) -> Meeting:
    """Lock the record."""
    meeting = runnable_meeting(actor, meeting_id, version=version)
    moment = now or utcnow()
    if not finishable(meeting, moment):
        raise InvalidTransition("This meeting has not been held yet: it can be finished from the day it is held")
    meeting.finished_at = moment
    claim(meeting)
    audit.record(actor, "meeting.finished", "meeting", meeting.id, detail={"finished_at": moment.isoformat()})
    events.minutes_finished(actor, meeting)
    return meeting


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
