"""The audit trail: written in the same transaction as the change it records."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, func, not_, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, joinedload

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.clock import utcnow
from casework.permissions import Permission
from casework.policy import authorize
from casework.premises.models import Premises

# What each verb means, for people reading the log; unknown verbs show as recorded.
VERB_LABELS = {
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "auth.sign_in_failed": "Failed sign-in",
    "auth.sign_in_refused_inactive": "Sign-in refused: account deactivated",
    "auth.sign_in_throttled": "Sign-in refused: too many failed attempts",
    "auth.password_accepted": "Password accepted, second factor next",
    "auth.two_factor_failed": "Wrong security code",
    "auth.two_factor_throttled": "Security code refused: too many wrong codes",
    "auth.two_factor_enrolled": "Set up authenticator app",
    "auth.recovery_code_used": "Signed in with a recovery code",
    "auth.recovery_codes_regenerated": "Made new recovery codes",
    "auth.password_reset_requested": "Asked for a link to reset password",
    "auth.password_reset_throttled": "Reset link refused: too many asked for",
    "account.password_reset": "Reset password with a link",
    "case.opened": "Opened case",
    "case.viewed": "Viewed case",
    "case.updated": "Changed case details",
    "case.unrestricted": "Lifted case's restriction",
    "case.closed": "Closed case",
    "case.reopened": "Reopened case",
    "case.agency_added": "Added agency to case",
    "case.access_requested": "Asked for access to case",
    "case.access_granted": "Granted request for access to case",
    "case.access_declined": "Declined request for access to case",
    "access_requests.viewed": "Viewed requests for access",
    "case.restricted_access_reason": "Gave reason to open restricted case",
    "case.person_added": "Added person to case",
    "case.person_removed": "Took person off case",
    "note.added": "Added note",
    "person.created": "Added person",
    "person.viewed": "Viewed person",
    "risk.assessed": "Assessed risk",
    "risk.history_viewed": "Viewed risk history",
    "risk_matrix.loaded": "Loaded risk matrix",
    "conference.recorded": "Recorded case conference",
    "sla.exported": "Exported SLA clocks",
    "figures.exported": "Exported partnership figures",
    "premises.status_changed": "Moved premises to another colour",
    "premises.incident_recorded": "Recorded premises incident",
    "premises.visit_recorded": "Recorded premises visit",
    "premises.hearing_recorded": "Recorded licensing hearing",
    "premises.accreditation_changed": "Changed premises accreditation",
    "premises.report_exported": "Exported premises report",
    "premises.case_linked": "Linked case to premises",
    "premises.case_unlinked": "Removed case's link to premises",
    "premises.viewed": "Viewed premises",
    "premises.imported": "Imported premises",
    "case.psg_review_changed": "Changed PSG review flag",
    "action.created": "Created action",
    "action.updated": "Updated action",
    "meeting.scheduled": "Scheduled PSG meeting",
    "meeting.viewed": "Viewed PSG meeting",
    "meeting.agenda_generated": "Generated meeting agenda",
    "meeting.agenda_changed": "Changed meeting agenda",
    "meeting.attendance_recorded": "Recorded meeting attendance",
    "meeting.minutes_recorded": "Recorded meeting minutes",
    "meeting.decision_recorded": "Recorded meeting decision",
    "meeting.finished": "Finished meeting",
    "meeting.amended": "Amended meeting record",
    "referral.made": "Made referral",
    "referral.viewed": "Viewed referral",
    "referral.accepted": "Accepted referral",
    "referral.declined": "Declined referral",
    "plan.priority_saved": "Saved delivery plan priority",
    "plan.action_saved": "Saved delivery plan action",
    "plan.progress_updated": "Updated delivery plan progress",
    "plan.exported": "Exported delivery plan",
    "user.created": "Created user",
    "user.updated": "Changed user",
    "user.activated": "Reactivated user",
    "user.deactivated": "Deactivated user",
    "user.password_changed": "Changed password",
    "user.signed_out_everywhere": "Signed user out everywhere",
    "user.two_factor_reset": "Reset user's second factor",
    "user.password_reset": "Set a temporary password",
    "agency.created": "Added agency",
    "agency.updated": "Changed agency",
    "demo.loaded": "Loaded demo data",
    "person.subject_access_exported": "Exported subject access data",
    "case.legal_hold_placed": "Placed legal hold on case",
    "case.legal_hold_lifted": "Lifted legal hold on case",
    "retention.case_anonymised": "Anonymised case (retention)",
    "retention.person_anonymised": "Anonymised person (retention)",
    "retention.referral_anonymised": "Anonymised referral (retention)",
    "notification.sent": "Sent notification e-mail",
    "notification.failed": "Notification e-mail failed",
    "notification.withdrawn": "Withdrew notification before sending",
    "notification.retried": "Retried failed notification",
}


def verb_label(verb: str) -> str:
    return VERB_LABELS.get(verb, verb)


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    request_id: str = ""


# Set by the web layer for each request so services need not know about Flask.
request_meta: ContextVar[RequestMeta] = ContextVar("request_meta", default=RequestMeta())


# The records of what a page shows while it reads without SQLite's write lock: kept out of
# the session until the page is ready, then written in a short transaction of their own
# (casework/web.py, ``writes_on_get``).
_held: ContextVar[list[AuditEvent] | None] = ContextVar("held_records", default=None)


@contextmanager
def held() -> Iterator[list[AuditEvent]]:
    """Events recorded inside are kept in the list yielded instead of the session: the
    caller writes them, or drops them if what they record failed."""
    events: list[AuditEvent] = []
    token = _held.set(events)
    try:
        yield events
    finally:
        _held.reset(token)


def record(
    actor: User | None,
    verb: str,
    object_type: str,
    object_id: int | None,
    *,
    case_id: int | None = None,
    person_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record what the actor did, in the same unit of work as the change itself."""
    meta = request_meta.get()
    event = AuditEvent(
        at=utcnow(),  # when it happened, not when the commit writes it
        actor_id=actor.id if actor else None,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        person_id=person_id,
        detail=detail or {},
        ip=meta.ip,
        request_id=meta.request_id,
    )
    if (events := _held.get()) is not None:
        events.append(event)
    else:
        _wait_for_commit(event)


# --- Records wait for the commit ---------------------------------------------------
# A unit of work's records are written together by its commit, in one INSERT: added to
# the session as they are made, each would go in a statement of its own, as the session
# flushes before every query. Each keeps the transaction or savepoint it was made in, so
# that a savepoint rolled back takes its records with it, as it does the rows it wrote.
_WAITING = "audit_records_waiting"


def _waiting(session: Session) -> list[tuple[SessionTransaction, AuditEvent]]:
    return session.info.setdefault(_WAITING, [])


def _innermost(session: Session) -> SessionTransaction | None:
    """The savepoint the session is in, else its transaction (None before it begins)."""
    return session.get_nested_transaction() or session.get_transaction()


def _wait_for_commit(record: AuditEvent) -> None:
    session = db.session()
    _waiting(session).append((_innermost(session) or session.begin(), record))


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


_TABLE = cast(sa.Table, AuditEvent.__table__)
_COLUMNS = [column.key for column in _TABLE.columns if column.key != "id"]


@sa.event.listens_for(db.session, "before_commit")
def _write_waiting(session: Session) -> None:
    """The records made in the transaction being committed (the innermost: the session
    commits a savepoint before its parent), in one INSERT with no RETURNING (nothing
    needs their ids), after the session's own changes that they may refer to. Records
    made outside a savepoint wait for their own transaction's commit: written inside
    the savepoint, they would go if a savepoint between the two were rolled back."""
    _write(session, _innermost(session))


def _write(session: Session, committing: SessionTransaction | None) -> None:
    waiting = session.info.get(_WAITING)
    if not waiting or committing is None:
        return
    rows = [
        {key: getattr(record, key) for key in _COLUMNS} for made_in, record in waiting if _within(made_in, committing)
    ]
    if rows:
        session.info[_WAITING] = [(made_in, record) for made_in, record in waiting if not _within(made_in, committing)]
        session.flush()
        session.connection().execute(sa.insert(_TABLE), rows)


@sa.event.listens_for(db.session, "do_orm_execute")
def _write_waiting_before_reading_them(state: ORMExecuteState) -> None:
    """A query of the audit trail (its entity or one of its columns) sees the records
    made in the current transaction or savepoint, as it would any row written there.
    (Looking for the table in every query's FROM clause would cost more than the
    statements saved.)"""
    if state.session.info.get(_WAITING) and AuditEvent.__mapper__ in state.all_mappers:
        _write(state.session, _innermost(state.session))


@sa.event.listens_for(db.session, "after_soft_rollback")
def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    if waiting := session.info.get(_WAITING):
        session.info[_WAITING] = [(made_in, record) for made_in, record in waiting if not _within(made_in, rolled_back)]


@sa.event.listens_for(db.session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written already) or rolled back
        session.info.pop(_WAITING, None)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields that differ, as {field: {"from": old, "to": new}}, for the audit detail."""
    return {key: {"from": before[key], "to": after[key]} for key in after if before.get(key) != after[key]}


@dataclass(frozen=True)
class EventKind:
    label: str
    prefixes: tuple[str, ...]  # the verbs' first parts: "auth" for "auth.signed_in"
    excluded: bool = False  # every event but these


# Kinds of event to filter the log by, so that sign-ins do not bury everything else.
EVENT_KINDS = {
    "not_sign_in": EventKind("Everything but signing in and out", ("auth",), excluded=True),
    "sign_in": EventKind("Signing in and out", ("auth",)),
    "cases": EventKind("Cases and notes", ("case", "note")),
    "people": EventKind("People", ("person",)),
    "risk": EventKind("Risk assessments and SLA clocks", ("risk", "risk_matrix", "conference", "sla")),
    "premises": EventKind("Licensed premises", ("premises",)),
    "actions": EventKind("Actions", ("action",)),
    "meetings": EventKind("Meetings", ("meeting",)),
    "referrals": EventKind("Referrals", ("referral",)),
    "plan": EventKind("Delivery plan", ("plan",)),
    "admin": EventKind("Users and agencies", ("user", "agency")),
    "retention": EventKind("Retention and data loads", ("retention", "demo")),
}


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    case_reference: str = ""
    person_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    kind: str = ""  # a key of EVENT_KINDS, or any kind


def _of_kind(key: str) -> ColumnElement[bool] | None:
    kind = EVENT_KINDS.get(key)
    if kind is None:
        return None
    matches = or_(*(AuditEvent.verb.startswith(f"{prefix}.", autoescape=True) for prefix in kind.prefixes))
    return not_(matches) if kind.excluded else matches


def _filtered(criteria: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if (kind := _of_kind(criteria.kind)) is not None:
        query = query.where(kind)
    if criteria.user_id is not None:
        query = query.where(AuditEvent.actor_id == criteria.user_id)
    if criteria.case_reference:
        case_id = select(Case.id).where(Case.reference == criteria.case_reference.upper()).scalar_subquery()
        query = query.where(AuditEvent.case_id == case_id)
    if criteria.person_id is not None:
        query = query.where(AuditEvent.person_id == criteria.person_id)
    if criteria.date_from is not None:
        query = query.where(AuditEvent.at >= criteria.date_from)
    if criteria.date_to is not None:
        query = query.where(AuditEvent.at < criteria.date_to)
    return query


# Counting every event of a long log on every view costs more than the number is worth:
# above this many, the log says "more than 10,000" (docs/data-protection.md).
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class EventPage:
    """One page of the log, newest first, and where the pages either side start."""

    items: list[AuditEvent]
    total: int  # exact when ``exact``, else at most ``limit`` + 1
    exact: bool
    limit: int
    newer: bool  # there are newer events: the page of them is the one before the first shown
    older: bool

    @property
    def more_than_limit(self) -> bool:
        return not self.exact and self.total > self.limit


def _count(query: Select[AuditEvent], criteria: AuditFilter) -> tuple[int, bool]:
    """The count, and whether it is exact: always when filtered by a case or a person
    (read through their indexes, a few hundred events at most); otherwise counted only
    as far as COUNT_LIMIT + 1."""
    if criteria.case_reference or criteria.person_id is not None:
        return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0, True
    capped = query.with_only_columns(AuditEvent.id).limit(COUNT_LIMIT + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(capped)) or 0, False


def search_events(
    actor: User,
    criteria: AuditFilter,
    *,
    per_page: int,
    older_than: int | None = None,
    newer_than: int | None = None,
) -> EventPage:
    """A page of the events matching ``criteria``, newest first (by time, then id): the
    newest, the ones just older than event ``older_than`` or just newer than event
    ``newer_than``. Keyset paging: the page is read from the index on ``at`` from the
    event it starts at, however far back, and stays put while new events arrive."""
    authorize(actor, Permission.AUDIT_VIEW)
    query = _filtered(criteria)
    total, exact = _count(query, criteria)
    query = query.options(joinedload(AuditEvent.actor), joinedload(AuditEvent.case))
    edge = newer_than if newer_than is not None else older_than
    if edge is not None:
        at = select(AuditEvent.at).where(AuditEvent.id == edge).scalar_subquery()
        if newer_than is not None:
            query = query.where(AuditEvent.at >= at, or_(AuditEvent.at > at, AuditEvent.id > edge))
        else:
            query = query.where(AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < edge))
    if newer_than is not None:
        rows = list(db.session.scalars(query.order_by(AuditEvent.at, AuditEvent.id).limit(per_page + 1)))
        return EventPage(rows[:per_page][::-1], total, exact, COUNT_LIMIT, newer=len(rows) > per_page, older=True)
    rows = list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(per_page + 1)))
    return EventPage(
        rows[:per_page], total, exact, COUNT_LIMIT, newer=older_than is not None, older=len(rows) > per_page
    )


# --- Reading the log: names, not ids ---------------------------------------------------

# Detail fields that hold ids, and what the ids name.
_NAMED_DETAIL = {
    "agency_id": "agency",
    "present": "agency",
    "apologies": "agency",
    "lead_officer_id": "user",
    "case_id": "case",
    "premises_id": "premises",
}
_DETAIL_LABELS = {
    "agency_id": "agency",
    "lead_officer_id": "lead officer",
    "case_id": "case",
    "premises_id": "premises",
}
# Records named by the object an event is about.
_NAMED_OBJECTS = {"user": "user", "agency": "agency", "premises": "premises"}


@dataclass(frozen=True)
class ReadableEvent:
    """An audit event as the log shows it: the record and the detail in words."""

    event: AuditEvent
    record: str
    detail: list[tuple[str, str]]


def _ids(value: object) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, int) and not isinstance(item, bool)}
    if isinstance(value, dict):
        return _ids(value.get("from")) | _ids(value.get("to"))
    return set()


def _names(wanted: dict[str, set[int]]) -> dict[str, dict[int, str]]:
    """One query per kind of record the page names, however many events it shows."""
    columns = {
        "agency": (Agency.id, Agency.name),
        "user": (User.id, User.name),
        "case": (Case.id, Case.reference),
        "premises": (Premises.id, Premises.name),
    }
    names: dict[str, dict[int, str]] = {}
    for kind, ids in wanted.items():
        key, name = columns[kind]
        names[kind] = {row[0]: row[1] for row in db.session.execute(select(key, name).where(key.in_(sorted(ids))))}
    return names


def _named(names: dict[str, dict[int, str]], kind: str, value: object) -> str:
    def one(item: object) -> str:
        if isinstance(item, int) and not isinstance(item, bool):
            return names.get(kind, {}).get(item, f"{kind} {item}")
        return "none" if item is None else str(item)

    if isinstance(value, list):
        return ", ".join(one(item) for item in value) or "none"
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"from {one(value['from'])} to {one(value['to'])}"
    return one(value)


def readable(events: list[AuditEvent]) -> list[ReadableEvent]:
    """The events with the agencies, users, cases and premises they mention by name."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if (kind := _NAMED_OBJECTS.get(event.object_type)) and event.object_id:
            wanted[kind].add(event.object_id)
        for key, value in (event.detail or {}).items():
            if kind := _NAMED_DETAIL.get(key):
                wanted[kind] |= _ids(value)
    names = _names({kind: ids for kind, ids in wanted.items() if ids})
    return [_readable(event, names) for event in events]


def _readable(event: AuditEvent, names: dict[str, dict[int, str]]) -> ReadableEvent:
    if event.case is not None:
        record = event.case.reference
    elif (kind := _NAMED_OBJECTS.get(event.object_type)) and event.object_id in names.get(kind, {}):
        record = f"{event.object_type} {names[kind][event.object_id]}"
    else:
        record = f"{event.object_type} {event.object_id}" if event.object_id else event.object_type
    if event.person_id:
        record += f", person {event.person_id}"
    detail = [
        (
            _DETAIL_LABELS.get(key, key.replace("_", " ")),
            _named(names, _NAMED_DETAIL[key], value) if key in _NAMED_DETAIL else _plain(value),
        )
        for key, value in (event.detail or {}).items()
    ]
    return ReadableEvent(event, record, detail)


def _plain(value: object) -> str:
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"from {_plain(value['from'])} to {_plain(value['to'])}"
    return "none" if value is None else str(value)
