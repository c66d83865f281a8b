"""The shared table component writes the markup govukTable writes, plus a footer."""

import re

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup

from casework import TEMPLATES
from casework.ui.tables import body_rows, drawn_row, head_cells, linked_row, table_row
from casework.ui.widgets import link

ENVIRONMENT = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.globals.update(body_rows=body_rows, head_cells=head_cells)

PARAMS = {
    "classes": "casework-example",
    "attributes": {"id": "example", "data-testid": "figures"},
    "caption": "Figures <by> agency",
    "captionClasses": "govuk-visually-hidden",
    "head": [
        {"text": "Agency"},
        {"html": Markup("<abbr>No.</abbr>"), "format": "numeric", "classes": "wide"},
        {"text": "Both", "colspan": 2},
    ],
    "rows": [
        [
            {"text": "Police & fire"},
            {"text": 0, "format": "numeric", "attributes": {"data-testid": "count-1"}},
            {"html": Markup('<a class="govuk-link" href="/x">Link</a>'), "classes": "casework-nowrap"},
            {"text": "<script>", "rowspan": 2},
        ],
        [],
        [{"text": "Council"}, {"text": 12, "format": "numeric"}, {"html": Markup("")}],
    ],
}


def render(source: str, **context: object) -> str:
    return ENVIRONMENT.from_string(source).render(**context)


def tags(html: str) -> list[str]:
    """The markup without the whitespace between tags."""
    return [part.strip() for part in re.split(r"(<[^>]+>)", html) if part.strip()]


def ours(params: dict[str, object]) -> str:
    return render('{% from "_macros/table.html" import table %}{{ table(params) }}', params=params)


def govuks(params: dict[str, object]) -> str:
    return render(
        '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}{{ govukTable(params) }}',
        params=params,
    )


def the_table(html: str) -> list[str]:
    parts = tags(html)
    start = next(index for index, part in enumerate(parts) if part.startswith("<table"))
    return parts[start : parts.index("</table>") + 1]


def test_the_markup_is_govuk_tables() -> None:
    for first_cell_is_header in (False, True):
        params = {**PARAMS, "firstCellIsHeader": first_cell_is_header}
        assert the_table(ours(params)) == tags(govuks(params))


def test_the_table_scrolls_in_a_region_named_by_its_caption() -> None:
    parts = tags(ours(PARAMS))
    assert (
        parts[0]
        == '<div class="casework-table-container" tabindex="0" role="region" aria-label="Figures &lt;by&gt; agency">'
    )
    assert parts[-1] == "</div>"
    assert parts[1:-1] == the_table(ours(PARAMS))


def test_the_region_can_have_a_name_of_its_own() -> None:
    assert 'aria-label="Assessments of Ann"' in ours({**PARAMS, "label": "Assessments of Ann"})
    uncaptioned = ours({"head": PARAMS["head"], "rows": PARAMS["rows"]})
    assert "role=" not in uncaptioned.split("<table")[0]


def test_text_is_escaped_and_html_is_not() -> None:
    html = ours(PARAMS)
    assert "Police &amp; fire" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "Figures &lt;by&gt; agency" in html
    assert '<a class="govuk-link" href="/x">Link</a>' in html
    assert ">0</td>" in html  # a zero is shown, not taken for "no text"


def test_a_footer_row_goes_in_a_tfoot_after_the_body() -> None:
    params = {
        **PARAMS,
        "firstCellIsHeader": True,
        "foot": [[{"text": "All agencies"}, {"text": 12, "format": "numeric"}, {"text": ""}]],
    }
    parts = tags(ours(params))
    assert parts.index("</tbody>") < parts.index("<tfoot>") < parts.index("</tfoot>") < parts.index("</table>")
    footer = parts[parts.index("<tfoot>") : parts.index("</tfoot>")]
    assert footer == [
        "<tfoot>",
        '<tr class="govuk-table__row">',
        '<th scope="row" class="govuk-table__header">',
        "All agencies",
        "</th>",
        '<td class="govuk-table__cell govuk-table__cell--numeric">',
        "12",
        "</td>",
        '<td class="govuk-table__cell">',
        "</td>",
        "</tr>",
    ]


def test_no_footer_no_tfoot() -> None:
    assert "tfoot" not in ours(PARAMS)


def test_html_that_is_a_plain_string_is_escaped() -> None:
    """Only markup the template built is trusted; govukTable would print the string as HTML."""
    params = {"head": [{"html": "<b>head</b>"}], "rows": [[{"html": "<img src=x onerror=alert(1)>"}]]}
    html = ours(params)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;head&lt;/b&gt;" in html


def test_a_drawn_row_is_the_row_table_row_writes_and_passes_through_it() -> None:
    texts = ("2 December 2026 at 9:30am", "Pat <Constable> & co", "", 'Said "no"\nTwice')
    cells = [{"text": text} for text in texts[:-1]] + [{"text": texts[-1], "classes": "casework-preserve-lines"}]
    drawn = drawn_row(*texts, last_classes="casework-preserve-lines")
    assert drawn == table_row(cells)
    assert drawn_row(*texts) == table_row([{"text": text} for text in texts])
    assert table_row(drawn) is drawn
    params = {**PARAMS, "rows": [drawn]}
    assert str(drawn) in ours(params)


def test_a_linked_row_is_the_drawn_row_with_a_link_first() -> None:
    texts = ("Pat <Constable> & co", Markup("<strong>tag</strong>"), "", None, 'Said "no"')
    for classes in ("", "casework-nowrap"):
        expected = drawn_row(link("/cases/A&B<1>", "A&B <1>"), *texts, first_classes=classes)
        assert linked_row("/cases/A&B<1>", "A&B <1>", *texts, first_classes=classes) == expected
