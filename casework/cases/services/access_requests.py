"""Requests for access to a case: asked from its stub, decided by the lead agency's chairs
or a manager in the queue (/access-requests). Granting shares the case with the asker's
agency (commands.grant_access, through the sharing service); this module keeps the
requests themselves."""

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.cases.models import ACCESS_DECLINE_REASON_MAX, AccessRequest, AccessRequestStatus, Case
from casework.clock import utcnow
from casework.exceptions import Checks, InvalidTransition, NotFound
from casework.notifications.models import NotificationKind
from casework.notifications.outbox import notify
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import access_request_deciders, authorize, decides_access_request_clause

P = Permission
PENDING = AccessRequestStatus.PENDING

QUEUE_PATH = "/access-requests"


def _case_path(case: Case) -> str:
    return f"/cases/{case.reference}"


# --- Asking --------------------------------------------------------------------------


ALREADY_ASKED = "You have already asked for access to this case. Your request is waiting for a decision."


def record_request(actor: User, case: Case, *, reason: str) -> AccessRequest:
    """A new pending request, audited, and the people who may decide it told. One per user
    and case while it waits: asking again says so (the unique index settles a race)."""
    waiting = latest_request(actor, case.id)
    if waiting is not None and waiting.status is PENDING:
        raise InvalidTransition(ALREADY_ASKED)
    request = AccessRequest(
        case_id=case.id,
        user_id=actor.id,
        agency_id=actor.agency_id,
        lead_agency_id=case.lead_agency_id,
        reason=reason.strip(),
        requested_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:
        raise InvalidTransition(ALREADY_ASKED) from None
    detail = {"reason": request.reason, "request_id": request.id}
    audit.record(actor, "case.access_requested", "case", case.id, case_id=case.id, detail=detail)
    deciders = db.session.scalars(access_request_deciders(case))
    notify(deciders, NotificationKind.ACCESS_REQUESTED, link=QUEUE_PATH, reference=case.reference, case_id=case.id)
    return request


def latest_request(actor: User, case_id: int) -> AccessRequest | None:
    """The user's latest request for access to the case, for its stub."""
    query = (
        select(AccessRequest)
        .where(AccessRequest.case_id == case_id, AccessRequest.user_id == actor.id)
        .order_by(AccessRequest.requested_at.desc(), AccessRequest.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


# --- Deciding ------------------------------------------------------------------------


def decidable(actor: User, request_id: int) -> AccessRequest:
    """A request the user may decide (any status), with what the pages show; 404 otherwise,
    whatever the user's role, so that a refusal never confirms that a request exists."""
    query = _with_details(select(AccessRequest)).where(
        AccessRequest.id == request_id, decides_access_request_clause(actor)
    )
    request = db.session.scalar(query)
    if request is None:
        raise NotFound("access request", request_id)
    return request


def claim(actor: User, request_id: int, status: AccessRequestStatus, *, decline_reason: str = "") -> AccessRequest:
    """Mark a pending request decided. A conditional UPDATE, so of two people deciding at
    once the second is told it is already decided (PostgreSQL re-reads the row after the
    first commits; SQLite runs one writer at a time)."""
    request = decidable(actor, request_id)
    decided = db.session.execute(
        update(AccessRequest)
        .where(AccessRequest.id == request.id, AccessRequest.status == PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), decline_reason=decline_reason)
        .execution_options(synchronize_session=False)
    )
    # Only the decision: the request's loaded case and people stay as they are.
    db.session.refresh(request, ["status", "decided_by_id", "decided_at", "decline_reason"])
    if not decided.rowcount:  # type: ignore[attr-defined]
        raise InvalidTransition(already_decided(request))
    return request


def already_decided(request: AccessRequest) -> str:
    verb = request.status.value
    return f"This request has already been {verb}. Nothing was changed."


def tell_asker(request: AccessRequest, case: Case) -> None:
    """Tell the asker the outcome, linking to the case. A declined asker still sees only
    the stub, so that notification names no case to check at send time (the sender
    withholds one about a case its recipient does not see in full)."""
    recipient = db.session.get_one(User, request.user_id)
    case_id = case.id if request.status is AccessRequestStatus.GRANTED else None
    kind = NotificationKind.ACCESS_DECIDED
    notify([recipient], kind, link=_case_path(case), reference=case.reference, case_id=case_id)


def check_decline(reason: str | None) -> None:
    """Every problem with a decline's reason (None: the form already refused it)."""
    checks = Checks()
    if reason is not None and not reason.strip():
        checks.refuse("Enter why you are declining the request", field="reason")
    elif reason is not None and len(reason.strip()) > ACCESS_DECLINE_REASON_MAX:
        checks.refuse(f"The reason must be {ACCESS_DECLINE_REASON_MAX} characters or fewer", field="reason")
    checks.raise_any()


def decline(actor: User, request_id: int, *, reason: str) -> AccessRequest:
    """Decline with a reason, which the asker sees on the case's stub."""
    check_decline(reason)
    request = claim(actor, request_id, AccessRequestStatus.DECLINED, decline_reason=reason.strip())
    case = db.session.get_one(Case, request.case_id)
    detail = {"request_id": request.id, "agency_id": request.agency_id, "reason": request.decline_reason}
    audit.record(actor, "case.access_declined", "case", case.id, case_id=case.id, detail=detail)
    tell_asker(request, case)
    return request


def settle_for_agency(actor: User, case: Case, agency_id: int) -> None:
    """The case has just been shared with an agency: its users' pending requests are
    granted by that, and each asker is told."""
    waiting = list(
        db.session.scalars(
            select(AccessRequest).where(
                AccessRequest.case_id == case.id, AccessRequest.agency_id == agency_id, AccessRequest.status == PENDING
            )
        )
    )
    for request in waiting:
        request.status, request.decided_by_id, request.decided_at = AccessRequestStatus.GRANTED, actor.id, utcnow()
        tell_asker(request, case)
    db.session.flush()


# --- Reading -------------------------------------------------------------------------


def _with_details(query: sa.Select[AccessRequest]) -> sa.Select[AccessRequest]:
    return query.options(
        joinedload(AccessRequest.case),
        joinedload(AccessRequest.user),
        joinedload(AccessRequest.agency),
        joinedload(AccessRequest.decided_by),
    )


def queue(actor: User, *, page: int, per_page: int) -> Page[AccessRequest]:
    """The requests the user may decide: pending first, oldest first; then the decided
    ones, latest decision first. Two ranges, each read from an index from the first row
    the page shows, so the work follows the page, not the history. Two queries."""
    authorize(actor, P.ACCESS_REQUEST_DECIDE)
    mine = decides_access_request_clause(actor)
    waiting = AccessRequest.status == PENDING
    counts = db.session.execute(
        select(func.count(), func.count(sa.case((waiting, AccessRequest.id)))).select_from(AccessRequest).where(mine)
    ).one()
    total, pending = counts[0] or 0, counts[1] or 0
    page = clamp(page, total, per_page)
    start = (page - 1) * per_page
    from_pending = max(0, min(per_page, pending - start))
    pending_ids = (
        select(AccessRequest.id)
        .where(mine, waiting)
        .order_by(AccessRequest.requested_at, AccessRequest.id)
        .limit(from_pending)
        .offset(start)
    )
    # Decided requests carry their decision's time; pending ones have none.
    decided_ids = (
        select(AccessRequest.id)
        .where(mine, AccessRequest.decided_at.is_not(None), ~waiting)
        .order_by(AccessRequest.decided_at.desc(), AccessRequest.id.desc())
        .limit(per_page - from_pending)
        .offset(max(0, start - pending))
    )
    shown = sa.or_(
        AccessRequest.id.in_(pending_ids) if from_pending else sa.false(),
        AccessRequest.id.in_(decided_ids) if from_pending < per_page else sa.false(),
    )
    rows = db.session.scalars(
        _with_details(select(AccessRequest))
        .where(shown)
        .order_by(
            sa.case((waiting, 0), else_=1),
            sa.case((waiting, AccessRequest.requested_at)),
            sa.case((waiting, AccessRequest.id)),
            AccessRequest.decided_at.desc(),
            AccessRequest.id.desc(),
        )
    )
    return Page(list(rows), total, page, per_page)


def record_queue_view(actor: User, shown: list[AccessRequest]) -> None:
    """The reasons askers give are free text about a case and may name people: a page
    showing them is audited, with the requests it showed."""
    if shown:
        detail = {"requests": [request.id for request in shown]}
        audit.record(actor, "access_requests.viewed", "access_request", None, detail=detail)


def record_request_view(actor: User, request: AccessRequest) -> None:
    audit.record(actor, "access_requests.viewed", "access_request", request.id, case_id=request.case_id)


def pending_on_case(actor: User, case: Case) -> list[AccessRequest]:
    """The pending requests for a case that the user may decide, for the case page."""
    query = _with_details(select(AccessRequest)).where(
        AccessRequest.case_id == case.id, AccessRequest.status == PENDING, decides_access_request_clause(actor)
    )
    return list(db.session.scalars(query.order_by(AccessRequest.requested_at, AccessRequest.id)))


def waiting_count(actor: User) -> sa.ScalarSelect[int]:
    """How many requests wait for this user's decision, as a subquery (My work asks for
    all its counts in one statement)."""
    mine = decides_access_request_clause(actor)
    return select(func.count(AccessRequest.id)).where(AccessRequest.status == PENDING, mine).scalar_subquery()
