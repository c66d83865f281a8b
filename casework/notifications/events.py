"""Who is told of what: each function is called by the service that makes the change,
inside its transaction, so a change that is refused or rolled back tells no one.

The rows carry a reference and a link, never a name or free text (docs/notifications.md,
"Events"). Whoever caused the event is not told of it, except of a change to their own
account."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.agencies.models import Agency
from casework.cases.models import Case
from casework.clock import local_date, start_of_day
from casework.meetings.models import Meeting, MeetingAttendance
from casework.notifications.models import Notification, NotificationKind
from casework.notifications.outbox import notify
from casework.permissions import Permission
from casework.policy import holders_clause, owes_actions_of_clause
from casework.referrals.models import Referral


def _users(condition: sa.ColumnElement[bool]) -> list[User]:
    return list(db.session.scalars(select(User).where(condition).order_by(User.id)))


def _others(users: Iterable[User | None], actor: User) -> list[User]:
    return [user for user in users if user is not None and user.id != actor.id]


# --- Actions -----------------------------------------------------------------------


def _action_reference(action: Action) -> str:
    """A case action is known by its case; any other by its number."""
    if action.case_id is not None:
        reference = db.session.scalar(select(Case.reference).where(Case.id == action.case_id))
        if reference:
            return reference
    return f"Action {action.id}"


def _tell_about_action(action: Action, kind: NotificationKind, recipients: list[User]) -> list[Notification]:
    return notify(
        recipients,
        kind,
        link=f"/actions/{action.id}",
        reference=_action_reference(action),
        due_at=start_of_day(action.due_on),
        case_id=action.case_id,
        premises_id=action.premises_id,
    )


def action_assigned(actor: User, action: Action) -> list[Notification]:
    """The assigned agency's users who work its inbox (they see the action because their
    agency owes it), and the officer named on it."""
    members = _users(owes_actions_of_clause(action.assigned_agency_id))
    named = db.session.get(User, action.assignee_id) if action.assignee_id is not None else None
    return _tell_about_action(action, NotificationKind.ACTION_ASSIGNED, _others([*members, named], actor))


def action_progress(actor: User, action: Action) -> list[Notification]:
    """The action's creator, when someone else adds a progress note."""
    creator = db.session.get(User, action.created_by_id)
    return _tell_about_action(action, NotificationKind.ACTION_PROGRESS, _others([creator], actor))


# --- Referrals ---------------------------------------------------------------------


def _referral_reference(referral: Referral) -> str:
    return f"Referral {referral.id}"


def referral_made(actor: User, referral: Referral) -> list[Notification]:
    """The partnership's PSG chairs: those who decide referrals."""
    chairs = _users(holders_clause(Permission.REFERRAL_DECIDE))
    return notify(
        _others(chairs, actor),
        NotificationKind.REFERRAL_MADE,
        link=f"/referrals/{referral.id}",
        reference=_referral_reference(referral),
    )


def referral_decided(actor: User, referral: Referral) -> list[Notification]:
    """The referrer, who sees their own agency's referrals and what was decided."""
    referrer = db.session.get(User, referral.referrer_id)
    return notify(
        _others([referrer], actor),
        NotificationKind.REFERRAL_DECIDED,
        link=f"/referrals/{referral.id}",
        reference=_referral_reference(referral),
    )


# --- PSG meetings --------------------------------------------------------------------


def _meeting_reference(meeting: Meeting) -> str:
    day = local_date(meeting.held_at)
    return f"{meeting.kind.label} {day.day} {day:%B %Y}"


def _attending_agencies(meeting: Meeting) -> sa.ColumnElement[bool]:
    """The agencies whose attendance is recorded (present or apologies); before any is
    recorded, every active agency, as a PSG meeting is the whole partnership's."""
    recorded = select(MeetingAttendance.agency_id).where(MeetingAttendance.meeting_id == meeting.id)
    if db.session.scalar(recorded.limit(1)) is not None:
        return User.agency_id.in_(recorded)
    return User.agency_id.in_(select(Agency.id).where(Agency.active.is_(True)))


def _tell_about_meeting(
    actor: User, meeting: Meeting, kind: NotificationKind, key: str, due_at: datetime | None
) -> list[Notification]:
    members = _users(sa.and_(holders_clause(Permission.MEETING_VIEW), _attending_agencies(meeting)))
    return notify(
        _others(members, actor),
        kind,
        link=f"/meetings/{meeting.id}",
        reference=_meeting_reference(meeting),
        due_at=due_at,
        key=f"meeting:{meeting.id}:{key}",
    )


def agenda_published(actor: User, meeting: Meeting) -> list[Notification]:
    """The first time the agenda is generated; generating it again tells no one again."""
    return _tell_about_meeting(actor, meeting, NotificationKind.AGENDA_PUBLISHED, "agenda", meeting.held_at)


def minutes_finished(actor: User, meeting: Meeting) -> list[Notification]:
    return _tell_about_meeting(actor, meeting, NotificationKind.MINUTES_FINISHED, "minutes", None)


# --- Accounts ------------------------------------------------------------------------


def account_changed(user: User) -> list[Notification]:
    """Mandatory, and sent to the account's owner even when they made the change; a
    deactivated account is told nothing (notify skips it)."""
    return notify([user], NotificationKind.ACCOUNT_CHANGED, link="/")
