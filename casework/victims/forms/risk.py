"""The risk assessment form, built from the risk matrix it asks the questions of."""

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import Field, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from casework.limits import REASON_MAX
from casework.ui.fields import ChoiceRadioField, GovDateField, RadiosWidget, TimeField, date_required, max_length
from casework.ui.forms import MomentForm
from casework.victims.models import RiskLevel
from casework.victims.services.risk import answer_field
from casework.victims.services.riskmatrix import Matrix, Question

NO_CHANGE = ""
OVERRIDE_CHOICES = [
    (NO_CHANGE, "No change"),
    (RiskLevel.MEDIUM.value, "Raise to medium"),
    (RiskLevel.HIGH.value, "Raise to high"),
]


class MatrixIdField(IntegerField):
    """The matrix version the form was built from. Anything but a number is read as no
    version, which the service refuses as a form from another matrix."""

    widget = HiddenInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class ScoredRadiosWidget(RadiosWidget):
    """Radios whose inputs carry their points (and whether the answer is critical), for
    the running score, and say the points in each option's hint."""

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params["hint"] = None  # no empty hint for the legend to point at
        question: Question = field.question  # type: ignore[attr-defined]  # set by QuestionField
        for item in params["items"]:
            option = question.option(item["value"])
            if option is None:
                continue
            attributes = {"data-points": str(option.points)}
            if option.critical:
                attributes["data-critical"] = "true"
            item["attributes"] = attributes
            points = "1 point" if option.points == 1 else f"{option.points} points"
            item["hint"] = {"text": f"{points}, makes the risk high on its own" if option.critical else points}
        return params


class QuestionField(ChoiceRadioField):
    """One question of the matrix: its options as radios."""

    def __init__(self, question: Question, **kwargs: Any) -> None:
        super().__init__(
            question.text,
            choices=[(option.id, option.label) for option in question.options],
            description=question.hint,
            widget=ScoredRadiosWidget(),
            invalid_message=f"Choose one of the answers given for: {question.text}",
            validators=[InputRequired(message=f"Select an answer: {question.text}")],
            **kwargs,
        )
        self.question = question


class RiskAssessmentForm(MomentForm):
    """The fields every assessment has; ``assessment_form_class`` adds the questions."""

    moment_fields = ("assessed_on", "assessed_time")

    matrix: Matrix
    matrix_id: IntegerField
    # The changes to the clocks the user was shown and confirmed (their token).
    clocks_confirmed = HiddenField()
    override_level: ChoiceRadioField
    override_reason: TextAreaField

    def answers(self) -> dict[str, str]:
        return {question.id: self[answer_field(question.id)].data or "" for question in self.matrix.questions}

    def question_groups(self) -> list[tuple[str, list[Field]]]:
        return [
            (group.title, [self[answer_field(question.id)] for question in group.questions])
            for group in self.matrix.groups
        ]

    def validate_override_reason(self, field: Field) -> None:
        # Also checked when saving; here so that it is shown with any other problem.
        if self.override_level.data and not (field.data or "").strip():
            raise ValidationError("Give the reason for raising the level")

    def override(self) -> RiskLevel | None:
        return RiskLevel(self.override_level.data) if self.override_level.data else None


def assessment_form_class(matrix: Matrix) -> type[RiskAssessmentForm]:
    """A form class for this matrix: fields are made in page order, so the error
    summary lists problems in the order the page shows them."""
    fields: dict[str, Any] = {
        "matrix": matrix,
        "assessed_on": GovDateField(
            "Date of the assessment",
            description="For example, 27 3 2026",
            validators=[date_required("Enter the date of the assessment")],
        ),
        "assessed_time": TimeField("Time of the assessment"),
    }
    for question in matrix.questions:
        fields[answer_field(question.id)] = QuestionField(question)
    fields["override_level"] = ChoiceRadioField(
        "Raise the level on professional judgement?",
        choices=OVERRIDE_CHOICES,
        default=NO_CHANGE,
        description="Only to raise the level the answers give, never to lower it.",
        widget=RadiosWidget(),
        invalid_message="Select no change, medium or high",
        validators=[Optional()],
    )
    fields["override_reason"] = TextAreaField(
        "Reason for raising the level",
        widget=GovTextArea(),
        validators=[max_length("The reason", REASON_MAX)],
    )
    # The version the questions came from: a form opened before a new version was
    # loaded is refused rather than scored with a matrix it was not built from.
    fields["matrix_id"] = MatrixIdField()
    fields["submit"] = SubmitField("Save assessment", widget=GovSubmitInput())
    return type("RiskAssessmentForm", (RiskAssessmentForm,), fields)
