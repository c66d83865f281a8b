"""The case list draws its rows in one pass; the markup is what the shared table's
``table_row`` writes for the same cells."""

from datetime import UTC, datetime
from typing import Any

import pytest
from markupsafe import escape

from casework.cases.models import CaseStatus, CaseType
from casework.cases.services.pages import CaseRow, ListedAgency, ListedCase
from casework.cases.views.cases import _table_row
from casework.ui.tables import table_row
from casework.ui.templating import local_date
from casework.ui.widgets import link, tag

CASE_URL = "/cases/"


def _case(*, restricted: bool, status: CaseStatus = CaseStatus.OPEN) -> ListedCase:
    return ListedCase(
        id=7,
        reference="CSP/2026 & <7>",
        title='Noise at "The Anchor" <b>',
        case_type=CaseType.VICTIM,
        status=status,
        town="King's Lynn",
        restricted=restricted,
        opened_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        lead_agency=ListedAgency(3, "Police & <Fire>"),
    )


def _cells(row: CaseRow) -> list[dict[str, Any]]:
    """The row as cells for the general path, as the list built them before."""
    case = row.case
    reference = {"html": link(CASE_URL + "CSP/2026%20&%20%3C7%3E", case.reference), "classes": "casework-nowrap"}
    if not row.full_view:
        shown = tag("Restricted", "red") if case.restricted else tag("Limited view", "grey")
        case_type = "" if case.restricted else case.case_type.label
        return [reference, {"html": shown}, {"text": case_type}, {"text": case.lead_agency.name}, {}, {}, {}]
    title = escape(case.title) + (" " + tag("Restricted", "red") if case.restricted else "")
    return [
        reference,
        {"html": title},
        {"text": case.case_type.label},
        {"text": case.lead_agency.name},
        {"text": case.town},
        {"html": tag(case.status.label, "green" if case.is_open else "grey")},
        {"text": local_date(case.opened_at)},
    ]


@pytest.mark.parametrize(
    "row",
    [
        CaseRow(_case(restricted=False), full_view=True),
        CaseRow(_case(restricted=True, status=CaseStatus.CLOSED), full_view=True),
        CaseRow(_case(restricted=True), full_view=False),
        CaseRow(_case(restricted=False), full_view=False),
    ],
    ids=["full", "full restricted closed", "restricted stub", "limited stub"],
)
def test_a_drawn_case_row_is_the_row_table_row_writes(row: CaseRow) -> None:
    assert _table_row(row, CASE_URL) == table_row(_cells(row))
