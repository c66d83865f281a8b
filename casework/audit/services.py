"""The audit trail: written in the same transaction as the change it records."""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import authorize

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
    "case.opened": "Opened case",
    "case.viewed": "Viewed case",
    "case.updated": "Changed case details",
    "case.closed": "Closed case",
    "case.reopened": "Reopened case",
    "case.agency_added": "Added agency to case",
    "case.access_requested": "Asked for access to case",
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
    "premises.status_changed": "Moved premises to another colour",
    "premises.incident_recorded": "Recorded premises incident",
    "premises.visit_recorded": "Recorded premises visit",
    "premises.hearing_recorded": "Recorded licensing hearing",
    "premises.accreditation_changed": "Changed premises accreditation",
    "premises.report_exported": "Exported premises report",
    "premises.imported": "Imported premises",
    "case.psg_review_changed": "Changed PSG review flag",
    "action.created": "Created action",
    "action.updated": "Updated action",
    "meeting.scheduled": "Scheduled PSG meeting",
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
    "agency.created": "Added agency",
    "agency.updated": "Changed agency",
    "demo.loaded": "Loaded demo data",
    "person.subject_access_exported": "Exported subject access data",
    "case.legal_hold_placed": "Placed legal hold on case",
    "case.legal_hold_lifted": "Lifted legal hold on case",
    "retention.case_anonymised": "Anonymised case (retention)",
    "retention.person_anonymised": "Anonymised person (retention)",
    "retention.referral_anonymised": "Anonymised referral (retention)",
}


def verb_label(verb: str) -> str:
    return VERB_LABELS.get(verb, verb)


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    request_id: str = ""


# Set by the web layer for each request so services need not know about Flask.
request_meta: ContextVar[RequestMeta] = ContextVar("request_meta", default=RequestMeta())


def record(
    actor: User | None,
    verb: str,
    object_type: str,
    object_id: int | None,
    *,
    case_id: int | None = None,
    person_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    meta = request_meta.get()
    event = AuditEvent(
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
    db.session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields that differ, as {field: {"from": old, "to": new}}, for the audit detail."""
    return {key: {"from": before[key], "to": after[key]} for key in after if before.get(key) != after[key]}


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    case_reference: str = ""
    person_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive


def _filtered(criteria: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
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


def search_events(actor: User, criteria: AuditFilter, *, page: int, per_page: int) -> Page[AuditEvent]:
    authorize(actor, Permission.AUDIT_VIEW)
    query = _filtered(criteria)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp(page, total, per_page)
    events = db.session.scalars(
        query.options(joinedload(AuditEvent.actor), joinedload(AuditEvent.case))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(events), total, page, per_page)
