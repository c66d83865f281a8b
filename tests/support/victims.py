"""Filling in the risk assessment and case conference forms as a user would."""

import re
from datetime import datetime
from html.parser import HTMLParser

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from casework.clock import ZONE
from casework.victims.services import riskmatrix

LONDON = ZONE
MATRIX = riskmatrix.parse(riskmatrix.packaged_default())

# Answers to the packaged matrix, by question id.
LOWEST = {question.id: question.options[0].id for question in MATRIX.questions}  # score 0, standard
MEDIUM = {**LOWEST, "frequency": "daily", "hate": "yes", "targeted": "yes"}  # 6 + 5 + 3 = 14
HIGH_SCORE = {**MEDIUM, "damage": "significant", "disability": "worsened", "isolation": "isolated"}  # 24, none critical
CRITICAL = {**LOWEST, "violence": "actual"}  # 6 points, but a critical answer


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the partnership's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def date_and_time(prefix: str, when: datetime, time_text: str | None = None) -> dict[str, object]:
    """The date boxes and time box of a form, as typed in local time."""
    shown = when.astimezone(LONDON)
    return {
        f"{prefix}_on": [str(shown.day), str(shown.month), str(shown.year)],
        f"{prefix}_time": time_text if time_text is not None else f"{shown:%H:%M}",
    }


def assessment_url(reference: str, person_id: int) -> str:
    return f"/cases/{reference}/victims/{person_id}/risk-assessments/new"


def history_url(reference: str, person_id: int) -> str:
    return f"/cases/{reference}/victims/{person_id}/risk-assessments"


def matrix_id_on_form(client: FlaskClient, reference: str, person_id: int) -> str:
    page = client.get(assessment_url(reference, person_id))
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="matrix_id" type="hidden" value="(\d+)"', page.text)
    assert match, "no matrix_id on the form"
    return match.group(1)


def assessment_data(
    matrix_id: str,
    *,
    when: datetime,
    answers: dict[str, str],
    override: str = "",
    reason: str = "",
    time_text: str | None = None,
) -> dict[str, object]:
    return {
        "matrix_id": matrix_id,
        **date_and_time("assessed", when, time_text),
        **{f"q_{question_id}": option_id for question_id, option_id in answers.items()},
        "override_level": override,
        "override_reason": reason,
    }


def assess(
    client: FlaskClient, reference: str, person_id: int, *, when: datetime, answers: dict[str, str], **extra: str
) -> TestResponse:
    """Open the form, answer it and save it."""
    matrix_id = matrix_id_on_form(client, reference, person_id)
    return client.post(
        assessment_url(reference, person_id), data=assessment_data(matrix_id, when=when, answers=answers, **extra)
    )


def hold_conference(
    client: FlaskClient,
    reference: str,
    *,
    when: datetime,
    present: list[int],
    apologies: list[int] = (),  # type: ignore[assignment]
    outcome: str = "Agreed a safety plan.",
    time_text: str | None = None,
) -> TestResponse:
    return client.post(
        f"/cases/{reference}/conferences/new",
        data={
            **date_and_time("held", when, time_text),
            "present": [str(agency_id) for agency_id in present],
            "apologies": [str(agency_id) for agency_id in apologies],
            "outcome": outcome,
        },
    )


class _Checked(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") in ("radio", "checkbox") and "checked" in attributes:
            self.values.setdefault(attributes["name"] or "", []).append(attributes["value"] or "")


def checked(html: str) -> dict[str, list[str]]:
    """The radios and checkboxes a page shows as chosen, by name."""
    parser = _Checked()
    parser.feed(html)
    return parser.values


def clocks_confirmation(html: str) -> str:
    """The token of the changes to the clocks a page asks the user to confirm."""
    found = re.search(r'name="clocks_confirmed" type="hidden" value="([0-9a-f]+)"', html)
    assert found, "the page asks nothing about the clocks"
    return found.group(1)


def error_links(html: str) -> list[str]:
    """Where the error summary's links point, in order."""
    summary = html.split('class="govuk-error-summary', 1)
    if len(summary) < 2:
        return []
    return re.findall(r'href="#([^"]+)"', summary[1].split("</ul>", 1)[0])
