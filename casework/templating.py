"""Template filters and the values every page needs."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from casework.permissions import Permission
from casework.policy import can, permissions_of

# (endpoint, label, permission needed or None, endpoints that mark it as the current section)
NAVIGATION = (
    ("main.home", "My work", None, ("main.",)),
    ("cases.index", "Cases", Permission.CASE_LIST, ("cases.", "people.")),
    ("admin.audit_log", "Audit log", Permission.AUDIT_VIEW, ("admin.audit",)),
    ("admin.users_index", "Users", Permission.USER_MANAGE, ("admin.user",)),
    ("admin.agencies_index", "Agencies", Permission.AGENCY_MANAGE, ("admin.agenc",)),
)


def local_datetime(value: datetime | None) -> str:
    """'21 November 2026 at 2:05pm', in the partnership's time zone."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()
    return f"{value.day} {value:%B %Y}"


def pagination(endpoint: str, page: int, pages: int, **values: object) -> dict[str, object]:
    """Parameters for govukPagination: first, last and two either side, with ellipses."""
    args = {**request.args.to_dict(), **values}

    def href(number: int) -> str:
        return url_for(endpoint, **{**args, "page": number})

    items: list[dict[str, object]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 2:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
    }


def _navigation() -> list[dict[str, object]]:
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    return [
        {"href": url_for(target), "text": label, "active": endpoint.startswith(prefixes)}
        for target, label, permission, prefixes in NAVIGATION
        if permission is None or can(current_user, permission)
    ]


def init_app(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_global(pagination)

    @app.context_processor
    def page_values() -> dict[str, object]:
        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "navigation": _navigation(),
            "Permission": Permission,
            "permissions": permissions_of(current_user) if current_user.is_authenticated else frozenset(),
        }
