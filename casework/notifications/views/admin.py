"""/admin/notifications: the outbox for administrators, and the retry button."""

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from casework import paging
from casework.exceptions import NotFound
from casework.notifications import queue
from casework.notifications.forms import RetryForm
from casework.notifications.models import NotificationStatus
from casework.notifications.wording import SUBJECTS
from casework.permissions import Permission
from casework.policy import can
from casework.ui.flow import press
from casework.web import actor

bp = Blueprint("notifications_admin", __name__, template_folder="../templates", url_prefix="/admin/notifications")


@bp.before_request
def administrators_only() -> None:
    """A page about one notification answers 404 to anyone else, as the admin pages do."""
    if request.view_args and not can(actor(), Permission.NOTIFICATION_MANAGE):
        raise NotFound("notification", request.path)


@bp.get("")
def index() -> str:
    admin = actor()
    page = queue.waiting(
        admin,
        page=paging.page_number(request.args.get("page")),
        per_page=current_app.config["NOTIFICATIONS_PER_PAGE"],
    )
    return render_template(
        "notifications_admin/index.html",
        counts=queue.counts(admin),
        page=page,
        subjects=SUBJECTS,
        failed=NotificationStatus.FAILED,
        form=RetryForm(),
    )


@bp.post("/<int:notification_id>/retry")
def retry(notification_id: int) -> Response:
    def again() -> str:
        queue.retry(actor(), notification_id)
        return "The notification will be sent again at the next pass of the sender."

    return press(RetryForm(), again, back=url_for("notifications_admin.index"))
