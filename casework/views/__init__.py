"""Blueprints: parse the request, call one service, commit once, render or redirect."""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm

from casework.exceptions import InvalidInput
from casework.models import User


def show_error(form: FlaskForm, error: InvalidInput) -> None:
    """Put a service's refusal on the form, next to the field it concerns."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and not isinstance(field.errors, tuple):
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
    form._errors = None  # WTForms caches the error dict; rebuild it with this one


def actor() -> User:
    """The signed-in user as a model object (services want the real thing, not a proxy)."""
    from flask_login import current_user

    return current_user._get_current_object()  # type: ignore[no-any-return]


def local_path(target: str | None) -> str | None:
    """A path on this site, or None: a ``next`` address must not send anyone elsewhere
    (browsers read a backslash as a slash and drop tabs and newlines)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return None
    return target
