"""The delivery plan's forms: a priority, a plan action and a quarterly progress update."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Field, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from casework.exceptions import InvalidInput
from casework.limits import LINE_MAX, LONG_TEXT_MAX, NARRATIVE_MAX, REASON_MAX
from casework.plan.models import (
    MILESTONE_MAX_LENGTH,
    MILESTONES_TEXT_MAX,
    REF_MAX_LENGTH,
    PlanActionKind,
    PlanActionStatus,
)
from casework.plan.services import canonical_ref, parse_milestones
from casework.rag import Rag
from casework.ui.fields import (
    AgencyCheckboxesField,
    ChoiceSelectField,
    EnumRadioField,
    EnumSelectField,
    RadiosWidget,
    VersionField,
    max_length,
    optional_int,
    required_version,
)

NUMBER_MESSAGE = "Enter the priority number as a whole number, like 1"


class WholeNumberField(IntegerField):
    widget = GovTextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            self.data = None
            raise ValueError(NUMBER_MESSAGE)
        self.data = int(text)


class PriorityForm(FlaskForm):
    number = WholeNumberField(
        "Priority number",
        description="Action references under this priority start with it: priority 1 holds 1.3.1 and 1.3.2.",
        validators=[InputRequired(message="Enter the priority number")],
    )
    title = StringField(
        "Title",
        description="For example, 'Prevention, awareness and education'.",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the title of the priority"), max_length("The title", LINE_MAX)],
    )
    lead_officer = StringField(
        "Lead officer",
        description="The officer responsible for developing and reviewing this priority's actions.",
        widget=GovTextInput(),
        validators=[Optional(), max_length("The lead officer", LINE_MAX)],
    )
    year_targets = TextAreaField(
        "This year's targets",
        description="The targets the partnership has set for the year, with the latest figures against them.",
        widget=GovTextArea(),
        validators=[Optional(), max_length("The targets", LONG_TEXT_MAX)],
    )
    submit = SubmitField("Save priority", widget=GovSubmitInput())


def well_formed_ref(_form: object, field: Field) -> None:
    """The shape only, so it is reported with the other fields; whether the reference is
    free and fits the priority is the service's to say."""
    try:
        canonical_ref(field.data or "")
    except InvalidInput as error:
        raise ValidationError(error.message) from None


def valid_milestones(_form: object, field: Field) -> None:
    try:
        parse_milestones(field.data or "")
    except InvalidInput as error:
        raise ValidationError(error.message) from None


class PlanActionForm(FlaskForm):
    priority_id = ChoiceSelectField(
        "Priority",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select the priority from the list",
        validators=[InputRequired(message="Select the priority")],
    )
    ref = StringField(
        "Reference",
        description="Numbers separated by full stops, starting with the priority's number, like 1.3.1.",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the reference, like 1.3.1"),
            max_length("The reference", REF_MAX_LENGTH),
            well_formed_ref,
        ],
    )
    kind = EnumSelectField(
        "Kind of action",
        PlanActionKind,
        blank="Select the kind",
        widget=GovSelect(),
        invalid_message="Select the kind of action from the list",
        validators=[DataRequired(message="Select the kind of action")],
    )
    action = TextAreaField(
        "Action",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter the action"), max_length("The action", LONG_TEXT_MAX)],
    )
    outcome = TextAreaField(
        "Outcome", widget=GovTextArea(), validators=[Optional(), max_length("The outcome", LONG_TEXT_MAX)]
    )
    project = StringField(
        "Project", widget=GovTextInput(), validators=[Optional(), max_length("The project", LINE_MAX)]
    )
    target = TextAreaField(
        "Target", widget=GovTextArea(), validators=[Optional(), max_length("The target", LONG_TEXT_MAX)]
    )
    milestones = TextAreaField(
        "Milestones",
        description=(
            "One milestone per line: the date it is due, then what it is, like "
            "'30/06/2026 Launch the scheme' or '2026-06-30 Launch the scheme'. "
            f"End a line with (done) when it is complete. Each milestone must be {MILESTONE_MAX_LENGTH} "
            "characters or fewer."
        ),
        widget=GovTextArea(),
        validators=[Optional(), max_length("The milestones", MILESTONES_TEXT_MAX), valid_milestones],
    )
    lead_agency_id = ChoiceSelectField(
        "Lead agency",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select the lead agency from the list",
        validators=[InputRequired(message="Select the lead agency")],
    )
    partner_ids = AgencyCheckboxesField("Partner agencies (optional)")
    status = EnumRadioField(
        "Status",
        PlanActionStatus,
        default=PlanActionStatus.OPEN,
        widget=RadiosWidget(),
        invalid_message="Select open, complete or closed",
        validators=[InputRequired(message="Select the status")],
    )
    improvement = TextAreaField(
        "Action to improve performance (optional)",
        description="What will be done while the action is amber or red. Progress updates also set this.",
        widget=GovTextArea(),
        validators=[Optional(), max_length("The action to improve performance", LONG_TEXT_MAX)],
    )
    submit = SubmitField("Save action", widget=GovSubmitInput())


class EditPlanActionForm(PlanActionForm):
    version = VersionField(validators=[required_version])


RAG_LABELS = {
    Rag.GREEN: "Green: progressing well and on target",
    Rag.AMBER: "Amber: needs intervention to make sure the target is met",
    Rag.RED: "Red: needs urgent intervention for the project to progress",
}


class ProgressForm(FlaskForm):
    quarter = ChoiceSelectField(
        "Quarter",
        widget=GovSelect(),
        invalid_message="Select the quarter from the list",
        validators=[InputRequired(message="Select the quarter")],
    )
    progress = TextAreaField(
        "Progress narrative",
        description="What has been done this quarter, and any risk to the target.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter the progress narrative"),
            max_length("The progress narrative", NARRATIVE_MAX),
        ],
    )
    rag = EnumRadioField(
        "RAG status",
        Rag,
        labels=RAG_LABELS,
        widget=RadiosWidget(),
        invalid_message="Select red, amber or green",
        validators=[InputRequired(message="Select red, amber or green")],
    )
    rag_reason = TextAreaField(
        "Reason for the RAG status",
        description="Required for amber and red.",
        widget=GovTextArea(),
        # Not Optional(): that would stop the check that amber and red have one.
        validators=[max_length("The reason", REASON_MAX)],
    )
    improvement = TextAreaField(
        "Action to improve performance",
        description="Required for amber and red: what will be done to bring the action back on target.",
        widget=GovTextArea(),
        validators=[max_length("The action to improve performance", LONG_TEXT_MAX)],
    )
    version = VersionField(validators=[required_version])
    submit = SubmitField("Save progress update", widget=GovSubmitInput())

    def _needs_text_for_amber_and_red(self, field: Field, message: str) -> None:
        if self.rag.data in (Rag.AMBER.value, Rag.RED.value) and not (field.data or "").strip():
            raise ValidationError(message.format(rag=self.rag.data))

    def validate_rag_reason(self, field: Field) -> None:
        self._needs_text_for_amber_and_red(field, "Give the reason the action is {rag}")

    def validate_improvement(self, field: Field) -> None:
        self._needs_text_for_amber_and_red(field, "Enter the action to improve performance: the action is {rag}")
