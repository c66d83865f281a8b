"""PSG meetings: the list, scheduling, the meeting page and the chair's changes.

Every view that takes a meeting id looks the meeting up first, so a case conference's
id (or any id, for a user who may not see meetings) answers 404 before anything else.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.wrappers import Response

from casework.accounts.models import User
from casework.actions.services.actions import DueDateFarAhead
from casework.clock import local_now
from casework.meetings.forms import (
    NOT_RECORDED,
    AddItemForm,
    AmendmentForm,
    DecisionForm,
    FinishMeetingForm,
    MeetingVersionForm,
    MinutesForm,
    MoveItemForm,
    ScheduleMeetingForm,
    attendance_form_class,
)
from casework.meetings.models import AttendanceStatus, Meeting
from casework.meetings.services import agenda, commands, lookup, pages
from casework.meetings.services.commands import FINISHED, ActionRequest, RecordedDecision
from casework.paging import page_number
from casework.permissions import Permission
from casework.policy import authorize
from casework.ui.bounds import date_bounds
from casework.ui.flow import AskFirst, Page, Saved, press, submit
from casework.ui.forms import keep_version
from casework.web import actor, writes_on_get

bp = Blueprint("meetings", __name__, template_folder="templates", url_prefix="/meetings")

PAST_PER_PAGE = 20
MORE_PER_PAGE = 50
CONFLICT = (
    "Someone else changed this meeting after you opened it. What you typed is below and has not been "
    "saved yet: check the meeting's record, then save again."
)
BUTTON_CONFLICT = (
    "Someone else changed this meeting after you opened it, so nothing was changed. "
    "Check the meeting below and try again."
)


def _detail(meeting_id: int, anchor: str | None = None) -> Response:
    return redirect(_detail_url(meeting_id, anchor))


def _detail_url(meeting_id: int, anchor: str | None = None) -> str:
    return url_for("meetings.detail", meeting_id=meeting_id, _anchor=anchor)


def _running(meeting_id: int) -> tuple[User, Meeting]:
    """The chair and the meeting: 404 for no such PSG meeting, then 403 for non-chairs."""
    user = actor()
    meeting = lookup.get_meeting(user, meeting_id)
    authorize(user, Permission.MEETING_RUN)
    return user, meeting


def _version(form: MeetingVersionForm) -> int:
    return form.version.data or 0


# --- The list and scheduling ---------------------------------------------------------


@bp.get("")
def index() -> str:
    listing = pages.list_meetings(actor(), page=page_number(request.args.get("page")), per_page=PAST_PER_PAGE)
    return render_template("meetings/index.html", listing=listing)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Page:
    user = actor()
    authorize(user, Permission.MEETING_RUN)
    form = ScheduleMeetingForm()
    warning: str | None = None

    def schedule() -> Meeting:
        nonlocal warning
        try:
            return commands.schedule_meeting(
                user,
                held_at=form.when(),
                location=form.location.data or "",
                warn_if_far_ahead=not form.far_ahead_date_confirmed,
                bounds=date_bounds(),
            )
        except commands.MeetingFarAhead as warned:
            warning = warned.message
            form.far_ahead_confirmed.data = form.held_on.given.isoformat()
            raise AskFirst() from None

    return submit(
        form,
        schedule,
        saved=lambda meeting: Saved(
            "Meeting scheduled. Generate its agenda from the casebook when you are ready.", _detail_url(meeting.id)
        ),
        page=lambda: render_template("meetings/new.html", form=form, far_ahead=warning),
        check=lambda: commands.check_schedule(
            user, held_at=form.moment, location=None if form.location.errors else form.location.data or ""
        ),
    )


# --- The meeting page ---------------------------------------------------------------


@bp.get("/<int:meeting_id>")
@writes_on_get  # the audit record of this view
def detail(meeting_id: int) -> str:
    page = pages.meeting_page(actor(), meeting_id)
    pages.record_view(actor(), page.meeting)
    return render_template(
        "meetings/detail.html",
        page=page,
        meeting=page.meeting,
        section_limit=current_app.config["AGENDA_SECTION_LIMIT"],
    )


@bp.get("/<int:meeting_id>/agenda/<section>")
@writes_on_get  # the audit record of this view
def more(meeting_id: int, section: str) -> str:
    """What did not fit on the agenda in one section, as the casebook picks it now."""
    if section == "generate":  # the generate button's address, which answers only POST
        raise MethodNotAllowed(valid_methods=["POST"])
    user = actor()
    meeting, chosen, rest = agenda.more_cases(
        user, meeting_id, section, page=page_number(request.args.get("page")), per_page=MORE_PER_PAGE
    )
    agenda.record_more_view(user, meeting, chosen)
    return render_template("meetings/more.html", meeting=meeting, section=chosen, rest=rest)


@bp.post("/<int:meeting_id>/agenda/generate")
def generate_agenda(meeting_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MeetingVersionForm()

    def change() -> str:
        count = agenda.generate_agenda(
            user, meeting_id, version=_version(form), limit=current_app.config["AGENDA_SECTION_LIMIT"]
        )
        return f"Agenda generated from the casebook: {count} {'item' if count == 1 else 'items'}."

    return press(form, change, back=_detail_url(meeting_id, "agenda"), conflict_message=BUTTON_CONFLICT)


@bp.post("/<int:meeting_id>/items/<int:item_id>/move")
def move_item(meeting_id: int, item_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MoveItemForm()

    def change() -> None:
        commands.move_item(user, meeting_id, item_id, version=_version(form), up=form.direction.data == "up")

    return press(form, change, back=_detail_url(meeting_id, "agenda"), conflict_message=BUTTON_CONFLICT)


@bp.post("/<int:meeting_id>/items/<int:item_id>/drop")
def drop_item(meeting_id: int, item_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MeetingVersionForm()

    def change() -> str:
        commands.drop_item(user, meeting_id, item_id, version=_version(form))
        return "Item taken off the agenda."

    return press(form, change, back=_detail_url(meeting_id, "agenda"), conflict_message=BUTTON_CONFLICT)


# --- Adding an item -----------------------------------------------------------------


@bp.route("/<int:meeting_id>/items/new", methods=["GET", "POST"])
def add_item(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id)
    form = AddItemForm()
    if request.method == "GET":
        keep_version(form, meeting.version)
    return submit(
        form,
        lambda: commands.add_item(
            user,
            meeting_id,
            version=_version(form),
            case_reference=form.case_reference.data or "",
            topic=form.topic.data or "",
        ),
        saved=lambda _item: Saved("Item added to the agenda.", _detail_url(meeting_id, "agenda")),
        page=lambda: render_template("meetings/add_item.html", meeting=meeting, form=form),
        check=lambda: commands.check_agenda_item(
            user,
            meeting_id,
            case_reference=None if form.case_reference.errors else form.case_reference.data or "",
            topic=None if form.topic.errors else form.topic.data or "",
        ),
        current=lambda: lookup.get_meeting(user, meeting_id),
        conflict_message=CONFLICT,
    )


# --- Attendance ---------------------------------------------------------------------


@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, "attendance")
    meeting, agencies, recorded = pages.attendance_agencies(user, meeting_id)
    form = attendance_form_class(agencies)()
    if request.method == "GET":
        keep_version(form, meeting.version)
        for agency in agencies:
            form[f"agency_{agency.id}"].data = recorded[agency.id].value if agency.id in recorded else NOT_RECORDED

    def page() -> str:
        shown, agencies_now, _recorded = pages.attendance_agencies(user, meeting_id)
        rows = [(agency, form[f"agency_{agency.id}"]) for agency in agencies_now if f"agency_{agency.id}" in form]
        return render_template("meetings/attendance.html", meeting=shown, form=form, rows=rows)

    def record() -> None:
        statuses = {
            agency.id: None if (value := form[f"agency_{agency.id}"].data) == NOT_RECORDED else AttendanceStatus(value)
            for agency in agencies
        }
        commands.record_attendance(user, meeting_id, version=_version(form), statuses=statuses)

    return submit(
        form,
        record,
        saved=lambda _none: Saved("Attendance saved.", _detail_url(meeting_id, "attendance")),
        page=page,
        current=lambda: lookup.get_meeting(user, meeting_id),
        conflict_message=CONFLICT,
    )


# --- Minutes and decisions ------------------------------------------------------------


@bp.route("/<int:meeting_id>/items/<int:item_id>/minutes", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def minutes(meeting_id: int, item_id: int) -> Page:
    user = actor()
    page = pages.item_page(user, meeting_id, item_id)
    if page.meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, f"item-{item_id}")
    form = MinutesForm()
    if request.method == "GET":
        form.minutes.data = page.view.item.minutes
        keep_version(form, page.meeting.version)
        pages.record_view(user, page.meeting, page.view.item)

    def shown(conflict: bool = False) -> str:
        now = pages.item_page(user, meeting_id, item_id)
        return render_template("meetings/minutes.html", page=now, form=form, conflict=conflict)

    return submit(
        form,
        lambda: commands.record_minutes(
            user, meeting_id, item_id, version=_version(form), minutes=form.minutes.data or ""
        ),
        saved=lambda item: Saved(
            "Minutes saved." if item.minutes else "Minutes cleared.", _detail_url(meeting_id, f"item-{item_id}")
        ),
        page=shown,
        current=lambda: lookup.get_meeting(user, meeting_id),
        conflict_page=lambda: shown(conflict=True),
        conflict_message=CONFLICT,
    )


def _decision_form(choices: pages.DecisionChoices) -> DecisionForm:
    form = DecisionForm()
    form.assigned_agency_id.choices = [("", "No action")] + [(agency.id, agency.name) for agency in choices.agencies]
    form.assignee_id.choices = [("", "Nobody in particular")] + [
        (officer.id, f"{officer.name}, {officer.agency.name}") for officer in choices.officers
    ]
    return form


@bp.route("/<int:meeting_id>/items/<int:item_id>/decisions/new", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def new_decision(meeting_id: int, item_id: int) -> Page:
    user = actor()
    choices = pages.decision_choices(user, meeting_id, item_id)
    if choices.page.meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, f"item-{item_id}")
    form = _decision_form(choices)
    if request.method == "GET":
        keep_version(form, choices.page.meeting.version)
        pages.record_view(user, choices.page.meeting, choices.page.view.item)

    warning: str | None = None

    def record() -> RecordedDecision:
        nonlocal warning
        try:
            return _record_decision(user, meeting_id, item_id, form)
        except DueDateFarAhead as warned:
            warning = warned.message
            form.far_ahead_confirmed.data = form.due_on.given.isoformat()
            raise AskFirst() from None

    return submit(
        form,
        record,
        saved=lambda recorded: _decision_saved(recorded, _detail_url(meeting_id, f"item-{item_id}")),
        page=lambda: _decision_page(pages.decision_choices(user, meeting_id, item_id), form, warning),
        current=lambda: lookup.get_meeting(user, meeting_id),
        conflict_message=CONFLICT,
    )


def _record_decision(user: User, meeting_id: int, item_id: int, form: DecisionForm) -> RecordedDecision:
    return commands.record_decision(
        user,
        meeting_id,
        item_id,
        version=_version(form),
        text=form.text.data or "",
        action=ActionRequest(
            assigned_agency_id=form.assigned_agency_id.data,
            title=form.title.data or "",
            assignee_id=form.assignee_id.data,
            due_on=form.due_on.data,
        ),
        warn_if_far_ahead=not form.far_ahead_date_confirmed,
        bounds=date_bounds(),
    )


def _decision_page(choices: pages.DecisionChoices, form: DecisionForm, far_ahead: str | None = None) -> str:
    view = choices.page.view
    share_url = None
    if choices.may_share and view.case is not None:
        here = url_for("meetings.new_decision", meeting_id=choices.page.meeting.id, item_id=view.item.id)
        share_url = url_for("cases.add_agency", reference=view.case.reference, next=here)
    shown = {"page": choices.page, "form": form, "share_url": share_url, "far_ahead": far_ahead}
    return render_template("meetings/decision.html", **shown)


def _decision_saved(recorded: RecordedDecision, back: str) -> Saved:
    if recorded.action is None or recorded.agency is None:
        return Saved("Decision recorded.", back)
    overdue = recorded.action.due_on < local_now().date()
    return Saved(
        f"Decision recorded, with an action for {recorded.agency.name}.",
        back,
        notice="The action's due date has already passed, so it shows as overdue." if overdue else None,
    )


# --- Finishing and amending -----------------------------------------------------------


@bp.route("/<int:meeting_id>/finish", methods=["GET", "POST"])
def finish(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id)
    form = FinishMeetingForm()
    if request.method == "GET":
        keep_version(form, meeting.version)
    return submit(
        form,
        lambda: commands.finish_meeting(user, meeting_id, version=_version(form)),
        saved=lambda _meeting: Saved(
            "Meeting finished. Its record is now locked: add an amendment to correct it.", _detail_url(meeting_id)
        ),
        page=lambda: render_template("meetings/finish.html", meeting=meeting, form=form),
        current=lambda: lookup.get_meeting(user, meeting_id),
        conflict_message=CONFLICT,
    )


@bp.route("/<int:meeting_id>/amendments/new", methods=["GET", "POST"])
def new_amendment(meeting_id: int) -> Page:
    user = actor()
    meeting, items = pages.amendable_items(user, meeting_id)
    form = AmendmentForm()
    form.item_id.choices = [("", "The meeting as a whole")] + [
        (view.item.id, f"Item {view.number}: {view.heading}") for view in items
    ]
    return submit(
        form,
        lambda: commands.add_amendment(user, meeting_id, item_id=form.item_id.data, text=form.text.data or ""),
        saved=lambda _amendment: Saved("Amendment added.", _detail_url(meeting_id, "amendments")),
        page=lambda: render_template("meetings/amendment.html", meeting=meeting, form=form),
    )
