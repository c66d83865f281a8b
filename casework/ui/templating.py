"""Template filters and the values every page needs."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import jinja2
from flask import Flask, g, request, session, url_for
from flask_login import current_user
from govuk_frontend_wtf.gov_form_base import GovFormBase
from markupsafe import Markup

from casework.audit import services as audit
from casework.clock import ZONE, utcnow
from casework.notifications import inbox
from casework.permissions import Permission
from casework.policy import can, permissions_of
from casework.session_store import unread_notifications_read_with
from casework.ui import widgets
from casework.ui.tables import body_rows, head_cells
from casework.ui.widgets import render_widget, service_navigation
from casework.victims.models import ClockStatus, SlaClock
from casework.victims.services import sla

# (endpoint, label, permission needed or None, endpoints that mark it as the current section)
NAVIGATION = (
    ("main.home", "My work", None, ("main.",)),
    ("cases.index", "Cases", Permission.CASE_LIST, ("cases.", "people.", "access_requests.")),
    ("actions.index", "Actions", Permission.ACTION_INBOX, ("actions.",)),
    ("meetings.index", "Meetings", Permission.MEETING_VIEW, ("meetings.",)),
    ("referrals.index", "Referrals", Permission.REFERRAL_MAKE, ("referrals.",)),
    ("sla.index", "SLA", Permission.SLA_VIEW_FIGURES, ("sla.",)),
    ("premises.index", "Premises", Permission.PREMISES_VIEW, ("premises.",)),
    ("tls_report.index", "TLS report", Permission.PREMISES_REPORT, ("tls_report.",)),
    ("plan.index", "Plan", Permission.PLAN_VIEW, ("plan.",)),
)

# The administrators' pages share one "Admin" link, to the first of them the user may
# open, and link each other from a sub-navigation (admin/_navigation.html): with a link
# each, an administrator's navigation did not fit on one row at 1280 px. Someone who
# may open only one of them (a manager: the audit log) sees that page's own name.
ADMIN_PAGES = (
    ("admin.users_index", "Users", Permission.USER_MANAGE, ("admin.user",)),
    ("admin.agencies_index", "Agencies", Permission.AGENCY_MANAGE, ("admin.agenc",)),
    ("admin.audit_log", "Audit log", Permission.AUDIT_VIEW, ("admin.audit",)),
    ("notifications_admin.index", "Notifications", Permission.NOTIFICATION_MANAGE, ("notifications_admin.",)),
)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip


def local_datetime(value: datetime | None) -> str:
    """'21 November 2026 at 2:05pm', in the partnership's time zone. Written out rather
    than through strftime: a long list (the subject access export's audit trail) calls
    this thousands of times a page."""
    if value is None:
        return ""
    local = value.astimezone(ZONE)
    hour = local.hour
    clock = f"{hour % 12 or 12}:{local.minute:02d}{'pm' if hour >= 12 else 'am'}"
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} at {clock}"


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZONE).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"  # not strftime: a list calls this per row


def _amount(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def countdown(due_at: datetime, now: datetime | None = None) -> str:
    """'due in 14 hours', 'due in 2 days', 'overdue by 3 hours', from now.

    Minutes under an hour, hours under two days, days after that, each to the nearest.
    """
    remaining = due_at - (now or utcnow())
    minutes = round(abs(remaining) / timedelta(minutes=1))
    if minutes == 0:
        return "due now"
    if minutes < 60:
        amount = _amount(minutes, "minute")
    elif minutes < 48 * 60:
        amount = _amount(round(minutes / 60), "hour")
    else:
        amount = _amount(round(minutes / (24 * 60)), "day")
    return f"due in {amount}" if remaining > timedelta(0) else f"overdue by {amount}"


def clock_status(clock: SlaClock, now: datetime | None = None) -> ClockStatus:
    """What a clock's status is now: an open clock is pending, due soon or overdue."""
    return sla.status_at(clock, now or utcnow())


def pagination(
    endpoint: str, page: int, pages: int, values: Mapping[str, object] | None = None, *, numbered: bool = True
) -> dict[str, object]:
    """Parameters for govukPagination: first, last and two either side, with ellipses;
    previous and next only when not ``numbered`` (a list that does not count its pages)."""
    # Every value of a repeated parameter: a GOV.UK date input sends day, month and year
    # under one name.
    args: dict[str, Any] = {**request.args.to_dict(flat=False), **(values or {})}

    def href(number: int) -> str:
        return url_for(endpoint, **{**args, "page": number})

    links: dict[str, object] = {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
    }
    if not numbered:
        return links
    items: list[dict[str, object]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 2:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {"items": items, **links}


def page_links(endpoint: str, page: int, pages: int, **values: object) -> Markup:
    """The numbered links to the pages of a list, as govukPagination draws them."""
    return widgets.pagination_links(pagination(endpoint, page, pages, values))


def _links(entries: tuple[tuple[str, str, Permission | None, tuple[str, ...]], ...]) -> list[dict[str, object]]:
    endpoint = request.endpoint or ""
    return [
        {"href": url_for(target), "text": label, "active": endpoint.startswith(prefixes)}
        for target, label, permission, prefixes in entries
        if permission is None or can(current_user, permission)
    ]


def admin_pages() -> list[dict[str, object]]:
    """The administrators' pages the signed-in user may open, for their sub-navigation."""
    return _links(ADMIN_PAGES) if current_user.is_authenticated else []


def unread_notifications() -> int:
    """The signed-in user's unread notifications, for the header, counted up to one more
    than inbox.UNREAD_SHOWN_AT_MOST. Counted in the statement that reads the session and
    its user, so most pages send no query for it; otherwise (the request that signs in)
    one, once."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        user = current_user._get_current_object()
        counted = unread_notifications_read_with(session, user)
        g.unread_notifications = inbox.unread_count(user) if counted is None else counted
    count: int = g.unread_notifications
    return count


# The navigation by where it is drawn (the app's root, the page's endpoint) and what
# the user may open: the same few dozen lists serve every page, instead of a url_for
# and a permission check per link on each. Bounded by the endpoints and the roles.
_NAVIGATIONS: dict[tuple[str, str, frozenset[Permission]], list[dict[str, object]]] = {}


def _navigation() -> list[dict[str, object]]:
    if not current_user.is_authenticated:
        return []
    key = (request.script_root, request.endpoint or "", permissions_of(current_user))
    if (kept := _NAVIGATIONS.get(key)) is None:
        kept = _NAVIGATIONS[key] = _navigation_links()
    return kept


def _navigation_links() -> list[dict[str, object]]:
    links = _links(NAVIGATION)
    admin = admin_pages()
    if len(admin) > 1:
        links.append({"href": admin[0]["href"], "text": "Admin", "active": any(page["active"] for page in admin)})
    else:
        links.extend(admin)
    return links


class Template(jinja2.Template):
    """Jinja's template, with the check that every ``{% import %}`` and ``{% from ...
    import %}`` makes at each render done as one set operation.

    An imported template gets a module of its own when the importing template has
    globals the imported one lacks. Jinja finds them as ``set - ChainMap.keys()``,
    which looks every global up in each map of the chain in Python: about 20 globals
    times the 13 imports of a list page, 4 percent of the case list's CPU
    (docs/performance.md, "Sixth round: throughput of the case list"). The same keys
    come from ``set.difference`` over the chain's keys, in C."""

    def _get_default_module(self, ctx: jinja2.runtime.Context | None = None) -> jinja2.environment.TemplateModule:
        if ctx is None or self.environment.is_async:
            return super()._get_default_module(ctx)
        if keys := ctx.globals_keys.difference(self.globals):
            return self.make_module({key: ctx.parent[key] for key in keys})
        return super()._get_default_module()  # the module kept for every import


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = Template  # before any template is loaded
    GovFormBase.render = render_widget  # see casework/ui/widgets.py
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(countdown)
    app.add_template_filter(clock_status)
    app.add_template_filter(audit.verb_label, "audit_verb")
    app.add_template_global(page_links)
    app.add_template_global(widgets.pagination_links)
    app.add_template_global(body_rows)
    app.add_template_global(head_cells)
    app.add_template_global(service_navigation)
    app.add_template_global(admin_pages)
    app.add_template_global(unread_notifications)
    app.jinja_env.globals["unread_shown_at_most"] = inbox.UNREAD_SHOWN_AT_MOST

    @app.context_processor
    def page_values() -> dict[str, object]:
        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "navigation": _navigation(),
            "Permission": Permission,
            "permissions": permissions_of(current_user) if current_user.is_authenticated else frozenset(),
        }
