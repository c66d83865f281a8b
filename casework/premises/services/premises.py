"""Licensed premises: moving a premises' colour and recording what happens to it.

Only licensing officers and admins change premises data (Permission.PREMISES_EDIT).
Every change writes its own row and an audit event in the same transaction. A move of
colour carries the version the officer saw, so of two officers moving the same premises
at once the second gets EditConflict and nothing of either is lost.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm.exc import StaleDataError

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.clock import today, utcnow
from casework.dates import DEFAULT_BOUNDS, DateBounds, Floor, check_floor, check_floor_day, floor
from casework.db import ensure_version
from casework.exceptions import Checks, EditConflict, InvalidInput, NotFound
from casework.permissions import Permission
from casework.policy import authorize, visible_premises
from casework.premises.models import (
    AccreditationChange,
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    Premises,
    PremisesIncident,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services.tls_rules import Suggestion, TlsRules, suggest, window_start

# A little allowance for a clock that is slightly fast, before "in the future" is refused.
CLOCK_SKEW = timedelta(minutes=2)


def get_premises(actor: User, premises_id: int, permission: Permission | None = None) -> Premises:
    """The premises, if the actor may see it (NotFound otherwise, so its existence does
    not leak), after checking the actor may also do ``permission`` to it."""
    premises = db.session.scalars(visible_premises(actor).where(Premises.id == premises_id)).one_or_none()
    if premises is None:
        raise NotFound("premises", premises_id)
    if permission is not None:
        authorize(actor, permission)
    return premises


def get_premises_counting(actor: User, premises_id: int, count: ColumnElement[int]) -> tuple[Premises, int]:
    """The premises as `get_premises` finds it, with ``count`` read in the same statement."""
    row = db.session.execute(visible_premises(actor).add_columns(count).where(Premises.id == premises_id)).one_or_none()
    if row is None:
        raise NotFound("premises", premises_id)
    return row[0], row[1]


# The checks below take None for what the form could not read, and skip it: the form
# has already said what is wrong with it, and the rest are shown beside that.


def _not_in_future(checks: Checks, moment: datetime | None, *, what: str, field: str) -> None:
    if moment is not None and moment > utcnow() + CLOCK_SKEW:
        checks.refuse(f"The date and time of the {what} must not be in the future", field=field)


def _earliest(premises: Premises, bounds: DateBounds) -> Floor:
    """The first day an event at the premises may be dated (the record keeps its past
    only from a little before it was opened)."""
    return floor(premises.created_at, "premises record", bounds)


def _required(checks: Checks, text: str | None, message: str, *, field: str) -> None:
    if text is not None and not text.strip():
        checks.refuse(message, field=field)


def _own_ids(
    checks: Checks,
    model: type[PremisesIncident] | type[PremisesVisit],
    premises_id: int,
    ids: Iterable[int],
    *,
    field: str,
    what: str,
) -> None:
    """Every id must be of something recorded for this premises."""
    wanted = set(ids)
    if not wanted:
        return
    found = set(db.session.scalars(select(model.id).where(model.id.in_(wanted), model.premises_id == premises_id)))
    if found != wanted:
        checks.refuse(f"Link only {what} recorded for this premises", field=field)


# --- Moving the colour ----------------------------------------------------------------


def move_status(
    actor: User,
    premises_id: int,
    *,
    version: int,
    to_status: TlsStatus,
    reason: str,
    incident_ids: Sequence[int] = (),
    visit_ids: Sequence[int] = (),
) -> PremisesStatusChange:
    """Move the premises to another colour, with the reason and the evidence for it.

    ``version`` is the premises' version when the officer loaded the page: an older one
    is refused at once, and a move saved by someone else in between makes the UPDATE
    find no row (version_id_col), which is refused the same way.
    """
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    ensure_version(premises, version)
    _move_checks(premises, to_status, reason, incident_ids, visit_ids).raise_any()
    cleaned, incidents, visits = reason.strip(), sorted(set(incident_ids)), sorted(set(visit_ids))

    now = utcnow()
    change = PremisesStatusChange(
        premises_id=premises.id,
        from_status=premises.status,
        to_status=to_status,
        reason=cleaned,
        officer_id=actor.id,
        at=now,
        incident_ids=incidents,
        visit_ids=visits,
    )
    db.session.add(change)
    audit.record(
        actor,
        "premises.status_changed",
        "premises",
        premises.id,
        detail={"from": premises.status.value, "to": to_status.value},
    )
    premises.status, premises.status_since = to_status, now
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale
    return change


def check_move_status(
    actor: User,
    premises_id: int,
    *,
    to_status: TlsStatus | None,
    reason: str | None,
    incident_ids: Sequence[int] = (),
    visit_ids: Sequence[int] = (),
) -> None:
    """InvalidInput with every rule a move breaks, on what of the form could be read."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _move_checks(premises, to_status, reason, incident_ids, visit_ids).raise_any()


def _move_checks(
    premises: Premises,
    to_status: TlsStatus | None,
    reason: str | None,
    incident_ids: Sequence[int],
    visit_ids: Sequence[int],
) -> Checks:
    checks = Checks()
    if to_status is premises.status:
        checks.refuse(f"This premises is already {premises.status.value}: choose a different colour", field="to_status")
    _required(checks, reason, "Give the reason for the move", field="reason")
    _own_ids(checks, PremisesIncident, premises.id, incident_ids, field="incident_ids", what="incidents")
    _own_ids(checks, PremisesVisit, premises.id, visit_ids, field="visit_ids", what="visits")
    return checks


# --- Recording what happens -------------------------------------------------------------


def record_incident(
    actor: User,
    premises_id: int,
    *,
    occurred_at: datetime,
    reporting_agency_id: int,
    source: IncidentSource,
    category: IncidentCategory,
    severity: IncidentSeverity,
    description: str,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> PremisesIncident:
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _incident_checks(_earliest(premises, bounds), occurred_at, reporting_agency_id).raise_any()
    # Locked before the incident is added, so that of two incidents recorded at once the
    # second summary is worked out after the first is committed and includes it.
    db.session.execute(select(Premises.id).where(Premises.id == premises.id).with_for_update())
    agency = db.session.get(Agency, reporting_agency_id)
    if agency is None or not agency.active:  # made inactive since the check
        raise InvalidInput(NO_REPORTING_AGENCY, field="reporting_agency_id")
    incident = PremisesIncident(
        premises_id=premises.id,
        occurred_at=occurred_at,
        reporting_agency_id=agency.id,
        source=source,
        category=category,
        severity=severity,
        description=description.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(incident)
    db.session.flush()
    refresh_incident_summary([premises.id])
    audit.record(
        actor,
        "premises.incident_recorded",
        "premises",
        premises.id,
        detail={"incident_id": incident.id, "agency": agency.name, "category": category.value},
    )
    return incident


NO_REPORTING_AGENCY = "Choose the agency that reported the incident"


def check_incident(
    actor: User,
    premises_id: int,
    *,
    occurred_at: datetime | None,
    reporting_agency_id: int | None,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule an incident breaks, on what of the form could be read."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _incident_checks(_earliest(premises, bounds), occurred_at, reporting_agency_id).raise_any()


def _incident_checks(earliest: Floor, occurred_at: datetime | None, reporting_agency_id: int | None) -> Checks:
    checks = Checks()
    # The form's field is the date; the time is checked with it.
    _not_in_future(checks, occurred_at, what="incident", field="occurred_on")
    check_floor(checks, occurred_at, earliest, field="occurred_on")
    if reporting_agency_id is not None:
        agency = db.session.get(Agency, reporting_agency_id)
        if agency is None or not agency.active:
            checks.refuse(NO_REPORTING_AGENCY, field="reporting_agency_id")
    return checks


def record_visit(
    actor: User,
    premises_id: int,
    *,
    kind: VisitKind,
    result: VisitResult,
    visited_at: datetime,
    notes: str = "",
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> PremisesVisit:
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _visit_checks(_earliest(premises, bounds), kind, result, visited_at).raise_any()
    visit = PremisesVisit(
        premises_id=premises.id,
        kind=kind,
        result=result,
        notes=notes.strip(),
        officer_id=actor.id,
        visited_at=visited_at,
    )
    db.session.add(visit)
    db.session.flush()
    audit.record(
        actor,
        "premises.visit_recorded",
        "premises",
        premises.id,
        detail={"visit_id": visit.id, "kind": kind.value, "result": result.value},
    )
    return visit


def check_visit(
    actor: User,
    premises_id: int,
    *,
    kind: VisitKind | None,
    result: VisitResult | None,
    visited_at: datetime | None,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule a visit breaks, on what of the form could be read."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _visit_checks(_earliest(premises, bounds), kind, result, visited_at).raise_any()


def _visit_checks(
    earliest: Floor, kind: VisitKind | None, result: VisitResult | None, visited_at: datetime | None
) -> Checks:
    checks = Checks()
    _not_in_future(checks, visited_at, what="visit", field="visited_on")
    check_floor(checks, visited_at, earliest, field="visited_on")
    if kind is VisitKind.TEST_PURCHASE and result is VisitResult.NOT_APPLICABLE:
        # The pass rate of test purchases is what follow-up action is decided on.
        checks.refuse("Say whether the premises passed or failed the test purchase", field="result")
    return checks


def record_hearing(
    actor: User,
    premises_id: int,
    *,
    kind: HearingKind,
    held_on: date,
    outcome: HearingOutcome,
    notes: str = "",
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> LicensingHearing:
    """A hearing or review already held: its outcome is known, so its date is not ahead."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _hearing_checks(_earliest(premises, bounds), held_on).raise_any()
    hearing = LicensingHearing(
        premises_id=premises.id,
        kind=kind,
        held_on=held_on,
        outcome=outcome,
        notes=notes.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(hearing)
    db.session.flush()
    audit.record(
        actor,
        "premises.hearing_recorded",
        "premises",
        premises.id,
        detail={"hearing_id": hearing.id, "kind": kind.value, "outcome": outcome.value},
    )
    return hearing


def check_hearing(actor: User, premises_id: int, *, held_on: date | None, bounds: DateBounds = DEFAULT_BOUNDS) -> None:
    """InvalidInput with every rule a hearing breaks, on what of the form could be read."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _hearing_checks(_earliest(premises, bounds), held_on).raise_any()


def _hearing_checks(earliest: Floor, held_on: date | None) -> Checks:
    checks = Checks()
    if held_on is not None and held_on > today():
        checks.refuse("The date of the hearing must not be in the future", field="held_on")
    check_floor_day(checks, held_on, earliest, field="held_on")
    return checks


def change_accreditation(
    actor: User,
    premises_id: int,
    *,
    version: int,
    field: AccreditationField,
    value: bool,
    reason: str,
) -> AccreditationChange:
    """Give or take away Thumbs Up accreditation or SIRCS membership, with a reason."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    ensure_version(premises, version)
    current = bool(getattr(premises, field.value))
    _accreditation_checks(premises, field, value, reason).raise_any()
    cleaned = reason.strip()
    change = AccreditationChange(
        premises_id=premises.id, field=field, value=value, reason=cleaned, officer_id=actor.id, at=utcnow()
    )
    db.session.add(change)
    audit.record(
        actor,
        "premises.accreditation_changed",
        "premises",
        premises.id,
        detail={"field": field.value, "from": current, "to": value},
    )
    setattr(premises, field.value, value)
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise EditConflict() from stale
    return change


# --- The suggested colour -------------------------------------------------------------


def refresh_incident_summary(premises_ids: Iterable[int] | None = None) -> None:
    """Work out again the latest incident of each premises (all when ``premises_ids`` is
    None) and the latest incident of any agency other than the one that reported it.

    That second time is the latest of the agencies' own latest incidents after the first
    agency's, so a window holds two agencies or more exactly when it reaches back to it.
    The UPDATE leaves the version alone: an incident does not conflict with a move.
    """
    incident = PremisesIncident.__table__.alias("incident")
    latest = PremisesIncident.__table__.alias("latest")
    latest_agency = (
        select(latest.c.reporting_agency_id)
        .where(latest.c.premises_id == Premises.id)
        .order_by(latest.c.occurred_at.desc(), latest.c.id.desc())
        .limit(1)
        .correlate(Premises)  # two levels down, so not correlated on its own
        .scalar_subquery()
    )
    statement = update(Premises).values(
        last_incident_at=select(func.max(incident.c.occurred_at))
        .where(incident.c.premises_id == Premises.id)
        .scalar_subquery(),
        second_agency_incident_at=select(func.max(incident.c.occurred_at))
        .where(incident.c.premises_id == Premises.id, incident.c.reporting_agency_id != latest_agency)
        .scalar_subquery(),
    )
    if premises_ids is not None:
        statement = statement.where(Premises.id.in_(list(premises_ids)))
    db.session.execute(statement.execution_options(synchronize_session=False))
    for premises in db.session.identity_map.values():
        if isinstance(premises, Premises):
            db.session.expire(premises, ["last_incident_at", "second_agency_incident_at"])


def agency_counts(premises_ids: Iterable[int], now: datetime, rules: TlsRules) -> dict[int, int]:
    """Distinct reporting agencies per premises in the window, counted by the database
    in one grouped query; premises with no incident in the window are left out."""
    ids = list(set(premises_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(PremisesIncident.premises_id, func.count(PremisesIncident.reporting_agency_id.distinct()))
        .where(
            PremisesIncident.premises_id.in_(ids),
            PremisesIncident.occurred_at >= window_start(now, rules),
            PremisesIncident.occurred_at <= now,
        )
        .group_by(PremisesIncident.premises_id)
    )
    return {premises_id: count for premises_id, count in rows}


def suggested_statuses(premises_ids: Iterable[int], now: datetime, rules: TlsRules) -> dict[int, Suggestion]:
    """The suggested colour, explained, of each premises (a page of the register).

    Two queries whatever the number of premises: the counts, then the names of the
    agencies for the explanations, only for premises that have any.
    """
    ids = list(set(premises_ids))
    counts = agency_counts(ids, now, rules)
    names: dict[int, list[str]] = {premises_id: [] for premises_id in ids}
    if counts:
        rows = db.session.execute(
            select(PremisesIncident.premises_id, Agency.name)
            .join(Agency, Agency.id == PremisesIncident.reporting_agency_id)
            .where(
                PremisesIncident.premises_id.in_(list(counts)),
                PremisesIncident.occurred_at >= window_start(now, rules),
                PremisesIncident.occurred_at <= now,
            )
            .distinct()
        )
        for premises_id, name in rows:
            names[premises_id].append(name)
    return {premises_id: suggest(names[premises_id], window_days=rules.suggestion_window_days) for premises_id in ids}


def check_accreditation(
    actor: User, premises_id: int, *, field: AccreditationField | None, value: bool | None, reason: str | None
) -> None:
    """InvalidInput with every rule a change of accreditation breaks, on what of the form could be read."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    _accreditation_checks(premises, field, value, reason).raise_any()


def _accreditation_checks(
    premises: Premises, field: AccreditationField | None, value: bool | None, reason: str | None
) -> Checks:
    checks = Checks()
    if field is not None and value is not None and bool(getattr(premises, field.value)) is value:
        state = "already has" if value else "does not have"
        checks.refuse(f"This premises {state} {field.label}", field="value")
    _required(checks, reason, "Give the reason for the change", field="reason")
    return checks
