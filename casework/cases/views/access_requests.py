"""The queue of requests for access to cases (/access-requests): the lead agency's PSG
chairs and the community safety managers grant or decline them."""

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from casework.cases.forms import DeclineAccessForm, GrantAccessForm
from casework.cases.models import ACCESS_DECLINE_REASON_MAX
from casework.cases.services import access_requests, commands
from casework.paging import page_number
from casework.ui.flow import Page, Saved, press, submit
from casework.web import actor, writes_on_get

bp = Blueprint("access_requests", __name__, template_folder="../templates", url_prefix="/access-requests")


@bp.get("")
@writes_on_get  # the audit record of the reasons shown
def index() -> str:
    user = actor()
    per_page = current_app.config["ACCESS_REQUESTS_PER_PAGE"]
    page = access_requests.queue(user, page=page_number(request.args.get("page")), per_page=per_page)
    access_requests.record_queue_view(user, page.items)
    return render_template("access_requests/index.html", page=page)


@bp.post("/<int:request_id>/grant")
def grant(request_id: int) -> Response:
    user = actor()
    access_requests.decidable(user, request_id)  # 404 before looking at the form

    def change() -> str:
        granted = commands.grant_access(user, request_id)
        return f"Access granted: {granted.agency.name} can now see {granted.case.reference}."

    return press(GrantAccessForm(), change, back=url_for("access_requests.index"))


@bp.route("/<int:request_id>/decline", methods=["GET", "POST"])
@writes_on_get  # the audit record of the request's reason shown
def decline(request_id: int) -> Page:
    user = actor()
    asked = access_requests.decidable(user, request_id)
    form = DeclineAccessForm()
    if request.method == "GET":
        access_requests.record_request_view(user, asked)
    return submit(
        form,
        lambda: access_requests.decline(user, request_id, reason=form.reason.data or ""),
        saved=lambda declined: Saved(
            f"Request declined. {declined.user.name} will be told.", url_for("access_requests.index")
        ),
        page=lambda: render_template(
            "access_requests/decline.html", asked=asked, form=form, reason_max=ACCESS_DECLINE_REASON_MAX
        ),
        check=lambda: access_requests.check_decline(None if form.reason.errors else form.reason.data or ""),
    )
