"""The partnership delivery plan: priorities and their numbered actions, quarterly
progress, the exception report and the CSV export.

Everyone signed in except analysts reads the plan; managers and chairs change it.
The plan belongs to the partnership, so an existing item is never hidden: a reader
who may not change it gets 403, and analysts get 403 on every page.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from casework import db
from casework.actions.models import Rag
from casework.clock import today, utcnow
from casework.exceptions import EditConflict, InvalidInput
from casework.permissions import Permission
from casework.plan import services as plan
from casework.plan.forms import EditPlanActionForm, PlanActionForm, PriorityForm, ProgressForm
from casework.plan.models import PlanAction, PlanActionKind, PlanActionStatus
from casework.plan.services import PlanActionDetails
from casework.policy import authorize
from casework.ui.forms import show_error
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
@writes_on_get
def export() -> Response:
    body = sla_reports.to_csv(plan.export_rows(actor()))
    db.session.commit()  # the audit record of the export
    return Response(
        "\ufeff" + body,  # a byte order mark, so spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="delivery-plan-{today()}.csv"'},
    )


# --- Priorities --------------------------------------------------------------------------


def _priority_values(form: PriorityForm) -> dict[str, object]:
    return {
        "number": form.number.data,
        "title": form.title.data or "",
        "lead_officer": form.lead_officer.data or "",
        "year_targets": form.year_targets.data or "",
    }


@bp.route("/priorities/new", methods=["GET", "POST"])
def new_priority() -> Response | str:
    authorize(actor(), Permission.PLAN_EDIT)
    form = PriorityForm()
    if form.validate_on_submit():
        try:
            priority = plan.create_priority(actor(), **_priority_values(form))  # type: ignore[arg-type]
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Priority {priority.number} added.", "success")
            return redirect(url_for("plan.index", _anchor=f"priority-{priority.number}"))
    return render_template("plan/priority_form.html", form=form, priority=None)


@bp.route("/priorities/<int:priority_id>/edit", methods=["GET", "POST"])
def edit_priority(priority_id: int) -> Response | str:
    user = actor()
    priority = plan.get_priority(user, priority_id)
    form = PriorityForm(obj=priority if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            plan.edit_priority(user, priority_id, **_priority_values(form))  # type: ignore[arg-type]
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Priority {priority.number} saved.", "success")
            return redirect(url_for("plan.index", _anchor=f"priority-{priority.number}"))
    return render_template("plan/priority_form.html", form=form, priority=priority)


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
        kind=PlanActionKind(form.kind.data),
        action=form.action.data or "",
        outcome=form.outcome.data or "",
        project=form.project.data or "",
        target=form.target.data or "",
        lead_agency_id=form.lead_agency_id.data,
        partner_ids=form.partner_ids.data or [],
        milestones=plan.parse_milestones(form.milestones.data or ""),
        status=PlanActionStatus(form.status.data),
        improvement=form.improvement.data or "",
    )


def _form_values(plan_action: PlanAction) -> dict[str, object]:
    return {
        "priority_id": plan_action.priority_id,
        "ref": plan_action.ref,
        "kind": plan_action.kind.value,
        "action": plan_action.action,
        "outcome": plan_action.outcome,
        "project": plan_action.project,
        "target": plan_action.target,
        "milestones": plan.milestones_text(plan_action.milestones),
        "lead_agency_id": plan_action.lead_agency_id,
        "partner_ids": [agency.id for agency in plan_action.partners],
        "status": plan_action.status.value,
        "improvement": plan_action.improvement,
        "version": plan_action.version,
    }


@bp.route("/actions/new", methods=["GET", "POST"])
def new_action() -> Response | str:
    authorize(actor(), Permission.PLAN_EDIT)
    form = PlanActionForm()
    _offer_choices(form)
    if request.method == "GET":
        wanted = request.args.get("priority", "")
        form.priority_id.data = int(wanted) if wanted.isascii() and wanted.isdigit() else None
    if form.validate_on_submit():
        try:
            created = plan.create_plan_action(actor(), _details(form))
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Action {created.ref} added.", "success")
            return redirect(url_for("plan.detail", plan_action_id=created.id))
    has_priorities = len(form.priority_id.choices) > 1  # beyond "Select the priority"
    return render_template("plan/action_form.html", form=form, plan_action=None, has_priorities=has_priorities)


@bp.route("/actions/<int:plan_action_id>/edit", methods=["GET", "POST"])
def edit_action(plan_action_id: int) -> Response | str | tuple[str, int]:
    user = actor()
    plan_action = plan.get_plan_action(user, plan_action_id)
    form = EditPlanActionForm(data=_form_values(plan_action)) if request.method == "GET" else EditPlanActionForm()
    _offer_choices(form, plan_action)
    if form.validate_on_submit():
        try:
            plan.edit_plan_action(user, plan_action_id, _details(form), version=form.version.data)
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            db.session.rollback()
            current = plan.get_plan_action(user, plan_action_id)
            show_error(form, InvalidInput(EDIT_CONFLICT))
            form.version.data, form.version.raw_data = current.version, [str(current.version)]
            return render_template("plan/action_form.html", form=form, plan_action=current, conflict=True), 409
        else:
            db.session.commit()
            flash(f"Action {plan_action.ref} saved.", "success")
            return redirect(url_for("plan.detail", plan_action_id=plan_action_id))
    return render_template("plan/action_form.html", form=form, plan_action=plan_action)


@bp.route("/actions/<int:plan_action_id>/progress", methods=["GET", "POST"])
def record_progress(plan_action_id: int) -> Response | str | tuple[str, int]:
    user = actor()
    plan_action = plan.get_plan_action(user, plan_action_id)
    form = ProgressForm()
    form.quarter.choices = plan.quarter_choices(utcnow())
    if request.method == "GET":
        form.quarter.data = form.quarter.choices[0][0]  # the current quarter
        form.version.data = plan_action.version
    if form.validate_on_submit():
        try:
            plan.record_progress(
                user,
                plan_action_id,
                version=form.version.data,
                quarter=form.quarter.data,
                progress=form.progress.data or "",
                rag=Rag(form.rag.data),
                rag_reason=form.rag_reason.data or "",
                improvement=form.improvement.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            db.session.rollback()
            current = plan.get_plan_action(user, plan_action_id)
            show_error(form, InvalidInput(EDIT_CONFLICT))
            form.version.data, form.version.raw_data = current.version, [str(current.version)]
            return render_template("plan/progress.html", form=form, plan_action=current, conflict=True), 409
        else:
            db.session.commit()
            flash(f"Progress on {plan_action.ref} saved.", "success")
            return redirect(url_for("plan.detail", plan_action_id=plan_action_id))
    return render_template("plan/progress.html", form=form, plan_action=plan_action)
