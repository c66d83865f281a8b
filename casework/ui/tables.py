"""The rows of a GOV.UK table, written in Python for `_macros/table.html`.

A row is a list of cells as govukTable takes them: ``text`` or ``html`` (markup the
template built: a ``{% set %}`` block or a macro's output; a plain string is escaped,
where govukTable would trust it), and optionally ``format`` ('numeric'), ``classes``,
``colspan``, ``rowspan`` and ``attributes`` (a dict). govukTable's macro spends tens of
microseconds on every cell, so a list of a few hundred cells cost more than the page's
queries; this writes the same markup in a few microseconds a cell. A row may also come drawn
already (``Markup`` from ``drawn_row``), for a list of thousands that builds its rows in
one pass in Python.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

_HEADER = ('<th scope="row" class="govuk-table__header', "</th>")
_CELL = ('<td class="govuk-table__cell', "</td>")
_CONTENT_ONLY = frozenset(("text", "html"))


def _cell(opening: str, closing: str, cell: Mapping[str, Any]) -> str:
    if cell.keys() <= _CONTENT_ONLY:  # most cells: a list's 25 rows have about 175
        content = cell.get("html") or cell.get("text")
        return f'{opening}">{"" if content is None else escape(content)}{closing}'
    if extra := cell.get("classes"):
        opening = f"{opening} {escape(extra)}"
    opening += '"'
    for name in ("colspan", "rowspan"):
        if cell.get(name):
            opening += f' {name}="{escape(cell[name])}"'
    for name, value in (cell.get("attributes") or {}).items():
        if value is not None:  # as govukTable's xmlattr: no value, no attribute
            opening += f' {escape(name)}="{escape(value)}"'
    # escape() leaves the template's own Markup as it is; None is no text at all.
    content = cell.get("html") or cell.get("text")
    content = "" if content is None else escape(content)
    return f"{opening}>{content}{closing}"


def table_row(cells: Iterable[Mapping[str, Any]] | Markup, first_cell_is_header: bool = False) -> Markup:
    """One <tr>: the first cell a row header (<th scope="row">) when asked, the others <td>."""
    if isinstance(cells, Markup):  # drawn already, by drawn_row
        return cells
    out = ['<tr class="govuk-table__row">']
    for index, cell in enumerate(cells):
        if index == 0 and first_cell_is_header:
            out.append(_cell(*_HEADER, cell))
        elif format_ := cell.get("format"):
            out.append(_cell(f"{_CELL[0]} govuk-table__cell--{escape(format_)}", _CELL[1], cell))
        else:
            out.append(_cell(*_CELL, cell))
    out.append("</tr>")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


def head_cells(items: Iterable[Mapping[str, Any]]) -> Markup:
    """The column headers of a <thead>'s row, each on a line of its own as the table
    macro indents them."""
    out = []
    for item in items:
        opening = '<th scope="col" class="govuk-table__header'
        if format_ := item.get("format"):
            opening += f" govuk-table__header--{escape(format_)}"
        out.append(f"\n      {_cell(opening, '</th>', item)}")
    return Markup("".join(out))  # nosec B704 - every part is a literal or went through escape()


def body_rows(rows: Iterable[Iterable[Mapping[str, Any]] | Markup], first_cell_is_header: bool = False) -> Markup:
    """The rows of a <tbody> or <tfoot>, each on a line of its own as the table macro
    indents them, empty rows left out: one call for a table, not one a row."""
    lines = [f"\n    {table_row(row, first_cell_is_header)}" for row in rows if row]
    return Markup("".join(lines))  # nosec B704 - each row is table_row's markup


def drawn_row(*texts: str | None, first_classes: str = "", last_classes: str = "") -> Markup:
    """The markup ``table_row`` writes for a row of plain text cells (none a header; None
    is no text; a text may be the template's or a widget's Markup), the first with
    ``first_classes`` and the last with ``last_classes`` if given: for long lists,
    without a dict a cell."""
    classes = ["govuk-table__cell"] * len(texts)
    if first_classes:
        classes[0] = f"govuk-table__cell {escape(first_classes)}"
    if last_classes:
        classes[-1] = f"{classes[-1]} {escape(last_classes)}"
    cells = [f'<td class="{kind}">{escape(text or "")}</td>' for kind, text in zip(classes, texts, strict=True)]
    return Markup(f'<tr class="govuk-table__row">{"".join(cells)}</tr>')  # nosec B704 - literals and escape()


def linked_row(href: str, link_text: str, *texts: str | None, first_classes: str = "") -> Markup:
    """``drawn_row`` for a row whose first cell is a GOV.UK link to ``href`` (the rows of
    a list, each linking to its record), written in one piece: the list draws it 25
    times a page, and the general path was half the row."""
    first = f"govuk-table__cell {escape(first_classes)}" if first_classes else "govuk-table__cell"
    rest = "".join([f'<td class="govuk-table__cell">{escape(text) if text else ""}</td>' for text in texts])
    return Markup(  # nosec B704 - literals and escape()
        f'<tr class="govuk-table__row"><td class="{first}">'
        f'<a class="govuk-link" href="{escape(href)}">{escape(link_text)}</a></td>{rest}</tr>'
    )
