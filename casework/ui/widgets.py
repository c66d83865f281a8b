"""How the GOV.UK form fields of govuk-frontend-wtf are drawn.

The library draws each field with Flask's ``render_template``, which runs every context
processor (the navigation, the permissions) again for each field, although the widget
templates read nothing but their ``params``: ``render_widget`` renders the widget's
template on its own instead. A select, the commonest field on list pages (the case
list's filter form has five, one with every agency and one with every area), is written
here in Python, as table rows are (``tables.py``): govukSelect calls a macro for the
label, the hint, the error and the attributes of every option, each importing another
macro first. The markup is the same as govukSelect's (tests/ui/test_widgets.py compares
the two); a select whose params ask for anything not written here (a page-heading label,
label or option attributes, form-group extras) is drawn by govukSelect as before.
"""

from collections.abc import Mapping
from typing import Any

from flask import current_app
from govuk_frontend_wtf.gov_form_base import GovFormBase
from markupsafe import Markup, escape

SELECT_TEMPLATE = "govuk_frontend_wtf/select.html"

# What a select's params may hold for it to be written here; anything else goes to govukSelect.
_SELECT_KEYS = frozenset({"id", "name", "label", "hint", "errorMessage", "classes", "attributes", "items"})
_LABEL_KEYS = frozenset({"text", "classes", "for"})
_HINT_KEYS = frozenset({"text", "classes", "id"})
_ERROR_KEYS = frozenset({"text", "classes", "id"})
_ITEM_KEYS = frozenset({"text", "value", "selected", "disabled"})


def render_widget(widget: GovFormBase, params: dict[str, Any]) -> Markup:
    """A field, from its widget's template alone (or, for a plain select, from Python)."""
    if widget.template == SELECT_TEMPLATE and (written := select(params)) is not None:
        return written
    template = current_app.jinja_env.get_template(widget.template)
    return Markup(template.render(params=params))  # nosec B704 - a template's output, escaped by it


def _plain(part: object, keys: frozenset[str]) -> bool:
    """A part of the params with only the keys written here, all of them text."""
    return part is None or (
        isinstance(part, Mapping) and part.keys() <= keys and all(isinstance(value, str) for value in part.values())
    )


def _writable(params: Mapping[str, Any]) -> bool:
    items = params.get("items") or []
    return (
        params.keys() <= _SELECT_KEYS
        and isinstance(params.get("id") or params.get("name"), str)
        and _plain(params.get("label"), _LABEL_KEYS)
        and _plain(params.get("hint"), _HINT_KEYS)
        and _plain(params.get("errorMessage"), _ERROR_KEYS)
        and isinstance(params.get("classes") or "", str)
        and _plain(params.get("attributes") or None, frozenset(params.get("attributes") or ()))
        and all(
            isinstance(item, Mapping)
            and item.keys() <= _ITEM_KEYS
            and isinstance(item.get("selected", False), bool)
            and isinstance(item.get("disabled", False), bool)
            and not isinstance(item.get("value"), bool)
            for item in items
            if item
        )
    )


def select(params: Mapping[str, Any]) -> Markup | None:
    """govukSelect's markup for a plain select, or None if the params need govukSelect."""
    if not _writable(params):
        return None
    field_id = escape(params.get("id") or params["name"])
    label, hint, error = params.get("label") or {}, params.get("hint"), params.get("errorMessage")
    group = "govuk-form-group govuk-form-group--error" if error else "govuk-form-group"
    out = [f'<div class="{group}">']
    if label.get("text"):
        out.append(f'<label class="{_classes("govuk-label", label)}" for="{field_id}">{escape(label["text"])}</label>')
    described_by = []
    if hint:
        described_by.append(f"{field_id}-hint")
        out.append(
            f'<div id="{field_id}-hint" class="{_classes("govuk-hint", hint)}">{escape(hint.get("text", ""))}</div>'
        )
    if error:
        described_by.append(f"{field_id}-error")
        out.append(
            f'<p id="{field_id}-error" class="{_classes("govuk-error-message", error)}">'
            f'<span class="govuk-visually-hidden">Error:</span> {escape(error.get("text", ""))}</p>'
        )
    classes = _classes("govuk-select", params) + (" govuk-select--error" if error else "")
    opening = f'<select class="{classes}" id="{field_id}" name="{escape(params.get("name", ""))}"'
    if described_by:
        opening += f' aria-describedby="{" ".join(described_by)}"'
    for name, value in (params.get("attributes") or {}).items():
        opening += f' {escape(name)}="{escape(value)}"'
    out.append(opening + ">")
    for item in params.get("items") or []:
        if item:
            flags = (" selected" if item.get("selected") else "") + (" disabled" if item.get("disabled") else "")
            value = f' value="{escape(item["value"])}"' if "value" in item else ""
            out.append(f"<option{value}{flags}>{escape(item.get('text', ''))}</option>")
    out.append("</select></div>")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


def _classes(base: str, part: Mapping[str, Any]) -> str:
    return f"{base} {escape(part['classes'])}" if part.get("classes") else base
