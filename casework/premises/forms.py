"""The premises register's filters and the forms that change premises data."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import BooleanField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from casework.limits import LONG_TEXT_MAX, REASON_MAX
from casework.premises.models import (
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.ui.fields import (
    CheckboxesWidget,
    ChoiceRadioField,
    ChoiceSelectField,
    EnumRadioField,
    EnumSelectField,
    GovDateField,
    RadiosWidget,
    TimeField,
    VersionField,
    date_required,
    max_length,
    optional_int,
    record_id,
    required_version,
)
from casework.ui.forms import MomentForm

SORT_CHOICES = [
    ("name-asc", "Name (A to Z)"),
    ("name-desc", "Name (Z to A)"),
    ("colour-asc", "Colour (red first)"),
    ("colour-desc", "Colour (green first)"),
    ("days-desc", "Longest in colour first"),
    ("days-asc", "Shortest in colour first"),
    # The colour's deadline (red to amber, amber to green), which follows status_since
    # exactly; an amber premises' visit deadline is shown in its row and caught by the
    # "deadline passed" filter, but does not take part in this order.
    ("deadline-asc", "Colour deadline (soonest first)"),
    ("deadline-desc", "Colour deadline (latest first)"),
]


class RegisterFilterForm(FlaskForm):
    """Read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = EnumSelectField("Colour", TlsStatus, blank="Any colour", widget=GovSelect(), validators=[Optional()])
    town = SelectField("Town", widget=GovSelect(), validators=[Optional()])
    cluster = SelectField("Cluster", widget=GovSelect(), validators=[Optional()])
    deadline_passed = BooleanField("Deadline passed", widget=GovCheckboxInput())
    suggestion_differs = BooleanField("Suggested colour differs", widget=GovCheckboxInput())
    sort = SelectField("Sort by", choices=SORT_CHOICES, default="name-asc", widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class MoveStatusForm(FlaskForm):
    to_status = EnumRadioField(
        "New colour",
        TlsStatus,
        widget=RadiosWidget(),
        invalid_message="Select red, amber or green",
        validators=[InputRequired(message="Select the new colour")],
    )
    reason = TextAreaField(
        "Reason for the move",
        widget=GovTextArea(),
        validators=[InputRequired(message="Give the reason for the move"), max_length("The reason", REASON_MAX)],
    )
    incident_ids = SelectMultipleField(
        "Incidents that justify the move (optional)",
        coerce=record_id,
        widget=CheckboxesWidget(),
        validators=[Optional()],
    )
    visit_ids = SelectMultipleField(
        "Visits that justify the move (optional)", coerce=record_id, widget=CheckboxesWidget(), validators=[Optional()]
    )
    version = VersionField(validators=[required_version])
    submit = SubmitField("Move colour", widget=GovSubmitInput())


class IncidentForm(MomentForm):
    moment_fields = ("occurred_on", "occurred_time")

    occurred_on = GovDateField(
        "Date of the incident",
        description="For example, 27 3 2026",
        validators=[date_required("Enter the date of the incident")],
    )
    occurred_time = TimeField("Time of the incident")
    reporting_agency_id = ChoiceSelectField(
        "Reporting agency",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Choose the agency that reported the incident",
        validators=[InputRequired(message="Choose the agency that reported the incident")],
    )
    source = EnumRadioField(
        "Source",
        IncidentSource,
        widget=RadiosWidget(),
        invalid_message="Select the source of the report",
        validators=[InputRequired(message="Select the source of the report")],
    )
    category = EnumRadioField(
        "Category",
        IncidentCategory,
        widget=RadiosWidget(),
        invalid_message="Select the category",
        validators=[InputRequired(message="Select the category")],
    )
    severity = EnumRadioField(
        "Severity",
        IncidentSeverity,
        widget=RadiosWidget(),
        invalid_message="Select the severity",
        validators=[InputRequired(message="Select the severity")],
    )
    description = TextAreaField(
        "Description", widget=GovTextArea(), validators=[max_length("The description", LONG_TEXT_MAX)]
    )
    submit = SubmitField("Record incident", widget=GovSubmitInput())


class VisitForm(MomentForm):
    moment_fields = ("visited_on", "visited_time")

    visited_on = GovDateField(
        "Date of the visit",
        description="For example, 27 3 2026",
        validators=[date_required("Enter the date of the visit")],
    )
    visited_time = TimeField("Time of the visit")
    kind = EnumRadioField(
        "Kind of visit",
        VisitKind,
        widget=RadiosWidget(),
        invalid_message="Select the kind of visit",
        validators=[InputRequired(message="Select the kind of visit")],
    )
    result = EnumRadioField(
        "Result",
        VisitResult,
        default=VisitResult.NOT_APPLICABLE,
        widget=RadiosWidget(),
        invalid_message="Select pass, fail or not applicable",
        validators=[InputRequired(message="Select the result")],
    )
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[max_length("The notes", LONG_TEXT_MAX)])
    submit = SubmitField("Record visit", widget=GovSubmitInput())


class HearingForm(FlaskForm):
    kind = EnumRadioField(
        "Kind",
        HearingKind,
        widget=RadiosWidget(),
        invalid_message="Select a hearing or a review",
        validators=[InputRequired(message="Select a hearing or a review")],
    )
    held_on = GovDateField(
        "Date held", description="For example, 27 3 2026", validators=[date_required("Enter the date it was held")]
    )
    outcome = EnumRadioField(
        "Outcome",
        HearingOutcome,
        widget=RadiosWidget(),
        invalid_message="Select the outcome",
        validators=[InputRequired(message="Select the outcome")],
    )
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[max_length("The notes", LONG_TEXT_MAX)])
    submit = SubmitField("Record hearing", widget=GovSubmitInput())


class AccreditationForm(FlaskForm):
    field = EnumRadioField(
        "Accreditation",
        AccreditationField,
        widget=RadiosWidget(),
        invalid_message="Select Thumbs Up or SIRCS",
        validators=[InputRequired(message="Select which accreditation changes")],
    )
    value = ChoiceRadioField(
        "New value",
        choices=[("yes", "Given"), ("no", "Taken away")],
        widget=RadiosWidget(),
        invalid_message="Select given or taken away",
        validators=[InputRequired(message="Select given or taken away")],
    )
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[InputRequired(message="Give the reason for the change"), max_length("The reason", REASON_MAX)],
    )
    version = VersionField(validators=[required_version])
    submit = SubmitField("Save change", widget=GovSubmitInput())
