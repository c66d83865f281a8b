"""The partnership delivery plan: priorities and their numbered actions, quarterly
progress, the exception report and the CSV export.

Everyone signed in except analysts reads the plan; managers and chairs change it.
The plan belongs to the partnership, so an existing item is never hidden: a reader
who may not change it gets 403, and analysts get 403 on every page.
"""

from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import Field

from casework.clock import today, utcnow
from casework.dates import DateBounds
from casework.paging import whole_number
from casework.permissions import Permission
from casework.plan import services as plan
from casework.plan.forms import EditPlanActionForm, PlanActionForm, PriorityForm, ProgressForm
from casework.plan.models import PlanAction, Priority
from casework.plan.services import PlanActionDetails
from casework.policy import authorize
from casework.ui.bounds import date_bounds
from casework.ui.flow import Page, Saved, submit
from casework.victims.services import sla_reports
from casework.web import actor, writes_on_get

bp = Blueprint("plan", __name__, template_folder="templates", url_prefix="/plan")

EDIT_CONFLICT = (
    "Someone else changed this action after you opened this page. Nothing has been saved: "
    "check what is saved now, then send your change again if it is still right."
)


@bp.before_request
def plan_readers_only() -> None:
    authorize(actor(), Permission.PLAN_VIEW)


# --- Reading ---------------------------------------------------------------------------


@bp.get("")
def index() -> str:
    return render_template("plan/index.html", priorities=plan.plan_overview(actor()))


@bp.get("/actions/<int:plan_action_id>")
def detail(plan_action_id: int) -> str:
    page = plan.plan_action_page(actor(), plan_action_id, today=today())
    return render_template("plan/detail.html", page=page, plan_action=page.plan_action)


@bp.get("/exceptions")
def exceptions() -> str:
    return render_template("plan/exceptions.html", actions=plan.exception_report(actor()))


@bp.get("/export")
@writes_on_get  # the audit record of the export
def export() -> Response:
    body = sla_reports.to_csv(plan.export_rows(actor()))
    return Response(
        "\ufeff" + body,  # a byte order mark, so spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="delivery-plan-{today()}.csv"'},
    )


# --- Priorities --------------------------------------------------------------------------


def _priority_values(form: PriorityForm) -> dict[str, Any]:
    return {
        "number": form.number.data,
        "title": form.title.data or "",
        "lead_officer": form.lead_officer.data or "",
        "year_targets": form.year_targets.data or "",
    }


def _readable(field: Field) -> Any:
    """What a field holds, or None when it could not be read (it has its own message)."""
    return None if field.errors else field.data


def _check_priority(form: PriorityForm, priority_id: int | None) -> None:
    plan.check_priority(
        actor(), priority_id, number=_readable(form.number), title=None if form.title.errors else form.title.data or ""
    )


def _index_url(priority: Priority) -> str:
    return url_for("plan.index", _anchor=f"priority-{priority.number}")


@bp.route("/priorities/new", methods=["GET", "POST"])
def new_priority() -> Page:
    user = actor()
    authorize(user, Permission.PLAN_EDIT)
    form = PriorityForm()
    return submit(
        form,
        lambda: plan.create_priority(user, **_priority_values(form)),
        saved=lambda priority: Saved(f"Priority {priority.number} added.", _index_url(priority)),
        page=lambda: render_template("plan/priority_form.html", form=form, priority=None),
        check=lambda: _check_priority(form, None),
    )


@bp.route("/priorities/<int:priority_id>/edit", methods=["GET", "POST"])
def edit_priority(priority_id: int) -> Page:
    user = actor()
    priority = plan.get_priority(user, priority_id)
    form = PriorityForm(obj=priority if request.method == "GET" else None)
    return submit(
        form,
        lambda: plan.edit_priority(user, priority_id, **_priority_values(form)),
        saved=lambda _priority: Saved(f"Priority {priority.number} saved.", _index_url(priority)),
        page=lambda: render_template("plan/priority_form.html", form=form, priority=priority),
        check=lambda: _check_priority(form, priority_id),
    )


# --- Plan actions ---------------------------------------------------------------------------


def _offer_choices(form: PlanActionForm, plan_action: PlanAction | None = None) -> None:
    user = actor()
    form.priority_id.choices = [("", "Select the priority")] + [
        (priority.id, f"{priority.number}. {priority.title}") for priority in plan.priority_choices(user)
    ]
    agencies = plan.agency_choices(user, plan_action)
    form.lead_agency_id.choices = [("", "Select the lead agency")] + [(a.id, a.name) for a in agencies]
    form.partner_ids.choices = [(a.id, a.name) for a in agencies]


def _details(form: PlanActionForm) -> PlanActionDetails:
    return PlanActionDetails(
        priority_id=form.priority_id.data,
        ref=form.ref.data or "",
        kind=form.kind.chosen,
        action=form.action.data or "",
        outcome=form.outcome.data or "",
        project=form.project.data or "",
        target=form.target.data or "",
        lead_agency_id=form.lead_agency_id.data,
        partner_ids=form.partner_ids.data or [],
        milestones=plan.parse_milestones(form.milestones.data or ""),
        status=form.status.chosen,
        improvement=form.improvement.data or "",
    )


def _check_details(form: PlanActionForm, plan_action_id: int | None, bounds: DateBounds) -> None:
    plan.check_plan_action(
        actor(),
        plan_action_id,
        priority_id=_readable(form.priority_id),
        ref=_readable(form.ref),
        action=None if form.action.errors else form.action.data or "",
        lead_agency_id=_readable(form.lead_agency_id),
        partner_ids=_readable(form.partner_ids),
        milestones=() if form.milestones.errors else plan.parse_milestones(form.milestones.data or ""),
        bounds=bounds,
    )


def _form_values(plan_action: PlanAction) -> dict[str, object]:
    return {
        "priority_id": plan_action.priority_id,
        "ref": plan_action.ref,
        "kind": plan_action.kind,
        "action": plan_action.action,
        "outcome": plan_action.outcome,
        "project": plan_action.project,
        "target": plan_action.target,
        "milestones": plan.milestones_text(plan_action.milestones),
        "lead_agency_id": plan_action.lead_agency_id,
        "partner_ids": [agency.id for agency in plan_action.partners],
        "status": plan_action.status,
        "improvement": plan_action.improvement,
        "version": plan_action.version,
    }


def _detail_url(plan_action_id: int) -> str:
    return url_for("plan.detail", plan_action_id=plan_action_id)


@bp.route("/actions/new", methods=["GET", "POST"])
def new_action() -> Page:
    user = actor()
    authorize(user, Permission.PLAN_EDIT)
    form = PlanActionForm()
    _offer_choices(form)
    if request.method == "GET":
        form.priority_id.data = whole_number(request.args.get("priority"))
    has_priorities = len(form.priority_id.choices or []) > 1  # beyond "Select the priority"
    bounds = date_bounds()
    return submit(
        form,
        lambda: plan.create_plan_action(user, _details(form), bounds=bounds),
        saved=lambda created: Saved(f"Action {created.ref} added.", _detail_url(created.id)),
        page=lambda: render_template(
            "plan/action_form.html", form=form, plan_action=None, has_priorities=has_priorities
        ),
        check=lambda: _check_details(form, None, bounds),
    )


@bp.route("/actions/<int:plan_action_id>/edit", methods=["GET", "POST"])
def edit_action(plan_action_id: int) -> Page:
    user = actor()
    plan_action = plan.get_plan_action(user, plan_action_id)
    form = EditPlanActionForm(data=_form_values(plan_action)) if request.method == "GET" else EditPlanActionForm()
    _offer_choices(form, plan_action)

    def page(conflict: bool = False) -> str:
        return render_template("plan/action_form.html", form=form, plan_action=plan_action, conflict=conflict)

    bounds = date_bounds()
    return submit(
        form,
        lambda: plan.edit_plan_action(
            user, plan_action_id, _details(form), version=form.version.data or 0, bounds=bounds
        ),
        saved=lambda _saved: Saved(f"Action {plan_action.ref} saved.", _detail_url(plan_action_id)),
        page=page,
        check=lambda: _check_details(form, plan_action_id, bounds),
        current=lambda: plan.get_plan_action(user, plan_action_id),
        conflict_page=lambda: page(conflict=True),
        conflict_message=EDIT_CONFLICT,
    )


@bp.route("/actions/<int:plan_action_id>/progress", methods=["GET", "POST"])
def record_progress(plan_action_id: int) -> Page:
    user = actor()
    plan_action = plan.get_plan_action(user, plan_action_id)
    form = ProgressForm()
    form.quarter.choices = plan.quarter_choices(utcnow())
    if request.method == "GET":
        form.quarter.data = form.quarter.choices[0][0]  # the current quarter
        form.version.data = plan_action.version

    def page(conflict: bool = False) -> str:
        return render_template("plan/progress.html", form=form, plan_action=plan_action, conflict=conflict)

    return submit(
        form,
        lambda: plan.record_progress(
            user,
            plan_action_id,
            version=form.version.data or 0,
            quarter=form.quarter.data,
            progress=form.progress.data or "",
            rag=form.rag.chosen,
            rag_reason=form.rag_reason.data or "",
            improvement=form.improvement.data or "",
        ),
        saved=lambda _saved: Saved(f"Progress on {plan_action.ref} saved.", _detail_url(plan_action_id)),
        page=page,
        current=lambda: plan.get_plan_action(user, plan_action_id),
        conflict_page=lambda: page(conflict=True),
        conflict_message=EDIT_CONFLICT,
    )
