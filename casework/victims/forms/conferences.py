from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from casework.limits import LONG_TEXT_MAX, STOPPING_REASON_MAX
from casework.ui.fields import AgencyCheckboxesField, GovDateField, TimeField, date_required, max_length
from casework.ui.forms import MomentForm


class RecordConferenceForm(MomentForm):
    moment_fields = ("held_on", "held_time")

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
        validators=[DataRequired(message="Enter the outcome of the conference"), max_length("Outcome", LONG_TEXT_MAX)],
    )
    # The changes to the clocks the user was shown and confirmed (their token).
    clocks_confirmed = HiddenField()
    submit = SubmitField("Record conference", widget=GovSubmitInput())


class RemovePartyForm(FlaskForm):
    reason = TextAreaField(
        "Why are they being taken off this case?",
        widget=GovTextArea(),
        description="This is kept with the case record. If they are a victim, their open clocks stop with this reason.",
        # The reason is also stored with the stopped clocks, after a short prefix.
        validators=[
            DataRequired(message="Enter why they are being taken off this case"),
            max_length("The reason", STOPPING_REASON_MAX),
        ],
    )
    submit = SubmitField("Take off this case", widget=GovSubmitInput())
