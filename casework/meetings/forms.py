"""PSG meeting forms: shape only; the meetings service checks the rest."""

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Field, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Optional

from casework.agencies.models import Agency
from casework.cases.models import REFERENCE_MAX
from casework.limits import LINE_MAX
from casework.meetings.models import AMENDMENT_MAX, DECISION_MAX, LOCATION_MAX, MINUTES_MAX, TOPIC_MAX, AttendanceStatus
from casework.ui.fields import (
    ChoiceRadioField,
    ChoiceSelectField,
    GovDateField,
    RadiosWidget,
    TimeField,
    VersionField,
    date_required,
    max_length,
    optional_int,
    required_version,
)
from casework.ui.forms import MomentForm

NOT_RECORDED = "none"
ATTENDANCE_CHOICES = [
    (AttendanceStatus.PRESENT.value, "Present"),
    (AttendanceStatus.APOLOGIES.value, "Apologies"),
    (NOT_RECORDED, "Not recorded"),
]


class ScheduleMeetingForm(MomentForm):
    moment_fields = ("held_on", "held_time")

    held_on = GovDateField(
        "Date of the meeting",
        description="For example, 12 1 2027",
        validators=[date_required("Enter the date of the meeting")],
    )
    held_time = TimeField("Time the meeting starts")
    location = StringField(
        "Location",
        widget=GovTextInput(),
        description="For example, Fenland Hall, March, or an online meeting.",
        validators=[
            DataRequired(message="Enter where the meeting will be held"),
            max_length("The location", LOCATION_MAX),
        ],
    )
    # The date far ahead the user has already been warned about, as 2027-01-12.
    far_ahead_confirmed = HiddenField()
    submit = SubmitField("Schedule meeting", widget=GovSubmitInput())

    @property
    def far_ahead_date_confirmed(self) -> bool:
        return self.held_on.data is not None and self.far_ahead_confirmed.data == self.held_on.data.isoformat()


class MeetingVersionForm(FlaskForm):
    """A button that changes the meeting (generate the agenda, finish it): only the
    version of the page it was pressed on."""

    version = VersionField(validators=[required_version])


class MoveItemForm(MeetingVersionForm):
    # Sent by the button pressed.
    direction = StringField(validators=[AnyOf(["up", "down"])])


class AddItemForm(MeetingVersionForm):
    case_reference = StringField(
        "Case reference",
        widget=GovTextInput(),
        description="For example, ASB-2026-00042.",
        validators=[Optional(), max_length("The case reference", REFERENCE_MAX)],
    )
    topic = StringField(
        "Or a topic",
        widget=GovTextInput(),
        description="For example, Community Trigger review. Do not put names here.",
        validators=[Optional(), max_length("The topic", TOPIC_MAX)],
    )
    submit = SubmitField("Add to the agenda", widget=GovSubmitInput())


class AttendanceWidget(RadiosWidget):
    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        params["hint"] = None  # no empty hint for each agency's fieldset to point at
        return params


def attendance_form_class(agencies: Iterable[Agency]) -> type[MeetingVersionForm]:
    """A form with one set of radios per agency, named ``agency_<id>``."""
    fields: dict[str, Field] = {
        f"agency_{agency.id}": ChoiceRadioField(
            agency.name,
            choices=ATTENDANCE_CHOICES,
            default=NOT_RECORDED,
            widget=AttendanceWidget(),
            invalid_message=f"Choose present, apologies or not recorded for {agency.name}",
        )
        for agency in agencies
    }
    fields["submit"] = SubmitField("Save attendance", widget=GovSubmitInput())
    return type("AttendanceForm", (MeetingVersionForm,), fields)


class MinutesForm(MeetingVersionForm):
    minutes = TextAreaField(
        "Minutes",
        widget=GovTextArea(),
        description="What was discussed. Agencies involved in a case see the minutes of its item.",
        validators=[Optional(), max_length("The minutes", MINUTES_MAX)],
    )
    submit = SubmitField("Save minutes", widget=GovSubmitInput())


class DecisionForm(MeetingVersionForm):
    text = TextAreaField(
        "Decision",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter the decision"), max_length("The decision", DECISION_MAX)],
    )
    title = StringField(
        "What needs to be done (optional)",
        widget=GovTextInput(),
        description="Leave blank to use the first line of the decision.",
        validators=[Optional(), max_length("What needs to be done", LINE_MAX)],
    )
    assigned_agency_id = ChoiceSelectField(
        "Agency that will do it",
        coerce=optional_int,
        widget=GovSelect(),
        description="Choose an agency to create an action with this decision.",
        invalid_message="Select the agency from the list",
        validators=[Optional()],
    )
    assignee_id = ChoiceSelectField(
        "Officer (optional)",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select an officer from the list",
        validators=[Optional()],
    )
    due_on = GovDateField("Date the action is due", description="For example, 31 1 2027", validators=[Optional()])
    # The due date the chair has already been warned is far ahead, as 2099-12-31.
    far_ahead_confirmed = HiddenField()
    submit = SubmitField("Record decision", widget=GovSubmitInput())

    @property
    def far_ahead_date_confirmed(self) -> bool:
        return self.due_on.data is not None and self.far_ahead_confirmed.data == self.due_on.data.isoformat()


class AmendmentForm(FlaskForm):
    item_id = ChoiceSelectField(
        "What it corrects",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Choose an item from the list",
        validators=[Optional()],
    )
    text = TextAreaField(
        "Amendment",
        widget=GovTextArea(),
        description="Say what was wrong in the record and what is right. The original record is kept.",
        validators=[DataRequired(message="Enter the amendment"), max_length("The amendment", AMENDMENT_MAX)],
    )
    submit = SubmitField("Add amendment", widget=GovSubmitInput())


class FinishMeetingForm(MeetingVersionForm):
    submit = SubmitField("Finish meeting", widget=GovSubmitInput())
