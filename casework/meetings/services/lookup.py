"""Finding a PSG meeting, its items and its attendance list: what the meeting pages and the
chair's changes share."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.cases.models import Case
from casework.clock import local_date
from casework.exceptions import NotFound, PermissionDenied
from casework.meetings.models import AgendaItem, Meeting, MeetingAttendance, MeetingDecision, MeetingKind
from casework.permissions import Permission
from casework.policy import can, visible_cases

P = Permission


def _psg_meetings() -> Select[Meeting]:
    return select(Meeting).where(Meeting.kind == MeetingKind.PSG_MEETING)


def get_meeting(actor: User, meeting_id: int) -> Meeting:
    """A PSG meeting the actor may see. Case conferences, and every meeting for users
    who may not see meetings at all, are NotFound."""
    if not can(actor, P.MEETING_VIEW):
        raise NotFound("meeting", meeting_id)
    # From the session when the request has read it already (a form's view, before its
    # command): a query would send a statement to get the same object back.
    meeting = db.session.get(Meeting, meeting_id, options=[joinedload(Meeting.chair)])
    if meeting is None or meeting.kind is not MeetingKind.PSG_MEETING:
        raise NotFound("meeting", meeting_id)
    if "chair" in sa.inspect(meeting).unloaded:  # read by a query that did not load it
        db.session.refresh(meeting, ["chair"])
    return meeting


def _load_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .options(selectinload(AgendaItem.decisions).joinedload(MeetingDecision.recorded_by))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _sees_record(actor: User, case_id: int | None, referral_id: int | None, full_view: bool) -> bool:
    """Whether the actor sees an item's minutes and decisions (by what the item is about)."""
    if case_id is not None:
        return full_view
    if referral_id is not None:
        return can(actor, P.REFERRAL_DECIDE)
    return True


def _attendance(meeting: Meeting) -> tuple[list[Agency], dict[int, MeetingAttendance]]:
    """Every active agency (and any since deactivated that were recorded), by name,
    and the attendance recorded, by agency."""
    rows = {
        row.agency_id: row
        for row in db.session.scalars(select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id))
    }
    listed = Agency.active.is_(True) | Agency.id.in_(rows) if rows else Agency.active.is_(True)
    return list(db.session.scalars(select(Agency).where(listed).order_by(Agency.name))), rows


def finishable(meeting: Meeting, now: datetime) -> bool:
    """A meeting can be finished from the day it is held: its local date, not UTC's."""
    return not meeting.locked and local_date(meeting.held_at) <= local_date(now)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.scalar(
        select(AgendaItem)
        .where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.decisions))
    )
    if item is None:
        raise NotFound("agenda item", item_id)
    return item


def _writable_item(actor: User, meeting: Meeting, item_id: int) -> AgendaItem:
    """An item whose record (minutes, decisions) the actor may see, and so write."""
    item = _item(meeting, item_id)
    full_view = False
    if item.case_id is not None:
        row = db.session.execute(visible_cases(actor).where(Case.id == item.case_id)).first()
        full_view = row is not None and bool(row[1])
    if not _sees_record(actor, item.case_id, item.referral_id, full_view):
        raise PermissionDenied(P.MEETING_RUN)
    return item
