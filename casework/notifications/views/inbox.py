"""/notifications: what the signed-in user has been told, newest first."""

from datetime import datetime

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from casework.clock import local
from casework.notifications import inbox
from casework.notifications.forms import MarkAllReadForm
from casework.notifications.wording import SUBJECTS
from casework.paging import page_number
from casework.ui.flow import press
from casework.ui.templating import local_date, local_datetime
from casework.web import actor

bp = Blueprint("notifications_inbox", __name__, template_folder="../templates")

PER_PAGE = 25


def due_text(due_at: datetime | None) -> str:
    """An action is due on a day (stored as the start of that day): its date alone; a
    clock or a meeting at its time."""
    if due_at is None:
        return ""
    moment = local(due_at)
    if (moment.hour, moment.minute) == (0, 0):
        return local_date(due_at)
    return local_datetime(due_at)


@bp.get("/notifications")
def index() -> str:
    user = actor()
    page = inbox.notifications_page(user, page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template(
        "notifications_inbox/index.html", page=page, form=MarkAllReadForm(), subjects=SUBJECTS, due_text=due_text
    )


@bp.post("/notifications/read")
def mark_all_read() -> Response:
    user = actor()

    def change() -> str:
        marked = inbox.mark_all_read(user)
        return "All notifications marked as read." if marked else "You have no unread notifications."

    return press(MarkAllReadForm(), change, back=url_for("notifications_inbox.index"))
