"""Multi-agency actions: my agency's inbox, the partnership's overdue actions, a new
action on a subject, and an action's page, where the assigned agency updates it."""

from datetime import date

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import Field

from casework import db
from casework.actions.forms import ANY_STATUS, LIVE, InboxFilterForm, NewActionForm, UpdateActionForm
from casework.actions.models import LIVE_STATUSES, ActionStatus
from casework.actions.services import action_lists, actions
from casework.actions.services.action_lists import InboxFilter
from casework.actions.services.actions import DueDateInPast, SubjectKind, SubjectLabel
from casework.clock import local_now
from casework.exceptions import EditConflict, InvalidInput, NotFound
from casework.ui.forms import show_error
from casework.web import actor

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
    return url_for(endpoint, **{argument: subject.text if subject.kind is SubjectKind.CASE else subject.id})


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
    number = request.args.get("page", "1")
    return int(number) if number.isdecimal() else 1


def _pagination(endpoint: str, page: int, pages: int | None, has_next: bool) -> dict[str, object] | None:
    """Parameters for govukPagination, or None for a single page. Links keep every filter,
    including the three boxes of a date (the same name three times in the query).
    Numbered when the number of pages is known; previous and next only otherwise."""
    args = request.args.to_dict(flat=False)

    def href(number: int) -> str:
        return url_for(endpoint, **{**args, "page": number})

    last = pages if pages is not None else page + 1 if has_next else page
    if last <= 1:
        return None
    items: list[dict[str, object]] = []
    if pages is not None:
        for number in range(1, pages + 1):
            if number in (1, pages) or abs(number - page) <= 2:
                items.append({"number": number, "href": href(number), "current": number == page})
            elif items and not items[-1].get("ellipsis"):
                items.append({"ellipsis": True})
    links: dict[str, object] = {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < last else None,
    }
    return {**links, "items": items} if items else links


# --- My agency's inbox ------------------------------------------------------------------


def _valid(field: Field) -> object:
    """A filter's value, or None if it failed validation: the error is shown and the
    rest of the filters still apply."""
    return None if field.errors else field.data


def _inbox_filter(form: InboxFilterForm) -> InboxFilter:
    form.validate()
    status = _valid(form.status) or LIVE
    statuses = {LIVE: LIVE_STATUSES, ANY_STATUS: tuple(ActionStatus)}.get(status) or (ActionStatus(status),)
    subject = _valid(form.subject)
    dates_valid = not form.due_from.errors and not form.due_to.errors
    return InboxFilter(
        statuses=statuses,
        due_from=form.due_from.data if dates_valid else None,
        due_to=form.due_to.data if dates_valid else None,
        subject_kind=SubjectKind(subject) if subject else None,
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
    first_page = url_for("actions.index", **{**request.args.to_dict(flat=False), "page": 1})
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
    if not value.isdecimal():
        raise NotFound(name, value)
    return int(value)


def _subject_from_query() -> SubjectLabel:
    return actions.subject_to_act_on(
        actor(),
        case_reference=request.args.get("case"),
        premises_id=_int_arg("premises"),
        meeting_id=_int_arg("meeting"),
        plan_action_id=_int_arg("plan-action"),
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str:
    user = actor()
    subject = _subject_from_query()
    choices = actions.assignment_choices(user, subject)
    form = NewActionForm()
    form.assigned_agency_id.choices = [("", "Select an agency")] + [(a.id, a.name) for a in choices.agencies]
    form.assignee_id.choices = [("", "Nobody in particular")] + [
        (officer.id, f"{officer.name} ({officer.agency.name})") for officer in choices.officers
    ]
    if request.method == "GET" and any(agency.id == user.agency_id for agency in choices.agencies):
        form.assigned_agency_id.data = user.agency_id
    warn_past_due = False
    if form.validate_on_submit():
        try:
            action = actions.create_action(
                user,
                subject.subject,
                title=form.title.data or "",
                detail=form.detail.data or "",
                assigned_agency_id=form.assigned_agency_id.data,
                assignee_id=form.assignee_id.data,
                due_on=form.due_on.data,
                warn_if_due_before=None if form.past_due_date_confirmed else _today(),
            )
        except DueDateInPast:
            warn_past_due = True
            form.past_due_confirmed.data = form.due_on.data.isoformat()
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Action created: {action.title}", "success")
            return redirect(subject_url(subject) or url_for("actions.detail", action_id=action.id))
    return render_template("actions/new.html", form=form, subject=subject, warn_past_due=warn_past_due)


# --- An action ----------------------------------------------------------------------------


def _render_action(
    action_id: int, form: UpdateActionForm | None = None, *, status: int = 200, conflict: bool = False
) -> tuple[str, int]:
    data = action_lists.action_page(actor(), action_id, today=_today())
    if form is None and data.may_update:
        form = UpdateActionForm(status=data.action.status.value, version=data.action.version)
    if conflict and form is not None:  # what they typed stays; the next save is against the latest version
        form.version.data, form.version.raw_data = data.action.version, [str(data.action.version)]
    return render_template("actions/detail.html", data=data, action=data.action, form=form, conflict=conflict), status


@bp.get("/<int:action_id>")
def detail(action_id: int) -> tuple[str, int]:
    return _render_action(action_id)


@bp.post("/<int:action_id>/update")
def update(action_id: int) -> Response | tuple[str, int]:
    user = actor()
    actions.updatable_action(user, action_id)  # 404 or 403 before looking at the form
    form = UpdateActionForm()
    if form.validate_on_submit():
        try:
            actions.update_action(
                user,
                action_id,
                version=form.version.data,
                status=ActionStatus(form.status.data),
                note=form.note.data or "",
            )
        except InvalidInput as error:
            show_error(form, error)
        except EditConflict:
            db.session.rollback()
            show_error(form, InvalidInput(EDIT_CONFLICT))
            return _render_action(action_id, form, status=409, conflict=True)
        else:
            db.session.commit()
            flash("Action updated.", "success")
            return redirect(url_for("actions.detail", action_id=action_id))
    return _render_action(action_id, form, status=400)
