"""What changes a case: opening, editing, notes, agencies, access, closing, the PSG review flag."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import (
    ACCESS_REASON_DETAILS_MAX,
    SHARE_REASON_MAX,
    AccessRequest,
    AccessRequestStatus,
    Case,
    CaseAgency,
    CaseReferenceCounter,
    CaseStatus,
    CaseType,
    Note,
    NoteKind,
)
from casework.cases.services import access_requests
from casework.cases.services.lookup import ACCESS_REASONS, case_asking_reason, get_case, may_request_access
from casework.clock import utcnow
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, InvalidTransition, PermissionDenied
from casework.limits import STOPPING_REASON_MAX
from casework.permissions import Permission
from casework.policy import authorize, may_lift_restriction
from casework.premises.models import Premises
from casework.victims.services import sla

P = Permission


# --- Changes -----------------------------------------------------------------------


def _next_reference(prefix: str, year: int) -> str:
    """The next number for the year, taken inside the caller's transaction.

    The UPDATE locks the counter row (PostgreSQL) or runs under the SQLite write lock,
    so two cases opened at once never share a number.
    """
    bump = (
        update(CaseReferenceCounter)
        .where(CaseReferenceCounter.year == year)
        .values(last_number=CaseReferenceCounter.last_number + 1)
        .returning(CaseReferenceCounter.last_number)
    )
    number = db.session.scalar(bump)
    if number is None:
        # The year's first case. Another request may be creating the row right now:
        # the savepoint lets this one lose that race and then take the next number.
        try:
            with db.session.begin_nested():
                db.session.add(CaseReferenceCounter(year=year, last_number=0))
        except IntegrityError:
            pass
        number = db.session.scalar(bump)
    return f"{prefix}-{year}-{number:05d}"


def _require_agency(agency_id: int, field_name: str) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise InvalidInput("Select an agency from the list", field=field_name)
    return agency


def _require_lead_officer(user_id: int | None, agency_id: int) -> None:
    if user_id is None:
        return
    officer = db.session.get(User, user_id)
    if officer is None or not officer.active or officer.agency_id != agency_id:
        raise InvalidInput("Select a lead officer from the lead agency", field="lead_officer_id")


def _premises_by_licence(licence_number: str) -> Premises | None:
    """The premises a case is linked to, found by its licence number (blank: none)."""
    cleaned = licence_number.strip()
    if not cleaned:
        return None
    premises = db.session.scalar(select(Premises).where(Premises.licence_number == cleaned))
    if premises is None:
        raise InvalidInput(
            f"There is no licensed premises with licence number {cleaned}: check the number, or leave this blank",
            field="premises_licence",
        )
    return premises


def _record_premises_link(actor: User, case: Case, before: int | None, after: int | None) -> None:
    """A link to a premises opens its page to the case's agencies, so it is recorded
    against the premises too, where its page lists who linked which case (and who
    removed a link) to the licensing officers."""
    if before == after:
        return
    detail = {"reference": case.reference}
    if before is not None:
        audit.record(actor, "premises.case_unlinked", "premises", before, case_id=case.id, detail=detail)
    if after is not None:
        audit.record(actor, "premises.case_linked", "premises", after, case_id=case.id, detail=detail)


def open_case(
    actor: User,
    *,
    case_type: CaseType,
    title: str,
    summary: str,
    lead_agency_id: int,
    district: str,
    town: str,
    ward: str,
    restricted: bool,
    reference_prefix: str,
    premises_licence: str = "",
) -> Case:
    authorize(actor, P.CASE_OPEN)
    _require_agency(lead_agency_id, "lead_agency_id")
    premises = _premises_by_licence(premises_licence)
    now = utcnow()
    case = Case(
        reference=_next_reference(reference_prefix, now.year),
        case_type=case_type,
        title=title.strip(),
        summary=summary.strip(),
        lead_agency_id=lead_agency_id,
        lead_officer_id=actor.id if actor.agency_id == lead_agency_id else None,
        district=district.strip(),
        town=town.strip(),
        ward=ward.strip(),
        restricted=restricted,
        premises_id=premises.id if premises else None,
        opened_at=now,
        opened_by_id=actor.id,
    )
    db.session.add(case)
    db.session.flush()
    # The opener's agency stays involved even when another agency leads.
    for agency_id in dict.fromkeys([lead_agency_id, actor.agency_id]):
        db.session.add(CaseAgency(case_id=case.id, agency_id=agency_id, added_by_id=actor.id, added_at=now))
    audit.record(
        actor,
        "case.opened",
        "case",
        case.id,
        case_id=case.id,
        detail={
            "reference": case.reference,
            "case_type": case_type.value,
            "restricted": restricted,
            "premises_id": case.premises_id,
        },
    )
    _record_premises_link(actor, case, None, case.premises_id)
    return case


# Who may un-restrict a case (policy.may_lift_restriction), as the edit form says it.
WHO_MAY_LIFT_RESTRICTION = "Only the lead agency's PSG chair or a community safety manager can lift the restriction."
LIFT_REASON_MAX = 1000


def check_edit_case(
    actor: User,
    reference: str,
    *,
    restricted: bool | None,
    lift_reason: str | None,
    lead_officer_id: int | None = None,
    premises_licence: str | None = None,
) -> None:
    """Every problem with an edit at once (None: a field the form already refused).

    ``restricted`` None leaves the restriction as it is: the form offers no choice to
    someone who may not lift it. Lifting it without that right is refused outright."""
    case = get_case(actor, reference, P.CASE_EDIT)
    checks = Checks()
    for check in (
        lambda: _require_lead_officer(lead_officer_id, case.lead_agency_id),
        lambda: _premises_by_licence(premises_licence or ""),
    ):
        try:
            check()
        except InvalidInput as error:
            checks.add(error)
    if case.restricted and restricted is False:
        if not may_lift_restriction(actor, case, full_view=True):
            raise PermissionDenied(P.CASE_UNRESTRICT)
        if lift_reason is not None and not lift_reason.strip():
            checks.refuse("Enter why you are lifting the restriction", field="lift_reason")
        elif lift_reason is not None and len(lift_reason.strip()) > LIFT_REASON_MAX:
            checks.refuse(f"Reason must be {LIFT_REASON_MAX} characters or fewer", field="lift_reason")
    checks.raise_any()


def edit_case(
    actor: User,
    reference: str,
    *,
    version: int,
    case_type: CaseType,
    title: str,
    summary: str,
    district: str,
    town: str,
    ward: str,
    restricted: bool | None,
    lead_officer_id: int | None,
    premises_licence: str = "",
    lift_reason: str = "",
) -> Case:
    """Change a case's details. Lifting its restriction needs a reason, and is audited
    with it as ``case.unrestricted``."""
    case = get_case(actor, reference, P.CASE_EDIT)
    ensure_version(case, version)
    check_edit_case(
        actor,
        reference,
        restricted=restricted,
        lift_reason=lift_reason,
        lead_officer_id=lead_officer_id,
        premises_licence=premises_licence,
    )
    restricted = case.restricted if restricted is None else restricted
    lifted = case.restricted and not restricted
    premises = _premises_by_licence(premises_licence)
    after: dict[str, Any] = {
        "case_type": case_type,
        "title": title.strip(),
        "summary": summary.strip(),
        "district": district.strip(),
        "town": town.strip(),
        "ward": ward.strip(),
        "restricted": restricted,
        "lead_officer_id": lead_officer_id,
        "premises_id": premises.id if premises else None,
    }
    _save_changes(actor, case, after)
    if lifted:
        detail = {"reason": lift_reason.strip()}
        audit.record(actor, "case.unrestricted", "case", case.id, case_id=case.id, detail=detail)
    return case


def _save_changes(actor: User, case: Case, after: dict[str, Any]) -> None:
    """Set the fields that changed, with the audit record of which."""
    before = {name: getattr(case, name) for name in after}
    diff = audit.changes(before, after)
    if not diff:
        return
    for name, value in after.items():
        setattr(case, name, value)
    db.session.flush()
    # Summaries are free text about people: the audit keeps which fields changed, not the text.
    detail = {name: change if name not in ("title", "summary") else "changed" for name, change in diff.items()}
    audit.record(actor, "case.updated", "case", case.id, case_id=case.id, detail=_jsonable(detail))
    _record_premises_link(actor, case, before["premises_id"], after["premises_id"])


def _jsonable(detail: Mapping[str, object]) -> dict[str, object]:
    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value.value if hasattr(value, "value") else value

    return {key: plain(value) for key, value in detail.items()}


def add_note(actor: User, reference: str, *, kind: NoteKind, body: str) -> Note:
    case = get_case(actor, reference, P.CASE_NOTE)
    if kind is NoteKind.STATUS:
        raise InvalidInput("Select the kind of note", field="kind")
    note = Note(case_id=case.id, author_id=actor.id, kind=kind, body=body.strip(), created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "note.added", "note", note.id, case_id=case.id, detail={"kind": kind.value})
    return note


def check_share(actor: User, reference: str, *, agency_id: int | None, reason: str | None) -> None:
    """InvalidInput with every problem of sharing the case as asked (None for a field the
    form could not read)."""
    case = get_case(actor, reference, P.CASE_SHARE)
    _share_checks(case, agency_id, reason).raise_any()


def _share_checks(case: Case, agency_id: int | None, reason: str | None) -> Checks:
    checks = Checks()
    if agency_id is not None:
        agency = db.session.get(Agency, agency_id)
        already = db.session.scalar(
            select(CaseAgency.id).where(CaseAgency.case_id == case.id, CaseAgency.agency_id == agency_id)
        )
        if agency is None or not agency.active:
            checks.refuse("Select an agency from the list", field="agency_id")
        elif already is not None:
            checks.refuse("This agency is already involved in the case", field="agency_id")
    if reason is not None and not reason.strip():
        checks.refuse("Enter why the agency needs to see the case", field="reason")
    elif reason is not None and len(reason.strip()) > SHARE_REASON_MAX:
        checks.refuse(f"The reason must be {SHARE_REASON_MAX} characters or fewer", field="reason")
    return checks


def add_agency(actor: User, reference: str, *, agency_id: int, reason: str) -> CaseAgency:
    """Share the case with another agency: its users see the case in full from now on.
    Who may is policy.share_check's decision; the reason is shown on the case page."""
    case = get_case(actor, reference, P.CASE_SHARE)
    _share_checks(case, agency_id, reason).raise_any()
    cleaned = reason.strip()
    involvement = CaseAgency(
        case_id=case.id,
        agency_id=agency_id,
        added_by_id=actor.id,
        added_at=utcnow(),
        reason=cleaned,
        case_open=case.is_open,
    )
    db.session.add(involvement)
    db.session.flush()
    detail = {"agency_id": agency_id, "reason": cleaned}
    audit.record(actor, "case.agency_added", "case", case.id, case_id=case.id, detail=detail)
    access_requests.settle_for_agency(actor, case, agency_id)
    return involvement


def request_access(actor: User, reference: str, *, reason: str) -> AccessRequest:
    """Ask for the user's agency to be added to a case they see only as a stub."""
    case, full_view = may_request_access(actor, reference)
    if full_view:
        raise InvalidTransition("Your agency can already see this case")
    return access_requests.record_request(actor, case, reason=reason)


def grant_access(actor: User, request_id: int) -> AccessRequest:
    """Grant a request for access: the asker's agency is added to the case through the
    sharing service (audited, policy.share_check), and the asker is told."""
    request = access_requests.claim(actor, request_id, AccessRequestStatus.GRANTED)
    case = request.case
    if not request.agency.active:
        raise InvalidInput(f"{request.agency.name} is no longer active, so it cannot be added: decline the request")
    involved = db.session.scalar(
        select(CaseAgency.id).where(CaseAgency.case_id == case.id, CaseAgency.agency_id == request.agency_id)
    )
    if involved is None:  # shared meanwhile: granted by that
        reason = f"Access requested by {request.user.name}: {request.reason}"[:SHARE_REASON_MAX]
        add_agency(actor, case.reference, agency_id=request.agency_id, reason=reason)
    detail = {"request_id": request.id, "agency_id": request.agency_id}
    audit.record(actor, "case.access_granted", "case", case.id, case_id=case.id, detail=detail)
    access_requests.tell_asker(request, case)
    return request


def _change_status(actor: User, reference: str, *, version: int, reason: str, to: CaseStatus) -> Case:
    case = get_case(actor, reference, P.CASE_CLOSE)
    if len(reason.strip()) > STOPPING_REASON_MAX:
        # Closing keeps it on the stopped clocks too, which have room for this much.
        raise InvalidInput(f"Reason must be {STOPPING_REASON_MAX} characters or fewer", field="reason")
    ensure_version(case, version)
    if case.status is to:
        raise InvalidTransition(f"This case is already {to.value}")
    now = utcnow()
    case.status = to
    case.closed_at = now if to is CaseStatus.CLOSED else None
    db.session.execute(update(CaseAgency).where(CaseAgency.case_id == case.id).values(case_open=case.is_open))
    verb = "closed" if to is CaseStatus.CLOSED else "reopened"
    db.session.add(
        Note(
            case_id=case.id,
            author_id=actor.id,
            kind=NoteKind.STATUS,
            body=f"Case {verb}: {reason.strip()}",
            created_at=now,
        )
    )
    db.session.flush()
    audit.record(actor, f"case.{verb}", "case", case.id, case_id=case.id)
    if to is CaseStatus.CLOSED:
        sla.stop(case.id, None, at=now, reason=f"Case closed: {reason.strip()}")
    return case


def close_case(actor: User, reference: str, *, version: int, reason: str) -> Case:
    return _change_status(actor, reference, version=version, reason=reason, to=CaseStatus.CLOSED)


def reopen_case(actor: User, reference: str, *, version: int, reason: str) -> Case:
    return _change_status(actor, reference, version=version, reason=reason, to=CaseStatus.OPEN)


def set_psg_review(actor: User, reference: str, *, flagged: bool, version: int) -> Case:
    """Flag the case for the next PSG meeting's agenda, or take the flag off."""
    case = get_case(actor, reference, P.CASE_EDIT)
    ensure_version(case, version)
    if case.psg_review == flagged:
        return case
    case.psg_review = flagged
    body = "Flagged for the next PSG meeting" if flagged else "PSG review flag removed"
    db.session.add(Note(case_id=case.id, author_id=actor.id, kind=NoteKind.STATUS, body=body, created_at=utcnow()))
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale
    detail = {"from": not flagged, "to": flagged}
    audit.record(actor, "case.psg_review_changed", "case", case.id, case_id=case.id, detail=detail)
    return case


# --- Restricted cases: the reason given -----------------------------------------------


def record_access_reason(actor: User, reference: str, *, reason: str, details: str) -> dict[str, str]:
    """Record why this user is opening a restricted case; what is kept for this session."""
    case = case_asking_reason(actor, reference)
    if case is None:
        raise InvalidTransition("You do not need to give a reason to open this case")
    if reason not in ACCESS_REASONS:
        raise InvalidInput("Select why you need to open this case", field="reason")
    details = details.strip()
    if reason == "other" and not details:
        raise InvalidInput("Enter why you need to open this case", field="details")
    if len(details) > ACCESS_REASON_DETAILS_MAX:
        raise InvalidInput(f"Details must be {ACCESS_REASON_DETAILS_MAX} characters or fewer", field="details")
    given = {"reason": reason, "label": ACCESS_REASONS[reason], "details": details}
    audit.record(actor, "case.restricted_access_reason", "case", case.id, case_id=case.id, detail=given)
    return given
