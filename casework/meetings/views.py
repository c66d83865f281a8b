"""PSG meetings: the list, scheduling, the meeting page and the chair's changes.

Every view that takes a meeting id looks the meeting up first, so a case conference's
id (or any id, for a user who may not see meetings) answers 404 before anything else.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from casework import db
from casework.accounts.models import User
from casework.clock import local_now
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition
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
from casework.meetings.services import agenda, meetings
from casework.meetings.services.meetings import FINISHED, ActionRequest, RecordedDecision
from casework.permissions import Permission
from casework.policy import authorize
from casework.ui.forms import show_error, submitted_moment
from casework.web import actor

bp = Blueprint("meetings", __name__, template_folder="templates", url_prefix="/meetings")

PAST_PER_PAGE = 20
CONFLICT = (
    "Someone else changed this meeting after you opened it. What you typed is below and has not been "
    "saved yet: check the meeting's record, then save again."
)
BUTTON_CONFLICT = (
    "Someone else changed this meeting after you opened it, so nothing was changed. "
    "Check the meeting below and try again."
)

Page = Response | str | tuple[str, int]
T = TypeVar("T")


def _detail(meeting_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("meetings.detail", meeting_id=meeting_id, _anchor=anchor))


def _running(meeting_id: int) -> tuple[User, Meeting]:
    """The chair and the meeting: 404 for no such PSG meeting, then 403 for non-chairs."""
    user = actor()
    meeting = meetings.get_meeting(user, meeting_id)
    authorize(user, Permission.MEETING_RUN)
    return user, meeting


def _keep_version(form: MeetingVersionForm, version: int) -> None:
    """After a conflict, saving again is checked against the version now shown."""
    form.version.data, form.version.raw_data = version, [str(version)]


@dataclass(frozen=True)
class Refused:
    """Why a change did not go through: the status to answer, and whether someone else
    changed the meeting first."""

    status: int
    conflict: bool = False


def _attempt(form: FlaskForm, change: Callable[[], T]) -> T | Refused:
    """Make a change; if it is refused, roll back and put the reason on the form."""
    try:
        return change()
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error)
        return Refused(400)
    except InvalidTransition as error:
        db.session.rollback()
        show_error(form, InvalidInput(error.message))
        return Refused(409)
    except EditConflict:
        db.session.rollback()
        show_error(form, InvalidInput(CONFLICT))
        return Refused(409, conflict=True)


# --- The list and scheduling ---------------------------------------------------------


@bp.get("")
def index() -> str:
    number = request.args.get("page", "1")
    listing = meetings.list_meetings(actor(), page=int(number) if number.isdigit() else 1, per_page=PAST_PER_PAGE)
    return render_template("meetings/index.html", listing=listing)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Page:
    user = actor()
    authorize(user, Permission.MEETING_RUN)
    form = ScheduleMeetingForm()
    status = 200
    if form.is_submitted():
        status = 400
        if held_at := submitted_moment(form, "held_on", "held_time"):
            try:
                meeting = meetings.schedule_meeting(user, held_at=held_at, location=form.location.data or "")
            except InvalidInput as error:
                show_error(form, error)
            else:
                db.session.commit()
                flash("Meeting scheduled. Generate its agenda from the casebook when you are ready.", "success")
                return _detail(meeting.id)
    return render_template("meetings/new.html", form=form), status


# --- The meeting page ---------------------------------------------------------------


@bp.get("/<int:meeting_id>")
def detail(meeting_id: int) -> str:
    page = meetings.meeting_page(actor(), meeting_id)
    return render_template("meetings/detail.html", page=page, meeting=page.meeting)


def _button(meeting_id: int, form: MeetingVersionForm, change: Callable[[], str | None]) -> Response:
    """A button on the meeting page: make the change, or say why not, and go back."""
    if not form.validate_on_submit():
        flash("The form was changed before it was sent. Reload the page and try again.")
        return _detail(meeting_id, "agenda")
    try:
        message = change()
    except EditConflict:
        db.session.rollback()
        flash(BUTTON_CONFLICT)
    except (InvalidInput, InvalidTransition) as error:
        db.session.rollback()
        flash(error.message)
    else:
        db.session.commit()
        if message:
            flash(message, "success")
    return _detail(meeting_id, "agenda")


@bp.post("/<int:meeting_id>/agenda/generate")
def generate_agenda(meeting_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MeetingVersionForm()

    def change() -> str:
        items = agenda.generate_agenda(user, meeting_id, version=form.version.data)
        return f"Agenda generated from the casebook: {len(items)} {'item' if len(items) == 1 else 'items'}."

    return _button(meeting_id, form, change)


@bp.post("/<int:meeting_id>/items/<int:item_id>/move")
def move_item(meeting_id: int, item_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MoveItemForm()

    def change() -> None:
        meetings.move_item(user, meeting_id, item_id, version=form.version.data, up=form.direction.data == "up")

    return _button(meeting_id, form, change)


@bp.post("/<int:meeting_id>/items/<int:item_id>/drop")
def drop_item(meeting_id: int, item_id: int) -> Response:
    user, _meeting = _running(meeting_id)
    form = MeetingVersionForm()

    def change() -> str:
        meetings.drop_item(user, meeting_id, item_id, version=form.version.data)
        return "Item taken off the agenda."

    return _button(meeting_id, form, change)


# --- Adding an item -----------------------------------------------------------------


@bp.route("/<int:meeting_id>/items/new", methods=["GET", "POST"])
def add_item(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id)
    form = AddItemForm()
    if request.method == "GET":
        _keep_version(form, meeting.version)
    status = 200
    if form.validate_on_submit():

        def change() -> None:
            meetings.add_item(
                user,
                meeting_id,
                version=form.version.data,
                case_reference=form.case_reference.data or "",
                topic=form.topic.data or "",
            )

        outcome = _attempt(form, change)
        if not isinstance(outcome, Refused):
            db.session.commit()
            flash("Item added to the agenda.", "success")
            return _detail(meeting_id, "agenda")
        status = outcome.status
        meeting = meetings.get_meeting(user, meeting_id)
        if outcome.conflict:
            _keep_version(form, meeting.version)
    elif form.is_submitted():
        status = 400
    return render_template("meetings/add_item.html", meeting=meeting, form=form), status


# --- Attendance ---------------------------------------------------------------------


@bp.route("/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, "attendance")
    meeting, agencies, recorded = meetings.attendance_agencies(user, meeting_id)
    form = attendance_form_class(agencies)()
    if request.method == "GET":
        _keep_version(form, meeting.version)
        for agency in agencies:
            form[f"agency_{agency.id}"].data = recorded[agency.id].value if agency.id in recorded else NOT_RECORDED
    status = 200
    if form.validate_on_submit():
        statuses = {
            agency.id: None if (value := form[f"agency_{agency.id}"].data) == NOT_RECORDED else AttendanceStatus(value)
            for agency in agencies
        }
        outcome = _attempt(
            form, lambda: meetings.record_attendance(user, meeting_id, version=form.version.data, statuses=statuses)
        )
        if not isinstance(outcome, Refused):
            db.session.commit()
            flash("Attendance saved.", "success")
            return _detail(meeting_id, "attendance")
        status = outcome.status
        meeting, agencies, recorded = meetings.attendance_agencies(user, meeting_id)
        if outcome.conflict:
            _keep_version(form, meeting.version)
    elif form.is_submitted():
        status = 400
    rows = [(agency, form[f"agency_{agency.id}"]) for agency in agencies if f"agency_{agency.id}" in form]
    return render_template("meetings/attendance.html", meeting=meeting, form=form, rows=rows), status


# --- Minutes and decisions ------------------------------------------------------------


@bp.route("/<int:meeting_id>/items/<int:item_id>/minutes", methods=["GET", "POST"])
def minutes(meeting_id: int, item_id: int) -> Page:
    user = actor()
    page = meetings.item_page(user, meeting_id, item_id)
    if page.meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, f"item-{item_id}")
    form = MinutesForm()
    if request.method == "GET":
        form.minutes.data = page.view.item.minutes
        _keep_version(form, page.meeting.version)
    status, conflict = 200, False
    if form.validate_on_submit():
        outcome = _attempt(
            form,
            lambda: meetings.record_minutes(
                user, meeting_id, item_id, version=form.version.data, minutes=form.minutes.data or ""
            ),
        )
        if not isinstance(outcome, Refused):
            db.session.commit()
            flash("Minutes saved.", "success")
            return _detail(meeting_id, f"item-{item_id}")
        status, conflict = outcome.status, outcome.conflict
        page = meetings.item_page(user, meeting_id, item_id)
        if conflict:
            _keep_version(form, page.meeting.version)
    elif form.is_submitted():
        status = 400
    return render_template("meetings/minutes.html", page=page, form=form, conflict=conflict), status


def _decision_form(choices: meetings.DecisionChoices) -> DecisionForm:
    form = DecisionForm()
    form.assigned_agency_id.choices = [("", "No action")] + [(agency.id, agency.name) for agency in choices.agencies]
    form.assignee_id.choices = [("", "Nobody in particular")] + [
        (officer.id, f"{officer.name}, {officer.agency.name}") for officer in choices.officers
    ]
    return form


@bp.route("/<int:meeting_id>/items/<int:item_id>/decisions/new", methods=["GET", "POST"])
def new_decision(meeting_id: int, item_id: int) -> Page:
    user = actor()
    choices = meetings.decision_choices(user, meeting_id, item_id)
    if choices.page.meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id, f"item-{item_id}")
    form = _decision_form(choices)
    if request.method == "GET":
        _keep_version(form, choices.page.meeting.version)
    status = 200
    if form.validate_on_submit():
        request_for_action = ActionRequest(
            assigned_agency_id=form.assigned_agency_id.data,
            title=form.title.data or "",
            assignee_id=form.assignee_id.data,
            due_on=form.due_on.data,
        )
        outcome = _attempt(
            form,
            lambda: meetings.record_decision(
                user,
                meeting_id,
                item_id,
                version=form.version.data,
                text=form.text.data or "",
                action=request_for_action,
            ),
        )
        if not isinstance(outcome, Refused):
            db.session.commit()
            _flash_decision(outcome)
            return _detail(meeting_id, f"item-{item_id}")
        status = outcome.status
        choices = meetings.decision_choices(user, meeting_id, item_id)
        if outcome.conflict:
            _keep_version(form, choices.page.meeting.version)
    elif form.is_submitted():
        status = 400
    return render_template("meetings/decision.html", page=choices.page, form=form), status


def _flash_decision(recorded: RecordedDecision) -> None:
    if recorded.action is None or recorded.agency is None:
        flash("Decision recorded.", "success")
        return
    flash(f"Decision recorded, with an action for {recorded.agency.name}.", "success")
    if recorded.action.due_on < local_now().date():
        flash("The action's due date has already passed, so it shows as overdue.")


# --- Finishing and amending -----------------------------------------------------------


@bp.route("/<int:meeting_id>/finish", methods=["GET", "POST"])
def finish(meeting_id: int) -> Page:
    user, meeting = _running(meeting_id)
    if meeting.locked and request.method == "GET":
        flash(FINISHED)
        return _detail(meeting_id)
    form = FinishMeetingForm()
    if request.method == "GET":
        _keep_version(form, meeting.version)
    status = 200
    if form.validate_on_submit():
        outcome = _attempt(form, lambda: meetings.finish_meeting(user, meeting_id, version=form.version.data))
        if not isinstance(outcome, Refused):
            db.session.commit()
            flash("Meeting finished. Its record is now locked: add an amendment to correct it.", "success")
            return _detail(meeting_id)
        status = outcome.status
        meeting = meetings.get_meeting(user, meeting_id)
        if outcome.conflict:
            _keep_version(form, meeting.version)
    elif form.is_submitted():
        status = 400
    return render_template("meetings/finish.html", meeting=meeting, form=form), status


@bp.route("/<int:meeting_id>/amendments/new", methods=["GET", "POST"])
def new_amendment(meeting_id: int) -> Page:
    user = actor()
    meeting, items = meetings.amendable_items(user, meeting_id)
    form = AmendmentForm()
    form.item_id.choices = [("", "The meeting as a whole")] + [
        (view.item.id, f"Item {view.number}: {view.heading}") for view in items
    ]
    status = 200
    if form.validate_on_submit():
        outcome = _attempt(
            form,
            lambda: meetings.add_amendment(user, meeting_id, item_id=form.item_id.data, text=form.text.data or ""),
        )
        if not isinstance(outcome, Refused):
            db.session.commit()
            flash("Amendment added.", "success")
            return _detail(meeting_id, "amendments")
        status = outcome.status
    elif form.is_submitted():
        status = 400
    return render_template("meetings/amendment.html", meeting=meeting, form=form), status
