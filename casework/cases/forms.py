from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional

from casework.cases.models import (
    ACCESS_DECLINE_REASON_MAX,
    ACCESS_REASON_DETAILS_MAX,
    ACCESS_REQUEST_REASON_MAX,
    SHARE_REASON_MAX,
    CaseStatus,
    CaseType,
    NoteKind,
)
from casework.cases.services.commands import LIFT_REASON_MAX
from casework.cases.services.lookup import ACCESS_REASONS
from casework.limits import LINE_MAX, LONG_TEXT_MAX, NAME_MAX, NARRATIVE_MAX, STOPPING_REASON_MAX
from casework.premises.models import LICENCE_NUMBER_MAX
from casework.ui.fields import (
    ChoiceRadioField,
    ChoiceSelectField,
    EnumRadioField,
    EnumSelectField,
    RadiosWidget,
    VersionField,
    max_length,
    optional_int,
    required_version,
)

NOTE_KINDS = [kind for kind in NoteKind if kind is not NoteKind.STATUS]


class _CaseFilterFields(FlaskForm):
    """The filters of the case list."""

    scope = RadioField(
        "Show",
        choices=[("mine", "Cases my agency is involved in"), ("all", "All partnership cases")],
        default="mine",
        widget=RadiosWidget(),
        validators=[Optional()],
    )
    # Typed text may be a name or an address: it is only ever sent by POST, never put in a URL.
    text = StringField(
        "Reference or title", widget=GovTextInput(), validators=[Optional(), max_length("Search", LINE_MAX)]
    )
    status = EnumSelectField("Status", CaseStatus, blank="Any status", widget=GovSelect(), validators=[Optional()])
    case_type = EnumSelectField("Case type", CaseType, blank="Any type", widget=GovSelect(), validators=[Optional()])
    lead_agency = SelectField("Lead agency", coerce=optional_int, widget=GovSelect(), validators=[Optional()])
    town = SelectField("Area", widget=GovSelect(), validators=[Optional()])
    sort = SelectField(
        "Sort by",
        choices=[
            ("opened-desc", "Newest first"),
            ("opened-asc", "Oldest first"),
            ("reference-asc", "Reference (ascending)"),
            ("reference-desc", "Reference (descending)"),
            ("type-asc", "Case type (A to Z)"),
            ("type-desc", "Case type (Z to A)"),
            ("lead-agency-asc", "Lead agency (A to Z)"),
            ("lead-agency-desc", "Lead agency (Z to A)"),
        ],
        default="opened-desc",
        widget=GovSelect(),
        validators=[Optional()],
    )


class CaseFilterForm(_CaseFilterFields):
    """The filters as read back from the list's query string (no CSRF token there; the
    text is not read from it)."""

    class Meta:
        csrf = False


class CaseSearchForm(_CaseFilterFields):
    """The filter form as sent by POST to /cases/search."""


ACCESS_REASON_CHOICES = list(ACCESS_REASONS.items())


class AccessReasonForm(FlaskForm):
    reason = ChoiceRadioField(
        "Why do you need to open this case?",
        choices=ACCESS_REASON_CHOICES,
        widget=RadiosWidget(),
        invalid_message="Select why you need to open this case",
        validators=[InputRequired(message="Select why you need to open this case")],
    )
    details = TextAreaField(
        "Details",
        description="Required if you chose another reason. Do not include names or other personal details.",
        widget=GovCharacterCount(),
        validators=[Optional(), max_length("Details", ACCESS_REASON_DETAILS_MAX)],
    )
    next = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class _CaseDetailsForm(FlaskForm):
    case_type = EnumRadioField(
        "Case type",
        CaseType,
        widget=RadiosWidget(),
        invalid_message="Select the case type",
        validators=[InputRequired(message="Select the case type")],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="A short description others will recognise, for example 'Noise and threats, Waterlees'.",
        validators=[DataRequired(message="Enter a title"), max_length("Title", LINE_MAX)],
    )
    summary = TextAreaField(
        "Summary",
        widget=GovCharacterCount(),
        validators=[Optional(), max_length("Summary", LONG_TEXT_MAX)],
    )
    district = StringField("District", widget=GovTextInput(), validators=[Optional(), max_length("District", NAME_MAX)])
    town = StringField("Town or village", widget=GovTextInput(), validators=[Optional(), max_length("Town", NAME_MAX)])
    ward = StringField("Ward", widget=GovTextInput(), validators=[Optional(), max_length("Ward", NAME_MAX)])
    premises_licence = StringField(
        "Licensed premises (optional)",
        widget=GovTextInput(),
        description=(
            "If the case is about a licensed premises, its licence number, for example FDC/PL/0042. "
            "Everyone who can see this case will be able to see the premises' page."
        ),
        validators=[Optional(), max_length("Licence number", LICENCE_NUMBER_MAX)],
    )
    restricted = BooleanField(
        "Restricted case",
        description="For domestic abuse or witness protection: other agencies see only the reference and lead agency.",
        widget=GovCheckboxInput(),
    )


class OpenCaseForm(_CaseDetailsForm):
    lead_agency_id = ChoiceSelectField(
        "Lead agency",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select the lead agency from the list",
        validators=[InputRequired(message="Select the lead agency")],
    )
    submit = SubmitField("Open case", widget=GovSubmitInput())


class EditCaseForm(_CaseDetailsForm):
    version = VersionField(validators=[required_version])
    lift_reason = TextAreaField(
        "If you lift the restriction, why?",
        description="Required if you untick 'Restricted case'. It is kept in the audit log.",
        widget=GovTextArea(),
        validators=[Optional(), max_length("Reason", LIFT_REASON_MAX)],
    )
    lead_officer_id = ChoiceSelectField(
        "Lead officer",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select a lead officer from the lead agency",
        validators=[Optional()],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class NoteForm(FlaskForm):
    kind = EnumRadioField(
        "Kind of note",
        NoteKind,
        members=NOTE_KINDS,
        default=NoteKind.NOTE,
        widget=RadiosWidget(),
        invalid_message="Select the kind of note",
        validators=[InputRequired(message="Select the kind of note")],
    )
    body = TextAreaField(
        "Note",
        widget=GovCharacterCount(),
        validators=[DataRequired(message="Enter the note"), max_length("Note", NARRATIVE_MAX)],
    )
    submit = SubmitField("Add note", widget=GovSubmitInput())


class AddAgencyForm(FlaskForm):
    agency_id = ChoiceSelectField(
        "Agency",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select an agency from the list",
        validators=[InputRequired(message="Select an agency")],
    )
    reason = TextAreaField(
        "Why does this agency need to see the case?",
        description="Shown on the case page with your name, for example: to visit the victim with the housing officer.",
        widget=GovCharacterCount(),
        validators=[
            DataRequired(message="Enter why the agency needs to see the case"),
            max_length("The reason", SHARE_REASON_MAX),
        ],
    )
    # Where to go once the case is shared: the action or decision form it was asked from.
    next = HiddenField()
    submit = SubmitField("Share case", widget=GovSubmitInput())


class ChangeStatusForm(FlaskForm):
    version = VersionField(validators=[required_version])
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter the reason"), max_length("Reason", STOPPING_REASON_MAX)],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class RequestAccessForm(FlaskForm):
    reason = TextAreaField(
        "Why does your agency need to see this case?",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter why your agency needs access"),
            max_length("Reason", ACCESS_REQUEST_REASON_MAX),
        ],
    )
    submit = SubmitField("Ask for access", widget=GovSubmitInput())


class PsgReviewForm(FlaskForm):
    """The case page's button that sets or removes the "for PSG review" flag."""

    version = VersionField(validators=[required_version])
    flagged = HiddenField(validators=[AnyOf(["yes", "no"])])

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        if super().validate(extra_validators):
            return True
        # Its fields are hidden: one message for the whole form, with nothing to link to.
        for field in self:
            field.errors = []
        self.form_errors.append("The form was changed before it was sent. Reload the page and try again.")
        self._errors = None
        return False


class GrantAccessForm(FlaskForm):
    """The one-click grant in the queue: a CSRF token and a button."""


class DeclineAccessForm(FlaskForm):
    reason = TextAreaField(
        "Why are you declining the request?",
        widget=GovTextArea(),
        description="The person who asked sees this reason on the case's summary page.",
        validators=[
            DataRequired(message="Enter why you are declining the request"),
            max_length("Reason", ACCESS_DECLINE_REASON_MAX),
        ],
    )
    submit = SubmitField(
        "Decline request", widget=GovSubmitInput(), render_kw={"params": {"classes": "govuk-button--warning"}}
    )
