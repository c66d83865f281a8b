"""Victims' risk, case conferences and taking people off a case."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask import Blueprint, render_template, request, url_for

from casework.cases.services import pages as case_pages
from casework.meetings.models import Meeting
from casework.people import services as people
from casework.ui.bounds import date_bounds
from casework.ui.flow import AskFirst, Page, Saved, submit
from casework.ui.forms import fill_with_now
from casework.victims.forms.conferences import RecordConferenceForm, RemovePartyForm
from casework.victims.forms.risk import RiskAssessmentForm, assessment_form_class
from casework.victims.models import RiskAssessment, RiskLevel
from casework.victims.services import backdating, conferences, risk
from casework.victims.services.risk import ScoredAssessment
from casework.web import actor, given_reasons, writes_on_get

bp = Blueprint("victims", __name__, template_folder="../templates")


T = TypeVar("T")


def _asking_first(
    form: RiskAssessmentForm | RecordConferenceForm, changes: list[str], command: Callable[[str], T]
) -> T:
    """Run ``command`` with the confirmation the form carries. An entry that would
    change clocks already recorded shows the page again with what would change (into
    ``changes``) and the token to confirm it, and nothing is written."""
    try:
        return command(form.clocks_confirmed.data or "")
    except backdating.ClocksWillChange as asked:
        changes[:] = asked.changes
        form.clocks_confirmed.data = asked.token
        raise AskFirst() from None


# --- Risk assessment -----------------------------------------------------------------


@bp.route("/cases/<reference>/victims/<int:person_id>/risk-assessments/new", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view; the first use of the risk matrix stores it
def assess(reference: str, person_id: int) -> Page:
    user = actor()
    bounds = date_bounds()
    setup = risk.assessment_form(user, reference, person_id)
    form: RiskAssessmentForm = assessment_form_class(setup.parsed)()
    if request.method == "GET":
        fill_with_now(form, "assessed_on", "assessed_time")
        form.matrix_id.data = setup.matrix.id
        case_pages.record_view(
            user, setup.case, page="risk assessment", person_id=setup.person.id, access_reasons=given_reasons()
        )
    changes: list[str] = []

    def record(confirmed: str) -> RiskAssessment:
        return risk.record_assessment(
            user,
            reference,
            person_id,
            matrix_id=form.matrix_id.data or 0,
            answers=form.answers(),
            assessed_at=form.when(),
            override_level=form.override(),
            override_reason=form.override_reason.data or "",
            bounds=bounds,
            confirmed=confirmed,
        )

    def page() -> str:
        if form.errors:
            # Sent again, the form is checked against the matrix it now shows.
            form.matrix_id.data, form.matrix_id.raw_data = setup.matrix.id, [str(setup.matrix.id)]
        shown = dict(case=setup.case, person=setup.person, matrix=setup.parsed, form=form, changes=changes)
        return render_template("victims/assess.html", **shown)

    def saved(assessment: RiskAssessment) -> Saved:
        raised = ", raised on professional judgement" if assessment.override_level else ""
        return Saved(
            f"Risk assessed: {assessment.level.value} (score {assessment.score}{raised})",
            url_for("victims.history", reference=setup.case.reference, person_id=setup.person.id),
        )

    return submit(
        form,
        lambda: _asking_first(form, changes, record),
        saved=saved,
        page=page,
        check=lambda: risk.check_assessment(
            user,
            reference,
            person_id,
            matrix_id=form.matrix_id.data,
            answers={key: value for key, value in form.answers().items() if value},
            assessed_at=form.moment,
            override_level=None if form.override_level.errors else form.override(),
            override_reason=None if form.override_reason.errors else form.override_reason.data or "",
            bounds=bounds,
        ),
    )


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    level: RiskLevel
    at: datetime


@dataclass(frozen=True)
class LevelChart:
    width: int
    height: int
    left: int
    points: list[ChartPoint]
    path: str
    rows: dict[RiskLevel, float]


def _level_chart(scored: list[ScoredAssessment]) -> LevelChart | None:
    """A step chart of the final level over time, oldest on the left."""
    width, height, left, right, top, bottom = 640, 170, 90, 20, 20, 45
    rows = {level: top + (height - top - bottom) * (2 - level.rank) / 2 for level in RiskLevel}
    history = [item.assessment for item in reversed(scored)]
    if not history:
        return None
    first, last = history[0].assessed_at, history[-1].assessed_at
    span = (last - first).total_seconds()
    usable = width - left - right

    def x(at: datetime) -> float:
        return left + (usable * (at - first).total_seconds() / span if span else usable / 2)

    points = [ChartPoint(round(x(a.assessed_at), 1), rows[a.level], a.level, a.assessed_at) for a in history]
    path = f"M {points[0].x} {points[0].y}"
    for point in points[1:]:
        path += f" H {point.x} V {point.y}"
    path += f" H {width - right}"
    return LevelChart(width, height, left, points, path, rows)


@bp.get("/cases/<reference>/victims/<int:person_id>/risk-assessments")
@writes_on_get  # the audit record of this view
def history(reference: str, person_id: int) -> str:
    case, person, scored = risk.history(actor(), reference, person_id, access_reasons=given_reasons())
    return render_template(
        "victims/history.html",
        case=case,
        person=person,
        latest=scored[0] if scored else None,
        earlier=scored[1:],
        scored=scored,
        chart=_level_chart(scored),
    )


# --- Case conferences ----------------------------------------------------------------


@bp.route("/cases/<reference>/conferences/new", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def record_conference(reference: str) -> Page:
    user = actor()
    bounds = date_bounds()
    case, agencies = conferences.attendance_choices(user, reference)
    form = RecordConferenceForm()
    form.present.choices = form.apologies.choices = [(agency.id, agency.name) for agency in agencies]
    if request.method == "GET":
        fill_with_now(form, "held_on", "held_time")
        case_pages.record_view(user, case, page="case conference", access_reasons=given_reasons())
    changes: list[str] = []

    def record(confirmed: str) -> Meeting:
        return conferences.record_conference(
            user,
            reference,
            held_at=form.when(),
            present=form.present.data or [],
            apologies=form.apologies.data or [],
            outcome=form.outcome.data or "",
            bounds=bounds,
            confirmed=confirmed,
        )

    return submit(
        form,
        lambda: _asking_first(form, changes, record),
        saved=lambda _conference: Saved(
            "Case conference recorded.", url_for("cases.detail", reference=case.reference, _anchor="conferences")
        ),
        page=lambda: render_template("victims/conference.html", case=case, form=form, changes=changes),
        check=lambda: conferences.check_conference(
            user,
            reference,
            held_at=form.moment,
            present=None if form.present.errors else form.present.data or [],
            apologies=None if form.apologies.errors else form.apologies.data or [],
            bounds=bounds,
        ),
    )


# --- Taking someone off a case ---------------------------------------------------------


@bp.route("/cases/<reference>/people/<int:party_id>/remove", methods=["GET", "POST"])
@writes_on_get  # the audit record of this view
def remove_party(reference: str, party_id: int) -> Page:
    user = actor()
    case, party = people.removable_party(user, reference, party_id)
    form = RemovePartyForm()
    if request.method == "GET":  # a form sent back shows what was typed, already audited
        reasons = given_reasons()
        case_pages.record_view(user, case, page="remove person", person_id=party.person_id, access_reasons=reasons)
    return submit(
        form,
        lambda: people.remove_from_case(user, reference, party_id=party_id, reason=form.reason.data or ""),
        saved=lambda _removed: Saved(
            f"{party.person.full_name} taken off this case.",
            url_for("cases.detail", reference=case.reference, _anchor="people"),
        ),
        page=lambda: render_template("victims/remove.html", case=case, party=party, form=form),
    )
