"""The licensed premises register, a premises' page and the forms that change its data.

Premises are partnership-wide, not owned by an agency: everyone with PREMISES_VIEW
(licensing officers of any agency, managers, chairs, admins) sees every premises, and
licensing officers and admins (PREMISES_EDIT) change them. Others get 403 on the
register and see a premises' page only through a case linked to it that they see in
full (policy.visible_premises); any other premises is 404 to them.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casework import db
from casework.agencies import services as agencies
from casework.clock import utcnow
from casework.exceptions import EditConflict, InvalidInput
from casework.permissions import Permission
from casework.policy import authorize
from casework.premises.forms import (
    AccreditationForm,
    HearingForm,
    IncidentForm,
    MoveStatusForm,
    RegisterFilterForm,
    VisitForm,
)
from casework.premises.models import (
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises, premises_pages
from casework.premises.services.premises_pages import RegisterFilter
from casework.premises.services.tls_rules import TlsRules
from casework.ui.forms import fill_with_now, show_error, submitted_moment
from casework.ui.templating import local_datetime
from casework.web import actor

bp = Blueprint("premises", __name__, template_folder="../templates", url_prefix="/premises")

PER_PAGE = 25

EDIT_CONFLICT = (
    "Someone else changed this premises after you opened this page. Nothing has been saved: "
    "check its current state below, then send your change again if it is still right."
)


def _rules() -> TlsRules:
    return TlsRules.from_config(current_app.config)


# --- The register ----------------------------------------------------------------------


def _valid(field: object) -> object:
    return None if field.errors else field.data  # type: ignore[attr-defined]


@bp.get("")
def index() -> str:
    user = actor()
    authorize(user, Permission.PREMISES_VIEW)
    form = RegisterFilterForm(request.args)
    towns, clusters = premises_pages.register_choices(user)
    form.town.choices = [("", "Any town")] + [(town, town) for town in towns]
    form.cluster.choices = [("", "Any cluster")] + [(cluster, cluster) for cluster in clusters]
    form.validate()
    sort, _, direction = str(_valid(form.sort) or "name-asc").rpartition("-")
    page_arg = request.args.get("page", "1")
    criteria = RegisterFilter(
        status=TlsStatus(form.status.data) if _valid(form.status) else None,
        town=str(_valid(form.town) or ""),
        cluster=str(_valid(form.cluster) or ""),
        deadline_passed=bool(form.deadline_passed.data),
        suggestion_differs=bool(form.suggestion_differs.data),
        sort=sort,
        descending=direction == "desc",
        page=int(page_arg) if page_arg.isdigit() else 1,
    )
    now = utcnow()
    page = premises_pages.register(user, criteria, now=now, rules=_rules(), per_page=PER_PAGE)
    return render_template("premises/index.html", form=form, page=page, now=now)


# --- A premises ------------------------------------------------------------------------


@bp.get("/<int:premises_id>")
def detail(premises_id: int) -> str:
    now = utcnow()
    data = premises_pages.premises_page(actor(), premises_id, now=now, rules=_rules())
    return render_template("premises/detail.html", data=data, premises=data.premises, now=now)


@bp.route("/<int:premises_id>/status", methods=["GET", "POST"])
def move_status(premises_id: int) -> Response | str | tuple[str, int]:
    user, now = actor(), utcnow()
    item, evidence = premises_pages.recent_evidence(user, premises_id, now=now)
    form = MoveStatusForm()
    form.incident_ids.choices = [
        (
            incident.id,
            f"{incident.category.label} reported by {incident.reporting_agency.name}, "
            f"{local_datetime(incident.occurred_at)}",
        )
        for incident in evidence.incidents
    ]
    form.visit_ids.choices = [
        (visit.id, f"{visit.kind.label}, {local_datetime(visit.visited_at)}") for visit in evidence.visits
    ]
    if request.method == "GET":
        form.version.data = item.version
    if form.validate_on_submit():
        try:
            premises.move_status(
                user,
                premises_id,
                version=form.version.data,
                to_status=TlsStatus(form.to_status.data),
                reason=form.reason.data or "",
                incident_ids=form.incident_ids.data or [],
                visit_ids=form.visit_ids.data or [],
            )
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            db.session.rollback()
            item = premises_pages.editable(user, premises_id)
            show_error(form, InvalidInput(EDIT_CONFLICT))
            form.version.data, form.version.raw_data = item.version, [str(item.version)]
            return render_template("premises/status.html", premises=item, form=form, conflict=True), 409
        else:
            db.session.commit()
            flash(f"{item.name} is now {item.status.value}.", "success")
            return redirect(url_for("premises.detail", premises_id=premises_id))
    return render_template("premises/status.html", premises=item, form=form, conflict=False)


@bp.route("/<int:premises_id>/incidents/new", methods=["GET", "POST"])
def record_incident(premises_id: int) -> Response | str:
    item = premises_pages.editable(actor(), premises_id)
    form = IncidentForm()
    form.reporting_agency_id.choices = [("", "Select an agency")] + [
        (agency.id, agency.name) for agency in agencies.active_agencies()
    ]
    if request.method == "GET":
        fill_with_now(form, "occurred_on", "occurred_time")
    if form.is_submitted() and (occurred_at := submitted_moment(form, "occurred_on", "occurred_time")):
        try:
            premises.record_incident(
                actor(),
                premises_id,
                occurred_at=occurred_at,
                reporting_agency_id=form.reporting_agency_id.data or 0,
                source=IncidentSource(form.source.data),
                category=IncidentCategory(form.category.data),
                severity=IncidentSeverity(form.severity.data),
                description=form.description.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Incident recorded.", "success")
            return redirect(url_for("premises.detail", premises_id=premises_id))
    return render_template("premises/incident.html", premises=item, form=form)


@bp.route("/<int:premises_id>/visits/new", methods=["GET", "POST"])
def record_visit(premises_id: int) -> Response | str:
    item = premises_pages.editable(actor(), premises_id)
    form = VisitForm()
    if request.method == "GET":
        fill_with_now(form, "visited_on", "visited_time")
    if form.is_submitted() and (visited_at := submitted_moment(form, "visited_on", "visited_time")):
        try:
            premises.record_visit(
                actor(),
                premises_id,
                kind=VisitKind(form.kind.data),
                result=VisitResult(form.result.data),
                visited_at=visited_at,
                notes=form.notes.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Visit recorded.", "success")
            return redirect(url_for("premises.detail", premises_id=premises_id))
    return render_template("premises/visit.html", premises=item, form=form)


@bp.route("/<int:premises_id>/hearings/new", methods=["GET", "POST"])
def record_hearing(premises_id: int) -> Response | str:
    item = premises_pages.editable(actor(), premises_id)
    form = HearingForm()
    if form.validate_on_submit():
        try:
            premises.record_hearing(
                actor(),
                premises_id,
                kind=HearingKind(form.kind.data),
                held_on=form.held_on.data,
                outcome=HearingOutcome(form.outcome.data),
                notes=form.notes.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Hearing recorded.", "success")
            return redirect(url_for("premises.detail", premises_id=premises_id))
    return render_template("premises/hearing.html", premises=item, form=form)


@bp.route("/<int:premises_id>/accreditation", methods=["GET", "POST"])
def change_accreditation(premises_id: int) -> Response | str | tuple[str, int]:
    user = actor()
    item = premises_pages.editable(actor(), premises_id)
    form = AccreditationForm()
    if request.method == "GET":
        form.version.data = item.version
    if form.validate_on_submit():
        try:
            premises.change_accreditation(
                user,
                premises_id,
                version=form.version.data,
                field=AccreditationField(form.field.data),
                value=form.value.data == "yes",
                reason=form.reason.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            db.session.rollback()
            item = premises_pages.editable(user, premises_id)
            show_error(form, InvalidInput(EDIT_CONFLICT))
            form.version.data, form.version.raw_data = item.version, [str(item.version)]
            return render_template("premises/accreditation.html", premises=item, form=form), 409
        else:
            db.session.commit()
            flash("Accreditation changed.", "success")
            return redirect(url_for("premises.detail", premises_id=premises_id))
    return render_template("premises/accreditation.html", premises=item, form=form)
