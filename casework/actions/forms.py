"""The inbox's filters, a new action, and the assigned agency's update to an action."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from casework.actions.models import ActionStatus
from casework.actions.services.actions import SubjectKind
from casework.limits import LINE_MAX, LONG_TEXT_MAX
from casework.ui.fields import (
    ChoiceSelectField,
    EnumRadioField,
    EnumSelectField,
    GovDateField,
    RadiosWidget,
    VersionField,
    choices,
    date_required,
    max_length,
    optional_int,
    required_version,
)

# The inbox's status filter: the live ones unless the user asks for another.
LIVE = ""
ANY_STATUS = "all"
STATUS_FILTER_CHOICES = [(LIVE, "Open and in progress")] + choices(ActionStatus) + [(ANY_STATUS, "Any status")]


class InboxFilterForm(FlaskForm):
    """Read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = ChoiceSelectField(
        "Status",
        choices=STATUS_FILTER_CHOICES,
        widget=GovSelect(),
        invalid_message="Select a status from the list",
        validators=[Optional()],
    )
    due_from = GovDateField("Due from", description="For example, 27 3 2026", validators=[Optional()])
    due_to = GovDateField("Due to", description="For example, 30 4 2026", validators=[Optional()])
    subject = EnumSelectField(
        "Subject",
        SubjectKind,
        blank="Any subject",
        widget=GovSelect(),
        invalid_message="Select a kind of subject from the list",
        validators=[Optional()],
    )
    mine = BooleanField("Assigned to me", widget=GovCheckboxInput())
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def validate_due_to(self, field: GovDateField) -> None:
        if field.data and self.due_from.data and field.data < self.due_from.data:
            raise ValidationError("Due to must be the same as or after due from")


class NewActionForm(FlaskForm):
    title = StringField(
        "What needs to be done",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter what needs to be done"),
            max_length("What needs to be done", LINE_MAX),
        ],
    )
    detail = TextAreaField(
        "Detail (optional)", widget=GovTextArea(), validators=[max_length("The detail", LONG_TEXT_MAX)]
    )
    # The lists are a convenience: the service decides which agency and officer may be
    # chosen, so a stale or altered form gets its specific message, not "not a choice".
    assigned_agency_id = ChoiceSelectField(
        "Assigned agency",
        coerce=optional_int,
        validate_choice=False,
        widget=GovSelect(),
        invalid_message="Select the agency the action is assigned to",
        validators=[InputRequired(message="Select the agency the action is assigned to")],
    )
    assignee_id = ChoiceSelectField(
        "Assigned officer (optional)",
        coerce=optional_int,
        validate_choice=False,
        widget=GovSelect(),
        invalid_message="Choose an officer from the list, or nobody",
        validators=[Optional()],
    )
    due_on = GovDateField(
        "Due date", description="For example, 27 3 2026", validators=[date_required("Enter the due date")]
    )
    # The due date the user has already been warned about (past, or far ahead), as 2026-03-27.
    past_due_confirmed = HiddenField()
    submit = SubmitField("Create action", widget=GovSubmitInput())

    @property
    def past_due_date_confirmed(self) -> bool:
        return self.due_on.data is not None and self.past_due_confirmed.data == self.due_on.data.isoformat()


class UpdateActionForm(FlaskForm):
    status = EnumRadioField(
        "Status",
        ActionStatus,
        widget=RadiosWidget(),
        invalid_message="Select open, in progress, done or cancelled",
        validators=[InputRequired(message="Select the status")],
    )
    note = TextAreaField(
        "Progress note",
        description="Needed when you mark the action done: say what was done.",
        widget=GovTextArea(),
        validators=[max_length("The note", LONG_TEXT_MAX)],
    )
    version = VersionField(validators=[required_version])
    submit = SubmitField("Save update", widget=GovSubmitInput())
