"""Multi-agency actions: my agency's inbox, the partnership's overdue actions, a new
action on a subject, and an action's page, where the assigned agency updates it."""

from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from wtforms import Field

from casework.accounts.models import User
from casework.actions.forms import ANY_STATUS, LIVE, InboxFilterForm, NewActionForm, UpdateActionForm
from casework.actions.models import LIVE_STATUSES, Action, ActionStatus
from casework.actions.services import action_lists, actions
from casework.actions.services.action_lists import InboxFilter
from casework.actions.services.actions import DueDateFarAhead, DueDateInPast, SubjectKind, SubjectLabel
from casework.cases.services import lookup as cases
from casework.cases.services import pages as case_pages
from casework.clock import local_now
from casework.exceptions import NotFound
from casework.paging import page_number, whole_number
from casework.ui.bounds import date_bounds
from casework.ui.flow import AskFirst, Page, Saved, submit
from casework.ui.templating import pagination
from casework.web import actor, given_reasons, writes_on_get

bp = Blueprint("actions", __name__, template_folder="templates", url_prefix="/actions")

PER_PAGE = 25

EDIT_CONFLICT = (
    "Someone else updated this action after you opened this page. Nothing has been saved: "
    "check its current status and history below, then save your update again if it is still right."
)

# Where each kind of subject has its page. A kind whose page does not exist (yet) is
# named without a link, and a new action on it leads to the action's own page.
SUBJECT_PATHS = {
    SubjectKind.CASE: "/cases/{}",
    SubjectKind.PREMISES: "/premises/{}",
    SubjectKind.MEETING: "/meetings/{}",
    SubjectKind.PLAN: "/plan/actions/{}",
}


@bp.app_template_global("action_subject_url")
def subject_url(subject: SubjectLabel) -> str | None:
    """The subject's page, built with url_for from the route that serves that kind of
    subject, if there is one (looked up once per kind and request)."""
    routes = g.setdefault("action_subject_routes", {})
    if subject.kind not in routes:
        routes[subject.kind] = _subject_route(subject.kind)
    route = routes[subject.kind]
    if route is None:
        return None
    endpoint, argument = route
    values: dict[str, Any] = {argument: subject.text if subject.kind is SubjectKind.CASE else subject.id}
    return url_for(endpoint, **values)


def _subject_route(kind: SubjectKind) -> tuple[str, str] | None:
    sample = "ASB-2026-00001" if kind is SubjectKind.CASE else 1
    try:
        endpoint, values = current_app.url_map.bind("").match(SUBJECT_PATHS[kind].format(sample), method="GET")
    except HTTPException:
        return None
    (argument,) = values
    return endpoint, argument


def _today() -> date:
    return local_now().date()


def _page_number() -> int:
    return page_number(request.args.get("page"))


def _pagination(endpoint: str, page: int, pages: int | None, has_next: bool) -> dict[str, object] | None:
    """Parameters for govukPagination, or None for a single page: numbered when the
    number of pages is known, previous and next only otherwise."""
    last = pages if pages is not None else page + 1 if has_next else page
    if last <= 1:
        return None
    return pagination(endpoint, page, last, numbered=pages is not None)


# --- My agency's inbox ------------------------------------------------------------------


def _valid(field: Field) -> Any:
    """A filter's value, or None if it failed validation: the error is shown and the
    rest of the filters still apply."""
    return None if field.errors else field.data


def _inbox_filter(form: InboxFilterForm) -> InboxFilter:
    form.validate()
    status = _valid(form.status) or LIVE
    statuses = {LIVE: LIVE_STATUSES, ANY_STATUS: tuple(ActionStatus)}.get(status) or (ActionStatus(status),)
    dates_valid = not form.due_from.errors and not form.due_to.errors
    return InboxFilter(
        statuses=statuses,
        due_from=form.due_from.data if dates_valid else None,
        due_to=form.due_to.data if dates_valid else None,
        subject_kind=_valid(form.subject),
        assigned_to_me=bool(form.mine.data),
        page=_page_number(),
    )


@bp.get("")
def index() -> str:
    form = InboxFilterForm(request.args)
    criteria = _inbox_filter(form)
    today = _today()
    page = action_lists.inbox(actor(), criteria, today=today, per_page=PER_PAGE)
    pagination = _pagination("actions.index", page.page, page.pages, page.has_next)
    args: dict[str, Any] = request.args.to_dict(flat=False)
    first_page = url_for("actions.index", **{**args, "page": 1})
    return render_template(
        "actions/index.html", form=form, page=page, today=today, pagination=pagination, first_page=first_page
    )


# --- The partnership's overdue actions ----------------------------------------------------


@bp.get("/overdue")
def overdue() -> str:
    today = _today()
    data = action_lists.overdue(actor(), today=today, page=_page_number(), per_page=PER_PAGE)
    page = data.page
    pagination = _pagination("actions.overdue", page.page, page.pages, page.page < page.pages)
    return render_template("actions/overdue.html", data=data, page=page, today=today, pagination=pagination)


# --- A new action -----------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    number = whole_number(value)
    if number is None:
        raise NotFound(name, value)
    return number


def _subject_from_query() -> SubjectLabel:
    return actions.subject_to_act_on(
        actor(),
        case_reference=request.args.get("case"),
        premises_id=_int_arg("premises"),
        meeting_id=_int_arg("meeting"),
        plan_action_id=_int_arg("plan-action"),
    )


def _new_action_form(user: User, subject: SubjectLabel) -> NewActionForm:
    """The form with the agencies and officers the action may go to; the user's own
    agency chosen at first, if it is one of them."""
    choices = actions.assignment_choices(user, subject)
    form = NewActionForm()
    form.assigned_agency_id.choices = [("", "Select an agency")] + [(a.id, a.name) for a in choices.agencies]
    form.assignee_id.choices = [("", "Nobody in particular")] + [
        (officer.id, f"{officer.name} ({officer.agency.name})") for officer in choices.officers
    ]
    if request.method == "GET" and any(agency.id == user.agency_id for agency in choices.agencies):
        form.assigned_agency_id.data = user.agency_id
    return form


@bp.route("/new", methods=["GET", "POST"])
def new() -> Page:
    user = actor()
    bounds = date_bounds()
    subject = _subject_from_query()
    form = _new_action_form(user, subject)
    warn_past_due = False
    warn_far_ahead: str | None = None

    def create() -> Action:
        nonlocal warn_past_due, warn_far_ahead
        try:
            return actions.create_action(
                user,
                subject.subject,
                title=form.title.data or "",
                detail=form.detail.data or "",
                assigned_agency_id=form.assigned_agency_id.data,
                assignee_id=form.assignee_id.data,
                due_on=form.due_on.given,
                warn_if_due_before=None if form.past_due_date_confirmed else _today(),
                warn_if_far_ahead=not form.past_due_date_confirmed,
                bounds=bounds,
            )
        except (DueDateInPast, DueDateFarAhead) as warned:
            warn_past_due = isinstance(warned, DueDateInPast)
            warn_far_ahead = None if warn_past_due else warned.message
            form.past_due_confirmed.data = form.due_on.given.isoformat()
            raise AskFirst() from None

    return submit(
        form,
        create,
        saved=lambda action: Saved(
            f"Action created: {action.title}",
            subject_url(subject) or url_for("actions.detail", action_id=action.id),
        ),
        page=lambda: render_template(
            "actions/new.html",
            form=form,
            subject=subject,
            warn_past_due=warn_past_due,
            share_url=_share_url(subject),
            warn_far_ahead=warn_far_ahead,
        ),
        check=lambda: actions.check_action(
            user,
            subject.subject,
            title=None if form.title.errors else form.title.data or "",
            assigned_agency_id=None if form.assigned_agency_id.errors else form.assigned_agency_id.data,
            assignee_id=None if form.assignee_id.errors else form.assignee_id.data,
            due_on=None if form.due_on.errors else form.due_on.data,
            bounds=bounds,
        ),
    )


def _share_url(subject: SubjectLabel) -> str | None:
    """For an action on a case: where to share the case with an agency not yet involved,
    coming back to this form; None when the user may not share it."""
    if subject.kind is not SubjectKind.CASE or not cases.may_share(actor(), subject.text):
        return None
    return url_for("cases.add_agency", reference=subject.text, next=url_for("actions.new", case=subject.text))


# --- An action ----------------------------------------------------------------------------


def _render_action(action_id: int, form: UpdateActionForm | None = None, *, conflict: bool = False) -> str:
    data = action_lists.action_page(actor(), action_id, today=_today())
    if data.action.case_id is not None and request.method == "GET":  # the work on a case: a view of it
        case_pages.record_view(actor(), data.action.case_id, page="action", access_reasons=given_reasons())
    if form is None and data.may_update:
        form = UpdateActionForm(status=data.action.status, version=data.action.version)
    return render_template("actions/detail.html", data=data, action=data.action, form=form, conflict=conflict)


@bp.get("/<int:action_id>")
@writes_on_get  # the audit record of this view
def detail(action_id: int) -> str:
    return _render_action(action_id)


@bp.post("/<int:action_id>/update")
def update(action_id: int) -> Page:
    user = actor()
    actions.updatable_action(user, action_id)  # 404 or 403 before looking at the form
    form = UpdateActionForm()
    return submit(
        form,
        lambda: actions.update_action(
            user, action_id, version=form.version.data or 0, status=form.status.chosen, note=form.note.data or ""
        ),
        saved=lambda _action: Saved("Action updated.", url_for("actions.detail", action_id=action_id)),
        page=lambda: _render_action(action_id, form),
        # What they typed stays; the next save is against the latest version.
        current=lambda: actions.get_action(user, action_id),
        conflict_page=lambda: _render_action(action_id, form, conflict=True),
        conflict_message=EDIT_CONFLICT,
    )
