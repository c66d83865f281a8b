from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextArea
from wtforms import Field, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from casework.forms.fields import GovDateField, _LegendFromLabel, max_length
from casework.forms.risk import TimeField, date_required

UNKNOWN_AGENCY = "Select agencies from the list"


class CheckboxesWidget(_LegendFromLabel, GovCheckboxesInput):
    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params["hint"] = None  # no empty hint for the fieldset to point at
        return params


class AgencyCheckboxesField(SelectMultipleField):
    """Agencies as checkboxes; a tampered value gets a message a person can act on."""

    widget = CheckboxesWidget()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(UNKNOWN_AGENCY) from None

    def pre_validate(self, form: object) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(UNKNOWN_AGENCY) from None


class RecordConferenceForm(FlaskForm):
    held_on = GovDateField(
        "Date of the conference",
        description="For example, 27 3 2026",
        validators=[date_required("Enter the date of the conference")],
    )
    held_time = TimeField("Time the conference started")
    present = AgencyCheckboxesField(
        "Agencies present",
        description="Select every agency that was represented. Agencies involved in the case are listed first.",
    )
    apologies = AgencyCheckboxesField("Agencies that sent apologies")
    outcome = TextAreaField(
        "Outcome",
        widget=GovTextArea(),
        description="What was decided, and who will do what.",
        validators=[DataRequired(message="Enter the outcome of the conference"), max_length("Outcome", 5000)],
    )
    submit = SubmitField("Record conference", widget=GovSubmitInput())


class RemovePartyForm(FlaskForm):
    reason = TextAreaField(
        "Why are they being taken off this case?",
        widget=GovTextArea(),
        description="This is kept with the case record. If they are a victim, their open clocks stop with this reason.",
        # The reason is also stored with the stopped clocks, after a short prefix.
        validators=[DataRequired(message="Enter why they are being taken off this case"), max_length("The reason", 400)],
    )
    submit = SubmitField("Take off this case", widget=GovSubmitInput())
