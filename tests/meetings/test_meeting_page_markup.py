"""The meeting page draws an agenda of a hundred items without the cost of the GOV.UK
summary list macro for each: ``facts`` in meetings/_item.html writes its markup, and
must give what the library's macro gives (the same elements, attributes and text)."""

import pytest
from flask import Flask

from tests.ui.test_widgets import structure

ROWS = [
    [("Case type", "Victim"), ("Lead agency", "O'Brien & <Sons> Housing")],
    [("Case type", "Victim"), None, ("Lead agency", "Fenland District Council")],
    [("About", "Not recorded")],
]


@pytest.mark.parametrize("rows", ROWS)
def test_facts_writes_the_govuk_summary_list_markup(app: Flask, rows) -> None:
    with app.test_request_context():
        environment = app.jinja_env
        ours = environment.from_string('{% from "meetings/_item.html" import facts %}{{ facts(rows) }}')
        theirs = environment.from_string(
            '{% from "govuk_frontend_jinja/components/summary-list/macro.html" import govukSummaryList %}'
            "{{ govukSummaryList({'classes': 'govuk-summary-list--no-border', 'rows': rows}) }}"
        )
        given = [{"key": {"text": key}, "value": {"text": value}} for key, value in filter(None, rows)]
        assert structure(ours.render(rows=rows)) == structure(theirs.render(rows=given))
