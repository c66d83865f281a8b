"""The partner agencies of the partnership."""

from typing import NamedTuple

from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.audit import services as audit
from casework.exceptions import InvalidInput, NotFound
from casework.permissions import Permission
from casework.policy import authorize


class AgencyChoice(NamedTuple):
    id: int
    name: str


# Built once: every list page with an agency filter reads it. Columns, not Agency
# objects: a choice needs no more, and mapping them cost more than reading them.
_ACTIVE = select(Agency.id, Agency.name).where(Agency.active.is_(True)).order_by(Agency.name)


def active_agencies() -> list[AgencyChoice]:
    """For choice lists; agency names are not personal data, so any signed-in user may read them."""
    # On the session's connection, as the case list's statements: columns need none of
    # the ORM's execution and result set-up (half the cost of this read). Choices are
    # read before a form's writes, or after a failed one was rolled back.
    return [AgencyChoice._make(row) for row in db.session.connection().execute(_ACTIVE)]


def list_agencies(actor: User) -> list[tuple[Agency, int]]:
    """Every agency with its number of active users."""
    authorize(actor, Permission.AGENCY_MANAGE)
    user_count = (
        select(func.count(User.id))
        .where(User.agency_id == Agency.id, User.active.is_(True))
        .correlate(Agency)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Agency, user_count).order_by(Agency.active.desc(), Agency.name))
    return [(agency, count) for agency, count in rows]


def get_agency(actor: User, agency_id: int) -> Agency:
    authorize(actor, Permission.AGENCY_MANAGE)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency", agency_id)
    return agency


def _require_unused_name(name: str, *, except_id: int | None = None) -> None:
    query = select(Agency.id).where(func.lower(Agency.name) == name.lower())
    if except_id is not None:
        query = query.where(Agency.id != except_id)
    if db.session.scalar(query) is not None:
        raise InvalidInput("An agency with this name already exists", field="name")


def create_agency(actor: User | None, *, name: str, kind: AgencyKind, statutory: bool) -> Agency:
    """``actor`` is None only for the command line and demo data."""
    if actor is not None:
        authorize(actor, Permission.AGENCY_MANAGE)
    name = name.strip()
    _require_unused_name(name)
    agency = Agency(name=name, kind=kind, statutory=statutory)
    db.session.add(agency)
    db.session.flush()
    audit.record(actor, "agency.created", "agency", agency.id, detail={"name": name})
    return agency


def update_agency(actor: User, agency_id: int, *, name: str, kind: AgencyKind, statutory: bool, active: bool) -> Agency:
    agency = get_agency(actor, agency_id)
    name = name.strip()
    _require_unused_name(name, except_id=agency.id)
    if not active and agency.id == actor.agency_id:
        raise InvalidInput("You cannot deactivate your own agency", field="active")
    before = {"name": agency.name, "kind": agency.kind.value, "statutory": agency.statutory, "active": agency.active}
    after = {"name": name, "kind": kind.value, "statutory": statutory, "active": active}
    diff = audit.changes(before, after)
    if diff:
        agency.name, agency.kind, agency.statutory, agency.active = name, kind, statutory, active
        db.session.flush()
        audit.record(actor, "agency.updated", "agency", agency.id, detail=diff)
    return agency
