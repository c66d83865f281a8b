"""Multi-agency actions: creating one on a subject, and the assigned agency updating it.

An action belongs to exactly one subject (a case, a premises, a meeting or an item of
the delivery plan) and is owed by one agency. Whoever sees the subject in full may
create one; the assigned agency's users (partners included) move it on and add
progress notes. Every change is an ActionUpdate (the action's history, shown on the
subject's timeline) and an audit event, in the same transaction.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case, CaseAgency
from casework.clock import utcnow
from casework.dates import (
    DEFAULT_BOUNDS,
    DateBounds,
    Floor,
    check_floor_day,
    far_ahead,
    floor,
    horizon_words,
    long_date,
    plan_floor,
)
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, NotFound, PermissionDenied
from casework.meetings.models import AgendaItem, Meeting, MeetingDecision, MeetingKind
from casework.notifications import events
from casework.permissions import Permission
from casework.plan.models import PlanAction
from casework.policy import (
    assignable_users_clause,
    authorize,
    can,
    may_update_action,
    visible_actions,
    visible_cases,
    visible_premises,
)
from casework.premises.models import Premises
from casework.rag import Rag

# Case, premises and meeting actions are amber this many days before they fall due.
DUE_SOON_DAYS = 7


class SubjectKind(enum.StrEnum):
    CASE = "case"
    PREMISES = "premises"
    MEETING = "meeting"
    PLAN = "plan"

    @property
    def label(self) -> str:
        return {"case": "Case", "premises": "Licensed premises", "meeting": "Meeting", "plan": "Delivery plan"}[
            self.value
        ]

    @property
    def column_name(self) -> str:
        """The column of Action that points at a subject of this kind."""
        return {
            "case": "case_id",
            "premises": "premises_id",
            "meeting": "meeting_id",
            "plan": "plan_action_id",
        }[self.value]

    @property
    def column(self) -> sa.SQLColumnExpression[int | None]:
        column: sa.SQLColumnExpression[int | None] = getattr(Action, self.column_name)
        return column


@dataclass(frozen=True)
class Subject:
    """What an action is about: exactly one of these is set."""

    case_id: int | None = None
    premises_id: int | None = None
    meeting_id: int | None = None
    plan_action_id: int | None = None

    def __post_init__(self) -> None:
        given = [value for value in (self.case_id, self.premises_id, self.meeting_id, self.plan_action_id) if value]
        if len(given) != 1:
            raise ValueError("an action has exactly one subject")

    @property
    def columns(self) -> dict[str, int | None]:
        return {
            "case_id": self.case_id,
            "premises_id": self.premises_id,
            "meeting_id": self.meeting_id,
            "plan_action_id": self.plan_action_id,
        }

    @property
    def kind(self) -> SubjectKind:
        if self.case_id:
            return SubjectKind.CASE
        if self.premises_id:
            return SubjectKind.PREMISES
        if self.meeting_id:
            return SubjectKind.MEETING
        return SubjectKind.PLAN

    @property
    def id(self) -> int:
        return next(value for value in self.columns.values() if value)

    @classmethod
    def of(cls, kind: SubjectKind, subject_id: int) -> "Subject":
        return cls(**{kind.column_name: subject_id})

    @classmethod
    def of_action(cls, action: Action) -> "Subject":
        return cls(
            case_id=action.case_id,
            premises_id=action.premises_id,
            meeting_id=action.meeting_id,
            plan_action_id=action.plan_action_id,
        )


@dataclass(frozen=True)
class SubjectLabel:
    """How a subject is named on a page: a case by its reference, a premises by its
    name, a plan item by its number, a meeting by its kind and date (``held_at``).
    These are what a stub of the subject shows, so they are safe wherever the action is."""

    kind: SubjectKind
    id: int
    text: str
    held_at: datetime | None = None

    @property
    def subject(self) -> Subject:
        return Subject.of(self.kind, self.id)


def rag(status: ActionStatus, due_on: date, today: date) -> Rag | None:
    """Red when overdue, amber when due within DUE_SOON_DAYS, green otherwise; done and
    cancelled actions have none."""
    if not status.is_live:
        return None
    if due_on < today:
        return Rag.RED
    if due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return Rag.AMBER
    return Rag.GREEN


# --- Subjects ------------------------------------------------------------------------


def _case_label(actor: User, which: sa.ColumnElement[bool], key: object) -> SubjectLabel:
    row = db.session.execute(visible_cases(actor).where(which)).first()
    if row is None or not row[1]:
        raise NotFound("case", key)
    return SubjectLabel(SubjectKind.CASE, row[0].id, row[0].reference)


def _visible_subject(actor: User, subject: Subject) -> SubjectLabel:
    """The subject's label; NotFound unless the actor sees the subject in full."""
    kind = subject.kind
    if kind is SubjectKind.CASE:
        return _case_label(actor, Case.id == subject.case_id, subject.case_id)
    if kind is SubjectKind.PREMISES:
        premises = db.session.scalar(visible_premises(actor).where(Premises.id == subject.premises_id))
        if premises is None:
            raise NotFound("premises", subject.premises_id)
        return SubjectLabel(kind, premises.id, premises.name)
    if kind is SubjectKind.MEETING:
        meeting = db.session.get(Meeting, subject.meeting_id) if can(actor, Permission.MEETING_VIEW) else None
        if meeting is None:
            raise NotFound("meeting", subject.meeting_id)
        return SubjectLabel(kind, meeting.id, meeting.kind.label, meeting.held_at)
    plan_action = db.session.get(PlanAction, subject.plan_action_id) if can(actor, Permission.PLAN_VIEW) else None
    if plan_action is None:
        raise NotFound("plan action", subject.plan_action_id)
    return SubjectLabel(kind, plan_action.id, plan_action.ref)


def subject_to_act_on(
    actor: User,
    *,
    case_reference: str | None = None,
    premises_id: int | None = None,
    meeting_id: int | None = None,
    plan_action_id: int | None = None,
) -> SubjectLabel:
    """The subject a new action would be about (exactly one given), if the actor may
    create one on it: NotFound unless they see it in full, so that a subject they may
    not see does not leak, then PermissionDenied unless their role creates actions."""
    given = [value for value in (case_reference, premises_id, meeting_id, plan_action_id) if value]
    if len(given) != 1:
        raise NotFound("subject", None)
    if case_reference:
        label = _case_label(actor, Case.reference == case_reference.upper(), case_reference)
    else:
        subject = Subject(premises_id=premises_id, meeting_id=meeting_id, plan_action_id=plan_action_id)
        label = _visible_subject(actor, subject)
    authorize(actor, Permission.ACTION_CREATE)
    return label


def subject_labels(actions: Iterable[Action]) -> dict[int, SubjectLabel]:
    """Each action's subject label, by action id: one statement for every kind of subject
    among the actions (a UNION ALL of a lookup per kind), whatever their number and
    whichever kinds they are about; none for no actions."""
    actions = list(actions)
    wanted: dict[SubjectKind, set[int]] = {}
    for action in actions:
        subject = Subject.of_action(action)
        wanted.setdefault(subject.kind, set()).add(subject.id)
    if not wanted:
        return {}
    found: dict[tuple[SubjectKind, int], SubjectLabel] = {}
    for kind_value, subject_id, text, held_at in db.session.execute(sa.union_all(*_label_queries(wanted))):
        kind = SubjectKind(kind_value)
        shown = MeetingKind(text).label if kind is SubjectKind.MEETING else text
        found[kind, subject_id] = SubjectLabel(kind, subject_id, shown, held_at)
    labels = {}
    for action in actions:
        subject = Subject.of_action(action)
        labels[action.id] = found[subject.kind, subject.id]
    return labels


def _label_queries(wanted: dict[SubjectKind, set[int]]) -> list[sa.Select[str, int, str, datetime | None]]:
    """A lookup per kind of subject, in the same four columns: kind, id, text, held_at
    (the meeting's kind as stored, turned into its words by the caller)."""
    held_at_type = Meeting.__table__.c.held_at.type
    no_time = sa.type_coerce(sa.null(), held_at_type)
    columns = {
        SubjectKind.CASE: (Case.id, Case.reference, no_time),
        SubjectKind.PREMISES: (Premises.id, Premises.name, no_time),
        SubjectKind.MEETING: (Meeting.id, Meeting.kind, sa.type_coerce(Meeting.held_at, held_at_type)),
        SubjectKind.PLAN: (PlanAction.id, PlanAction.ref, no_time),
    }
    queries: list[sa.Select[str, int, str, datetime | None]] = []
    for kind in sorted(wanted):
        key, text, held_at = columns[kind]
        queries.append(
            select(
                sa.literal_column(f"'{kind.value}'", sa.String()).label("kind"),
                key.label("id"),
                sa.type_coerce(text, sa.String()).label("text"),
                held_at.label("held_at"),
            ).where(key.in_(sorted(wanted[kind])))
        )
    return queries


@dataclass(frozen=True)
class AssignmentChoices:
    """Who a new action on the subject may be assigned to, for the form's lists."""

    agencies: list[Agency]
    officers: list[User]


def assignment_choices(actor: User, label: SubjectLabel) -> AssignmentChoices:
    """Active agencies (for a case, only those involved in it) and their active officers,
    for a subject from subject_to_act_on. Offering them is a convenience: create_action
    checks the choice again."""
    authorize(actor, Permission.ACTION_CREATE)
    agencies = select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)
    if label.kind is SubjectKind.CASE:
        agencies = agencies.join(CaseAgency, CaseAgency.agency_id == Agency.id).where(CaseAgency.case_id == label.id)
    offered = list(db.session.scalars(agencies))
    officers = db.session.scalars(
        select(User)
        .join(User.agency)
        .options(contains_eager(User.agency))
        .where(assignable_users_clause(), User.agency_id.in_([agency.id for agency in offered]))
        .order_by(Agency.name, User.name)
    )
    return AssignmentChoices(offered, list(officers))


# --- Creating and updating -------------------------------------------------------------


class DueDateInPast(InvalidInput):
    """The due date has passed: allowed, once the user has confirmed it."""

    def __init__(self) -> None:
        super().__init__("The due date is in the past", field="due_on")


class DueDateFarAhead(InvalidInput):
    """The due date is further ahead than the horizon: allowed, once the user has confirmed it."""

    def __init__(self, due_on: date, bounds: DateBounds) -> None:
        super().__init__(
            f"The due date, {long_date(due_on)}, is more than {horizon_words(bounds)} ahead", field="due_on"
        )


def _assigned_agency(subject: Subject, agency_id: int | None) -> Agency:
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        raise InvalidInput("Select the agency the action is assigned to", field="assigned_agency_id")
    if not agency.active:
        raise InvalidInput(
            f"{agency.name} is no longer an active agency: select another agency", field="assigned_agency_id"
        )
    if subject.case_id is not None:
        involved = db.session.scalar(
            select(CaseAgency.id).where(CaseAgency.case_id == subject.case_id, CaseAgency.agency_id == agency.id)
        )
        if involved is None:
            raise InvalidInput(
                f"{agency.name} is not involved in this case: add the agency to the case first",
                field="assigned_agency_id",
            )
    return agency


def _assignee(agency: Agency, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = db.session.get(User, assignee_id)
    if assignee is None or not assignee.active:
        raise InvalidInput(f"Choose an officer from {agency.name}, or nobody", field="assignee_id")
    if assignee.agency_id != agency.id:
        raise InvalidInput(
            f"{assignee.name} works for {assignee.agency.name}, not {agency.name}: "
            f"choose an officer from {agency.name}, or nobody",
            field="assignee_id",
        )
    if not can(assignee, Permission.ACTION_INBOX):
        # Analysts work from figures, not an inbox: an action named to them would go unseen.
        raise InvalidInput(
            f"{assignee.name} cannot be given actions: choose another officer, or nobody", field="assignee_id"
        )
    return assignee


def check_action(
    actor: User,
    subject: Subject,
    *,
    title: str | None,
    assigned_agency_id: int | None,
    assignee_id: int | None,
    due_on: date | None = None,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule a new action breaks, on what of the form could be
    read (None for a field the form could not read)."""
    _visible_subject(actor, subject)
    authorize(actor, Permission.ACTION_CREATE)
    _action_checks(subject, title, assigned_agency_id, assignee_id, due_on, bounds).raise_any()


def _earliest_due(subject: Subject, bounds: DateBounds) -> Floor | None:
    """The first day an action may be due: counted from when its case or premises record
    was opened, from the meeting's date for a meeting, and from the start of the
    financial year for an item of the delivery plan."""
    if subject.case_id is not None:
        opened = db.session.scalar(select(Case.opened_at).where(Case.id == subject.case_id))
        return floor(opened, "case", bounds) if opened else None
    if subject.premises_id is not None:
        opened = db.session.scalar(select(Premises.created_at).where(Premises.id == subject.premises_id))
        return floor(opened, "premises record", bounds) if opened else None
    if subject.meeting_id is not None:
        held = db.session.scalar(select(Meeting.held_at).where(Meeting.id == subject.meeting_id))
        return floor(held, "meeting", bounds, since="the meeting") if held else None
    return plan_floor(bounds)


def _action_checks(
    subject: Subject,
    title: str | None,
    assigned_agency_id: int | None,
    assignee_id: int | None,
    due_on: date | None,
    bounds: DateBounds,
) -> Checks:
    checks = Checks()
    if title is not None and not title.strip():
        checks.refuse("Enter what needs to be done", field="title")
    earliest = _earliest_due(subject, bounds) if due_on is not None else None
    if earliest is not None:
        check_floor_day(checks, due_on, earliest, field="due_on")
    try:
        agency = _assigned_agency(subject, assigned_agency_id)
    except InvalidInput as error:
        checks.add(error)
        return checks  # who may be named depends on the agency
    try:
        _assignee(agency, assignee_id)
    except InvalidInput as error:
        checks.add(error)
    return checks


def create_action(
    actor: User,
    subject: Subject,
    *,
    title: str,
    detail: str,
    assigned_agency_id: int,
    assignee_id: int | None,
    due_on: date,
    decision_id: int | None = None,
    warn_if_due_before: date | None = None,
    warn_if_far_ahead: bool = False,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> Action:
    """A new open action. A due date already past is allowed; given ``warn_if_due_before``
    (today, until the user has confirmed the date), such a date raises DueDateInPast
    once every other check has passed, and nothing is written. Likewise a date beyond
    the horizon raises DueDateFarAhead when ``warn_if_far_ahead``."""
    _visible_subject(actor, subject)
    authorize(actor, Permission.ACTION_CREATE)
    _action_checks(subject, title, assigned_agency_id, assignee_id, due_on, bounds).raise_any()
    cleaned = title.strip()
    agency = _assigned_agency(subject, assigned_agency_id)
    assignee = _assignee(agency, assignee_id)
    if warn_if_due_before is not None and due_on < warn_if_due_before:
        raise DueDateInPast()
    if warn_if_far_ahead and far_ahead(due_on, bounds):
        raise DueDateFarAhead(due_on, bounds)
    action = Action(
        **subject.columns,
        title=cleaned,
        detail=detail.strip(),
        assigned_agency_id=agency.id,
        assignee_id=assignee.id if assignee else None,
        due_on=due_on,
        decision_id=decision_id,
        referral_id=_referral_decided(decision_id),
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        actor,
        "action.created",
        "action",
        action.id,
        case_id=subject.case_id,
        detail={**{k: v for k, v in subject.columns.items() if v}, "agency": agency.name, "due_on": due_on.isoformat()},
    )
    events.action_assigned(actor, action)
    return action


def _referral_decided(decision_id: int | None) -> int | None:
    """The referral a meeting's decision was about, if it was on a referral item: the
    action it creates is then seen only by those who see the referral."""
    if decision_id is None:
        return None
    return db.session.scalar(
        select(AgendaItem.referral_id)
        .join(MeetingDecision, MeetingDecision.item_id == AgendaItem.id)
        .where(MeetingDecision.id == decision_id)
    )


def get_action(actor: User, action_id: int) -> Action:
    action = db.session.scalars(visible_actions(actor).where(Action.id == action_id)).one_or_none()
    if action is None:
        raise NotFound("action", action_id)
    return action


def updatable_action(actor: User, action_id: int) -> Action:
    """An action the actor's agency owes: NotFound if they may not see it,
    PermissionDenied if they see it but are not of the assigned agency."""
    action = get_action(actor, action_id)
    if not may_update_action(actor, action):
        raise PermissionDenied(Permission.ACTION_INBOX)
    return action


def update_action(
    actor: User,
    action_id: int,
    *,
    version: int,
    status: ActionStatus,
    note: str,
) -> Action:
    """The assigned agency moves the action on (or only adds a progress note)."""
    action = updatable_action(actor, action_id)
    ensure_version(action, version)
    cleaned = note.strip()
    if status is action.status and not cleaned:
        raise InvalidInput("Change the status or add a progress note", field="note")
    if status is ActionStatus.DONE and action.status is not ActionStatus.DONE and not cleaned:
        raise InvalidInput("Say what was done: add a completion note", field="note")
    before = action.status
    db.session.add(
        ActionUpdate(
            action_id=action.id,
            from_status=before if status is not before else None,
            to_status=status if status is not before else None,
            note=cleaned,
            author_id=actor.id,
        )
    )
    # A progress note alone changes no column, so it does not conflict with anyone.
    if status is not before:
        action.status = status
        if status is ActionStatus.DONE:
            action.completed_at, action.completion_note = utcnow(), cleaned
        elif before is ActionStatus.DONE:
            action.completed_at, action.completion_note = None, ""
    audit.record(
        actor,
        "action.updated",
        "action",
        action.id,
        case_id=action.case_id,
        detail={"from": before.value, "to": status.value, "note": bool(cleaned)},
    )
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale
    if cleaned:
        events.action_progress(actor, action)
    return action
