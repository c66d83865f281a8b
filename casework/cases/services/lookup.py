"""Finding one case under the visibility rules: what the case pages and the commands both
start from, and the checks a page makes before a command runs."""

from casework import db
from casework.accounts.models import User
from casework.cases.models import Case
from casework.exceptions import NotFound, PermissionDenied
from casework.permissions import Permission
from casework.policy import authorize, case_permission_check, needs_access_reason, visible_cases, works_on_clause

P = Permission


def _load(actor: User, reference: str) -> tuple[Case, bool]:
    query = visible_cases(actor).where(Case.reference == reference.upper())
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound("case", reference)
    return row[0], bool(row[1])


def get_case(actor: User, reference: str, permission: Permission) -> Case:
    """A case the user may change in the way ``permission`` names."""
    query = visible_cases(actor).add_columns(works_on_clause(actor)).where(Case.reference == reference.upper())
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound("case", reference)
    case, full_view, works_on = row[0], bool(row[1]), bool(row[2])
    case_permission_check(actor, permission, case, full_view=full_view, works_on=works_on)
    return case


def may_share(actor: User, reference: str) -> bool:
    """Whether the user may share the case with another agency, for offering the link."""
    try:
        get_case(actor, reference, P.CASE_SHARE)
    except (NotFound, PermissionDenied):
        return False
    return True


# --- Asking for access, and restricted cases' reasons -----------------------------


def may_request_access(actor: User, reference: str) -> tuple[Case, bool]:
    """The case (404 if the user may not even list it) and whether it is already seen in
    full; 403 for a role that never asks for access."""
    case, full_view = _load(actor, reference)
    authorize(actor, P.CASE_REQUEST_ACCESS)
    return case, full_view


# Why someone opens a restricted case, for the audit trail (DPA 2018 s.62).
ACCESS_REASONS = {
    "works-on-case": "I work on this case",
    "psg-preparation": "Preparing for a PSG meeting",
    "safeguarding": "A safeguarding concern",
    "management-review": "Management or supervision review",
    "other": "Another reason",
}


def case_asking_reason(actor: User, reference: str) -> Case | None:
    """For the reason page: the case if it needs a reason, None if the user sees it in full
    without one. Only those who see a case in full are asked: 404 for anyone else."""
    case, full_view = _load(actor, reference)
    if not full_view:
        raise NotFound("case", reference)
    return case if needs_access_reason(case, full_view=full_view) else None
