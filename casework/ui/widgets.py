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
label or option attributes, form-group extras) is drawn by govukSelect as before. A
plain text box and plain radios (the list's search box and its "Show" choice) are
written the same way, for the same reason.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from govuk_frontend_wtf.gov_form_base import GovFormBase
from markupsafe import Markup, escape

SELECT_TEMPLATE = "govuk_frontend_wtf/select.html"
INPUT_TEMPLATE = "govuk_frontend_wtf/input.html"
RADIOS_TEMPLATE = "govuk_frontend_wtf/radios.html"

# What a select's params may hold for it to be written here; anything else goes to govukSelect.
_SELECT_KEYS = frozenset({"id", "name", "label", "hint", "errorMessage", "classes", "attributes", "items"})
_LABEL_KEYS = frozenset({"text", "classes", "for"})
_HINT_KEYS = frozenset({"text", "classes", "id"})
_ERROR_KEYS = frozenset({"text", "classes", "id"})
_ITEM_KEYS = frozenset({"text", "value", "selected", "disabled"})
_INPUT_KEYS = frozenset({"id", "name", "label", "hint", "errorMessage", "classes", "attributes", "value", "type"})
_RADIOS_KEYS = frozenset({"name", "items", "hint", "errorMessage", "classes", "fieldset"})
_RADIO_KEYS = frozenset({"text", "value", "checked"})


def render_widget(widget: GovFormBase, params: dict[str, Any]) -> Markup:
    """A field, from its widget's template alone (or, for a plain select, from Python)."""
    written = _WRITERS[widget.template](params) if widget.template in _WRITERS else None
    if written is not None:
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


def text_input(params: Mapping[str, Any]) -> Markup | None:
    """govukInput's markup for a plain text box, or None if the params need govukInput."""
    value, attributes = params.get("value"), params.get("attributes") or {}
    if not (
        params.keys() <= _INPUT_KEYS
        and isinstance(params.get("id") or params.get("name"), str)
        and _plain(params.get("label"), _LABEL_KEYS - {"for"})
        and _plain(params.get("hint"), _HINT_KEYS - {"id"})
        and _plain(params.get("errorMessage"), _ERROR_KEYS - {"id"})
        and isinstance(params.get("classes") or "", str)
        and isinstance(params.get("type") or "", str)
        and (value is None or value is False or isinstance(value, str))
        and isinstance(attributes, Mapping)
        and all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in attributes.values())
    ):
        return None
    field_id = escape(params.get("id") or params["name"])
    error = params.get("errorMessage")
    out = [f'<div class="govuk-form-group{" govuk-form-group--error" if error else ""}">']
    out += _label_hint_error(field_id, params.get("label") or {}, params.get("hint"), error)
    classes = _classes("govuk-input", params) + (" govuk-input--error" if error else "")
    opening = (
        f'<input class="{classes}" id="{field_id}" name="{escape(params.get("name", ""))}"'
        f' type="{escape(params.get("type") or "text")}"'
    )
    if isinstance(value, str):
        opening += f' value="{escape(value)}"'
    if described_by := _described_by(field_id, params.get("hint"), error):
        opening += f' aria-describedby="{described_by}"'
    for name, item in attributes.items():
        opening += f' {escape(name)}="{escape(item)}"'
    out.append(opening + "></div>")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


def _plain_radios(params: Mapping[str, Any]) -> bool:
    fieldset = params.get("fieldset")
    return (
        params.keys() <= _RADIOS_KEYS
        and isinstance(params.get("name"), str)
        and isinstance(fieldset, Mapping)
        and fieldset.keys() <= {"legend"}
        and _plain(fieldset.get("legend"), frozenset({"text", "classes"}))
        and _plain(params.get("hint"), _HINT_KEYS - {"id"})
        and _plain(params.get("errorMessage"), _ERROR_KEYS - {"id"})
        and isinstance(params.get("classes") or "", str)
        and all(
            isinstance(item, Mapping)
            and item.keys() <= _RADIO_KEYS
            and isinstance(item.get("text", ""), str)
            and isinstance(item.get("checked", False), bool)
            and not isinstance(item.get("value"), bool)
            for item in params.get("items") or []
            if item
        )
    )


def radios(params: Mapping[str, Any]) -> Markup | None:
    """govukRadios' markup for plain radios in a fieldset, or None if the params need
    govukRadios (conditional reveals, hints or dividers on items, a page heading...)."""
    if not _plain_radios(params):
        return None
    name, error = escape(params["name"]), params.get("errorMessage")
    fieldset = '<fieldset class="govuk-fieldset"'
    if described_by := _described_by(name, params.get("hint"), error):
        fieldset += f' aria-describedby="{described_by}"'
    out = [f'<div class="govuk-form-group{" govuk-form-group--error" if error else ""}">', fieldset + ">"]
    legend = params["fieldset"].get("legend") or {}
    if legend.get("text"):
        out.append(f'<legend class="{_classes("govuk-fieldset__legend", legend)}">{escape(legend["text"])}</legend>')
    out += _label_hint_error(name, {}, params.get("hint"), error)
    out.append(f'<div class="{_classes("govuk-radios", params)}" data-module="govuk-radios">')
    for index, item in enumerate((item for item in params.get("items") or [] if item), start=1):
        item_id = name if index == 1 else f"{name}-{index}"
        checked = " checked" if item.get("checked") else ""
        out.append(
            f'<div class="govuk-radios__item"><input class="govuk-radios__input" id="{item_id}" name="{name}"'
            f' type="radio" value="{escape(item.get("value", ""))}"{checked}>'
        )
        if item.get("text"):
            out.append(f'<label class="govuk-label govuk-radios__label" for="{item_id}">{escape(item["text"])}</label>')
        out.append("</div>")
    out.append("</div></fieldset></div>")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


def _described_by(field_id: str, hint: object, error: object) -> str:
    return " ".join(part for part, shown in ((f"{field_id}-hint", hint), (f"{field_id}-error", error)) if shown)


def _label_hint_error(field_id: str, label: Mapping[str, Any], hint: Any, error: Any) -> list[str]:
    """A field's label (if it has text), hint and error message, as the GOV.UK macros write them."""
    out = []
    if label.get("text"):
        out.append(f'<label class="{_classes("govuk-label", label)}" for="{field_id}">{escape(label["text"])}</label>')
    if hint:
        text = escape(hint.get("text", ""))
        out.append(f'<div id="{field_id}-hint" class="{_classes("govuk-hint", hint)}">{text}</div>')
    if error:
        out.append(
            f'<p id="{field_id}-error" class="{_classes("govuk-error-message", error)}">'
            f'<span class="govuk-visually-hidden">Error:</span> {escape(error.get("text", ""))}</p>'
        )
    return out


def _classes(base: str, part: Mapping[str, Any]) -> str:
    return f"{base} {escape(part['classes'])}" if part.get("classes") else base


def tag(text: str, colour: str | None = None) -> Markup:
    """The markup of the ``tag`` macro (``_macros/tag.html``, govukTag's), for rows
    written in Python: a macro call on every row of a list costs more than the row."""
    modifier = f" govuk-tag--{escape(colour)}" if colour else ""
    return Markup(f'<strong class="govuk-tag{modifier}">\n  {escape(text)}\n</strong>\n')  # nosec B704 - every part went through escape()


_WRITERS = {SELECT_TEMPLATE: select, INPUT_TEMPLATE: text_input, RADIOS_TEMPLATE: radios}


def link(href: str, text: str) -> Markup:
    """A GOV.UK link, its address and text escaped."""
    return Markup(f'<a class="govuk-link" href="{escape(href)}">{escape(text)}</a>')  # nosec B704 - every part went through escape()


def service_navigation(service_url: str, navigation: Iterable[Mapping[str, Any]]) -> Markup:
    """govukServiceNavigation's markup for the service name and its links (``href``,
    ``text``, ``active``): drawn on every page, where the macro cost as much as the
    rest of the layout."""
    items = [item for item in navigation if item]
    out = [
        '<section aria-label="Service information" class="govuk-service-navigation"'
        ' data-module="govuk-service-navigation"><div class="govuk-width-container">'
        '<div class="govuk-service-navigation__container"><span class="govuk-service-navigation__service-name">'
        f'<a href="{escape(service_url)}" class="govuk-service-navigation__link">Casework</a></span>'
    ]
    if items:
        out.append('<nav aria-label="Menu" class="govuk-service-navigation__wrapper">')
        if len(items) > 1:
            out.append(
                '<button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle"'
                ' aria-controls="navigation" hidden aria-hidden="true">Menu</button>'
            )
        out.append('<ul class="govuk-service-navigation__list" id="navigation">')
        for item in items:
            text = escape(item.get("text", ""))
            if item.get("active"):
                out.append(
                    '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
                    f'<a class="govuk-service-navigation__link" href="{escape(item["href"])}" aria-current="true">'
                    f'<strong class="govuk-service-navigation__active-fallback">{text}</strong></a></li>'
                )
            else:
                out.append(
                    '<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link"'
                    f' href="{escape(item["href"])}">{text}</a></li>'
                )
        out.append("</ul></nav>")
    out.append("</div></div></section>")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


_ARROWS = {
    "prev": "m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z",
    "next": "m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z",
}


def _arrow_link(kind: str, href: str, text: str, *, beside_numbers: bool = False) -> str:
    """ "Previous" or "Next" as govukPagination draws it: on its own (a list paged by
    keyset), the arrow before a decorated title; beside page numbers, a plain title with
    the arrow before "Previous" and after "Next"."""
    arrow = (
        f'    <svg class="govuk-pagination__icon govuk-pagination__icon--{kind}" xmlns="http://www.w3.org/2000/svg"'
        ' height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">\n'
        f'        <path d="{_ARROWS[kind]}"></path>\n'
        "      </svg>\n"
    )
    decorated = "" if beside_numbers else " govuk-pagination__link-title--decorated"
    title = (
        f'      <span class="govuk-pagination__link-title{decorated}">\n'
        f'        {text}<span class="govuk-visually-hidden"> page</span>\n'
        "      </span>\n"
    )
    return (
        f'  <div class="govuk-pagination__{kind}">\n'
        f'    <a class="govuk-link govuk-pagination__link" href="{escape(href)}" rel="{kind}">\n'
        + (title + arrow if beside_numbers and kind == "next" else arrow + title)
        + "    </a>\n  </div>\n"
    )


_CURRENT_ITEM = " govuk-pagination__item--current"
_CURRENT_PAGE = ' aria-current="page"'


def _page_item(item: dict[str, Any]) -> str:
    if item.get("ellipsis"):
        return '      <li class="govuk-pagination__item govuk-pagination__item--ellipsis">\n      &ctdot;\n    </li>\n'
    current, number = item.get("current"), item["number"]
    return (
        f'      <li class="govuk-pagination__item{_CURRENT_ITEM if current else ""}">\n'
        f'      <a class="govuk-link govuk-pagination__link" href="{escape(item["href"])}"'
        f' aria-label="Page {number}"{_CURRENT_PAGE if current else ""}>\n'
        f"        {number}\n"
        "      </a>\n"
        "    </li>\n"
    )


def pagination_links(params: Mapping[str, Any]) -> Markup:
    """govukPagination's markup for the parameters of a paged list (previous, next and,
    where the pages are numbered, the page items; no custom text), written out: the
    macro imports another and calls three more for each page number, about half a
    millisecond a page (tests/ui/test_widgets.py compares the two)."""
    previous, next_ = params.get("previous"), params.get("next")
    if "items" not in params:
        return previous_next(previous["href"] if previous else None, next_["href"] if next_ else None)
    out = ['<nav class="govuk-pagination" aria-label="Pagination">\n']
    if previous:
        out.append(_arrow_link("prev", previous["href"], "Previous", beside_numbers=True))
    out.append('  <ul class="govuk-pagination__list">\n')
    out.extend(_page_item(item) for item in params["items"])
    out.append("  </ul>\n")
    if next_:
        out.append(_arrow_link("next", next_["href"], "Next", beside_numbers=True))
    out.append("</nav>\n")
    return Markup("".join(out))  # nosec B704 - literals, numbers and the escaped addresses


def previous_next(previous: str | None, next_: str | None) -> Markup:
    """govukPagination's markup for "Previous" and "Next" alone (a list paged by keyset,
    with no page numbers), given their addresses; nothing without either. The macro
    imports another and calls two more for each link: a few percent of the case list's
    CPU (tests/ui/test_widgets.py compares the two)."""
    if not (previous or next_):
        return Markup("")
    out = ['<nav class="govuk-pagination govuk-pagination--block" aria-label="Pagination">\n']
    if previous:
        out.append(_arrow_link("prev", previous, "Previous"))
    if next_:
        out.append(_arrow_link("next", next_, "Next"))
    out.append("</nav>\n")
    return Markup("".join(out))  # nosec B704 - literals and the escaped addresses
