"""The licensed premises register, a premises' page and the forms that change its data.

Premises are partnership-wide, not owned by an agency: everyone with PREMISES_VIEW
(licensing officers of any agency, managers, chairs, admins) sees every premises, and
licensing officers and admins (PREMISES_EDIT) change them. Others get 403 on the
register and see a premises' page only through a case linked to it that they see in
full (policy.visible_premises); any other premises is 404 to them.
"""

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from wtforms import Field

from casework.agencies import services as agencies
from casework.clock import utcnow
from casework.paging import page_number
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
from casework.premises.services import premises, premises_pages
from casework.premises.services.premises_pages import RegisterFilter
from casework.premises.services.premises_timeline import TimelineKey
from casework.premises.services.tls_rules import TlsRules
from casework.ui.bounds import date_bounds
from casework.ui.flow import Page, Saved, submit
from casework.ui.forms import fill_with_now
from casework.ui.templating import local_datetime
from casework.web import actor, writes_on_get

bp = Blueprint("premises", __name__, template_folder="../templates", url_prefix="/premises")

PER_PAGE = 25

EDIT_CONFLICT = (
    "Someone else changed this premises after you opened this page. Nothing has been saved: "
    "check its current state below, then send your change again if it is still right."
)


def _rules() -> TlsRules:
    return TlsRules.from_config(current_app.config)


# --- The register ----------------------------------------------------------------------


def _valid(field: Field) -> Any:
    """A filter's value, or None if it failed validation: a mangled link is ignored."""
    return None if field.errors else field.data


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
    criteria = RegisterFilter(
        status=None if form.status.errors else form.status.data,
        town=str(_valid(form.town) or ""),
        cluster=str(_valid(form.cluster) or ""),
        deadline_passed=bool(form.deadline_passed.data),
        suggestion_differs=bool(form.suggestion_differs.data),
        sort=sort,
        descending=direction == "desc",
        page=page_number(request.args.get("page")),
    )
    now = utcnow()
    page = premises_pages.register(user, criteria, now=now, rules=_rules(), per_page=PER_PAGE)
    return render_template("premises/index.html", form=form, page=page, now=now)


# --- A premises ------------------------------------------------------------------------


@bp.get("/<int:premises_id>")
@writes_on_get  # the audit record of this view
def detail(premises_id: int) -> str:
    now = utcnow()
    data = premises_pages.premises_page(actor(), premises_id, now=now, rules=_rules())
    return render_template("premises/detail.html", data=data, premises=data.premises, now=now)


@bp.get("/<int:premises_id>/timeline")
@writes_on_get  # the audit record of this view
def timeline(premises_id: int) -> str:
    """The whole timeline, a page at a time: ``before`` an entry (older entries) or
    ``after`` one (newer entries); the newest page without either."""
    before = TimelineKey.parse(request.args.get("before"))
    after = None if before else TimelineKey.parse(request.args.get("after"))
    data = premises_pages.premises_timeline_page(
        actor(), premises_id, now=utcnow(), cursor=before or after, older=after is None
    )
    return render_template("premises/timeline.html", data=data)


def _detail_url(premises_id: int) -> str:
    return url_for("premises.detail", premises_id=premises_id)


@bp.route("/<int:premises_id>/status", methods=["GET", "POST"])
def move_status(premises_id: int) -> Page:
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

    def page(conflict: bool = False) -> str:
        return render_template("premises/status.html", premises=item, form=form, conflict=conflict)

    return submit(
        form,
        lambda: premises.move_status(
            user,
            premises_id,
            version=form.version.data or 0,
            to_status=form.to_status.chosen,
            reason=form.reason.data or "",
            incident_ids=form.incident_ids.data or [],
            visit_ids=form.visit_ids.data or [],
        ),
        saved=lambda _change: Saved(f"{item.name} is now {item.status.value}.", _detail_url(premises_id)),
        page=page,
        check=lambda: premises.check_move_status(
            user,
            premises_id,
            to_status=None if form.to_status.errors else form.to_status.data,
            reason=None if form.reason.errors else form.reason.data or "",
            incident_ids=[] if form.incident_ids.errors else form.incident_ids.data or [],
            visit_ids=[] if form.visit_ids.errors else form.visit_ids.data or [],
        ),
        current=lambda: premises_pages.editable(user, premises_id),
        conflict_page=lambda: page(conflict=True),
        conflict_message=EDIT_CONFLICT,
    )


@bp.route("/<int:premises_id>/incidents/new", methods=["GET", "POST"])
def record_incident(premises_id: int) -> Page:
    user = actor()
    bounds = date_bounds()
    item = premises_pages.editable(user, premises_id)
    form = IncidentForm()
    form.reporting_agency_id.choices = [("", "Select an agency")] + [
        (agency.id, agency.name) for agency in agencies.active_agencies()
    ]
    if request.method == "GET":
        fill_with_now(form, "occurred_on", "occurred_time")
    return submit(
        form,
        lambda: premises.record_incident(
            user,
            premises_id,
            occurred_at=form.when(),
            reporting_agency_id=form.reporting_agency_id.data or 0,
            source=form.source.chosen,
            category=form.category.chosen,
            severity=form.severity.chosen,
            description=form.description.data or "",
            bounds=bounds,
        ),
        saved=lambda _incident: Saved("Incident recorded.", _detail_url(premises_id)),
        page=lambda: render_template("premises/incident.html", premises=item, form=form),
        check=lambda: premises.check_incident(
            user,
            premises_id,
            occurred_at=form.moment,
            reporting_agency_id=None if form.reporting_agency_id.errors else form.reporting_agency_id.data,
            bounds=bounds,
        ),
    )


@bp.route("/<int:premises_id>/visits/new", methods=["GET", "POST"])
def record_visit(premises_id: int) -> Page:
    user = actor()
    bounds = date_bounds()
    item = premises_pages.editable(user, premises_id)
    form = VisitForm()
    if request.method == "GET":
        fill_with_now(form, "visited_on", "visited_time")
    return submit(
        form,
        lambda: premises.record_visit(
            user,
            premises_id,
            kind=form.kind.chosen,
            result=form.result.chosen,
            visited_at=form.when(),
            notes=form.notes.data or "",
            bounds=bounds,
        ),
        saved=lambda _visit: Saved("Visit recorded.", _detail_url(premises_id)),
        page=lambda: render_template("premises/visit.html", premises=item, form=form),
        check=lambda: premises.check_visit(
            user,
            premises_id,
            kind=None if form.kind.errors else form.kind.data,
            result=None if form.result.errors else form.result.data,
            visited_at=form.moment,
            bounds=bounds,
        ),
    )


@bp.route("/<int:premises_id>/hearings/new", methods=["GET", "POST"])
def record_hearing(premises_id: int) -> Page:
    user = actor()
    bounds = date_bounds()
    item = premises_pages.editable(user, premises_id)
    form = HearingForm()
    return submit(
        form,
        lambda: premises.record_hearing(
            user,
            premises_id,
            kind=form.kind.chosen,
            held_on=form.held_on.given,
            outcome=form.outcome.chosen,
            notes=form.notes.data or "",
            bounds=bounds,
        ),
        saved=lambda _hearing: Saved("Hearing recorded.", _detail_url(premises_id)),
        page=lambda: render_template("premises/hearing.html", premises=item, form=form),
        check=lambda: premises.check_hearing(
            user, premises_id, held_on=None if form.held_on.errors else form.held_on.data, bounds=bounds
        ),
    )


@bp.route("/<int:premises_id>/accreditation", methods=["GET", "POST"])
def change_accreditation(premises_id: int) -> Page:
    user = actor()
    item = premises_pages.editable(user, premises_id)
    form = AccreditationForm()
    if request.method == "GET":
        form.version.data = item.version

    def given() -> bool | None:
        return None if form.value.errors or not form.value.data else form.value.data == "yes"

    return submit(
        form,
        lambda: premises.change_accreditation(
            user,
            premises_id,
            version=form.version.data or 0,
            field=form.field.chosen,
            value=form.value.data == "yes",
            reason=form.reason.data or "",
        ),
        saved=lambda _change: Saved("Accreditation changed.", _detail_url(premises_id)),
        page=lambda: render_template("premises/accreditation.html", premises=item, form=form),
        check=lambda: premises.check_accreditation(
            user,
            premises_id,
            field=None if form.field.errors else form.field.data,
            value=given(),
            reason=None if form.reason.errors else form.reason.data or "",
        ),
        current=lambda: premises_pages.editable(user, premises_id),
        conflict_message=EDIT_CONFLICT,
    )
