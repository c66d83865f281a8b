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
    # A page starts after or before the row at the edge of the page the link was on; an
    # old link with ?page= shows the first page.
    after = paging.whole_number(request.args.get("after"))
    before = None if after else paging.whole_number(request.args.get("before"))
    page = queue.waiting(admin, per_page=current_app.config["NOTIFICATIONS_PER_PAGE"], after=after, before=before)
    counts = queue.counts(admin)
    return render_template(
        "notifications_admin/index.html",
        counts=counts,
        limit=queue.COUNT_LIMIT,
        waiting=sum(counts[status] for status in queue.WAITING),
        page=page,
        pages=_pages(page),
        subjects=SUBJECTS,
        failed=NotificationStatus.FAILED,
        form=RetryForm(),
    )


def _pages(page: queue.WaitingPage) -> dict[str, object] | None:
    """Links to the pages either side (govukPagination)."""
    if page.previous is None and page.next is None:
        return None
    return {
        "previous": {"href": url_for(".index", before=page.previous)} if page.previous else None,
        "next": {"href": url_for(".index", after=page.next)} if page.next else None,
        "landmarkLabel": "Failed and pending notifications, pages",
    }


@bp.post("/<int:notification_id>/retry")
def retry(notification_id: int) -> Response:
    def again() -> str:
        queue.retry(actor(), notification_id)
        return "The notification will be sent again at the next pass of the sender."

    return press(RetryForm(), again, back=url_for("notifications_admin.index"))
