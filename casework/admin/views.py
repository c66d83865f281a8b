from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from casework import paging
from casework.accounts.models import User
from casework.accounts.services import two_factor, users
from casework.admin.forms import (
    AgencyForm,
    AuditFilterForm,
    CreateUserForm,
    EditAgencyForm,
    EditUserForm,
    SetActiveForm,
    TemporaryPasswordForm,
)
from casework.agencies import services as agencies
from casework.audit import services as audit
from casework.clock import start_of_day
from casework.exceptions import NotFound
from casework.permissions import Permission
from casework.policy import authorize, can
from casework.ui.flow import INVALID, Page, Saved, ShownOnce, press, submit
from casework.web import actor

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.before_request
def admins_only() -> None:
    """Function-level check for the whole area; each service checks again.

    A page about one record answers 404 rather than 403, so it does not confirm the
    record exists.
    """
    if request.endpoint == "admin.audit_log":
        needed = Permission.AUDIT_VIEW
    elif request.endpoint and request.endpoint.startswith("admin.agenc"):
        needed = Permission.AGENCY_MANAGE
    else:
        needed = Permission.USER_MANAGE
    if request.view_args and not can(actor(), needed):
        raise NotFound("admin record", request.path)
    authorize(actor(), needed)


def _agency_choices() -> list[tuple[object, str]]:
    return [("", "Select an agency")] + [(agency.id, agency.name) for agency in agencies.active_agencies()]


# --- Users -------------------------------------------------------------------------


@bp.get("/users")
def users_index() -> str:
    return render_template("admin/users.html", users=users.list_users(actor()))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Page:
    admin = actor()
    form = CreateUserForm()
    form.agency_id.choices = _agency_choices()
    return submit(
        form,
        lambda: users.create_user(
            admin,
            email=form.email.data or "",
            name=form.name.data or "",
            agency_id=form.agency_id.data,
            role=form.role.chosen,
            password=form.password.data or "",
        ),
        saved=lambda user: Saved(f"User {user.name} created.", url_for("admin.users_index")),
        page=lambda: render_template("admin/user_new.html", form=form),
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> Page:
    admin = actor()
    user = users.get_user(admin, user_id)
    form = EditUserForm(obj=user if request.method == "GET" else None)
    form.agency_id.choices = _agency_choices()
    return submit(
        form,
        lambda: users.update_user(
            admin,
            user_id,
            version=form.version.data or 0,
            name=form.name.data or "",
            email=form.email.data or "",
            agency_id=form.agency_id.data,
            role=form.role.chosen,
        ),
        saved=lambda _user: Saved("User details saved.", url_for("admin.users_index")),
        page=lambda: render_template(
            "admin/user_edit.html",
            user=user,
            form=form,
            active_form=SetActiveForm(version=user.version),
            temporary_form=_temporary_password_form(user),
            recovery_codes_left=two_factor.unused_recovery_codes(user),
        ),
    )


def _button(user_id: int, change: Callable[[User, int, int], str]) -> Response:
    """A button on the user's page; the form carries the version the administrator saw,
    and a refusal is shown there as an error."""
    form = SetActiveForm()
    return press(
        form,
        lambda: change(actor(), user_id, form.version.data or 0),
        back=url_for("admin.user_edit", user_id=user_id),
        refusal_category="error",
    )


def _set_active(user_id: int, *, active: bool) -> Response:
    def change(admin: User, target: int, version: int) -> str:
        user = users.set_user_active(admin, target, version=version, active=active)
        return f"{user.name} {'reactivated' if active else 'deactivated'}."

    return _button(user_id, change)


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int) -> Response:
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int) -> Response:
    return _set_active(user_id, active=True)


@bp.post("/users/<int:user_id>/sign-out-everywhere")
def user_sign_out_everywhere(user_id: int) -> Response:
    def change(admin: User, target: int, version: int) -> str:
        user = users.sign_out_everywhere(admin, target, version=version)
        return f"{user.name} has been signed out everywhere."

    return _button(user_id, change)


@bp.post("/users/<int:user_id>/reset-two-factor")
def user_reset_two_factor(user_id: int) -> Response:
    def change(admin: User, target: int, version: int) -> str:
        user = two_factor.reset(admin, target, version=version)
        return (
            f"{user.name}'s second factor has been reset. "
            "They will set up a new authenticator app when they next sign in."
        )

    return _button(user_id, change)


def _temporary_password_form(user: User | None = None) -> TemporaryPasswordForm:
    """Its fields carry a prefix, as it shares the user's page with their details. The
    version comes from the record only when the form is shown, never when it is sent."""
    if user is None:
        return TemporaryPasswordForm(prefix="temporary")
    return TemporaryPasswordForm(formdata=None, prefix="temporary", version=user.version)


@bp.route("/users/<int:user_id>/temporary-password", methods=["GET", "POST"])
def user_temporary_password(user_id: int) -> Page:
    admin = actor()
    user = users.get_user(admin, user_id)
    form = _temporary_password_form(user if request.method == "GET" else None)
    return submit(
        form,
        lambda: users.set_temporary_password(
            admin, user_id, version=form.version.data or 0, password=form.password.data or ""
        ),
        # Shown in the answer to the form: the password waits in no session, nowhere.
        saved=lambda made: ShownOnce(
            lambda: render_template("admin/temporary_password_shown.html", user=made.user, password=made.password)
        ),
        page=lambda: render_template("admin/temporary_password.html", user=user, form=form),
        current=lambda: users.get_user(admin, user_id),
    )


# --- Agencies ----------------------------------------------------------------------


@bp.get("/agencies")
def agencies_index() -> str:
    return render_template("admin/agencies.html", rows=agencies.list_agencies(actor()))


@bp.route("/agencies/new", methods=["GET", "POST"])
def agency_new() -> Page:
    admin = actor()
    form = AgencyForm()
    return submit(
        form,
        lambda: agencies.create_agency(
            admin, name=form.name.data or "", kind=form.kind.chosen, statutory=form.statutory.data
        ),
        saved=lambda agency: Saved(f"Agency {agency.name} added.", url_for("admin.agencies_index")),
        page=lambda: render_template("admin/agency_form.html", form=form, agency=None),
    )


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_edit(agency_id: int) -> Page:
    admin = actor()
    agency = agencies.get_agency(admin, agency_id)
    form = EditAgencyForm(obj=agency if request.method == "GET" else None)
    return submit(
        form,
        lambda: agencies.update_agency(
            admin,
            agency_id,
            name=form.name.data or "",
            kind=form.kind.chosen,
            statutory=form.statutory.data,
            active=form.active.data,
        ),
        saved=lambda _agency: Saved("Agency saved.", url_for("admin.agencies_index")),
        page=lambda: render_template("admin/agency_form.html", form=form, agency=agency),
    )


# --- Audit -------------------------------------------------------------------------


def _local_midnight(day: date | None) -> datetime | None:
    if day is None:
        return None
    return start_of_day(day)


def _audit_criteria(form: AuditFilterForm) -> audit.AuditFilter:
    """What a valid filter form asks for; the dates are whole days in London."""
    person = (form.person.data or "").strip()
    end = form.date_to.data
    return audit.AuditFilter(
        kind=form.kind.data or "",
        user_id=form.user.data,
        case_reference=(form.case.data or "").strip(),
        person_id=int(person) if person else None,
        date_from=_local_midnight(form.date_from.data),
        date_to=_local_midnight(end + timedelta(days=1)) if end else None,
    )


@bp.get("/audit")
def audit_log() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    form.user.choices = [("", "Any user")] + [
        (user.id, f"{user.name} ({user.email})") for user in users.all_users_for_filter(actor())
    ]
    criteria, status = audit.AuditFilter(), 200
    if request.args:
        # A filter that cannot be read is shown on its field, as any form is (400).
        if form.validate():
            criteria = _audit_criteria(form)
        else:
            status = INVALID
    older_than = paging.whole_number(request.args.get("older_than"))
    newer_than = None if older_than else paging.whole_number(request.args.get("newer_than"))
    page = audit.search_events(
        actor(),
        criteria,
        per_page=current_app.config["AUDIT_EVENTS_PER_PAGE"],
        older_than=older_than,
        newer_than=newer_than,
    )
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        events=audit.readable(page.items),
        pages=_audit_pages(page),
    ), status


def _audit_pages(page: audit.EventPage) -> dict[str, object] | None:
    """Links to the newer and the older events, keeping the filters (govukPagination)."""
    if not page.items or not (page.newer or page.older):
        return None
    args: dict[str, Any] = {
        key: values for key, values in request.args.to_dict(flat=False).items() if key not in _PAGE_ARGS
    }

    def link(text: str, **cursor: int) -> dict[str, str]:
        return {"text": text, "href": url_for("admin.audit_log", **{**args, **cursor})}

    return {
        "previous": link("Newer events", newer_than=page.items[0].id) if page.newer else None,
        "next": link("Older events", older_than=page.items[-1].id) if page.older else None,
        "landmarkLabel": "Audit log pages",
    }


_PAGE_ARGS = ("page", "older_than", "newer_than")
