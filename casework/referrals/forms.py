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
from wtforms import BooleanField, Field, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from casework.cases.models import REFERENCE_MAX, CaseType, PartyRole
from casework.limits import LINE_MAX, LONG_TEXT_MAX, NAME_MAX, REASON_MAX
from casework.people.models import ADDRESS_MAX, POSTCODE_MAX
from casework.people.services import POSTCODE_FORMAT, is_uk_postcode
from casework.referrals.models import Consent, ReferralStatus, ReferralSubject
from casework.referrals.services import REFERRED_ROLES
from casework.ui.fields import (
    ChoiceRadioField,
    ChoiceSelectField,
    EnumRadioField,
    EnumSelectField,
    GovDateField,
    RadiosWidget,
    VersionField,
    max_length,
    optional_int,
    required_version,
    shaped,
)

NEW_PERSON = "new"


def _blank(field: Field) -> bool:
    return not (field.data or "").strip()


class ReferralFilterForm(FlaskForm):
    """The referral list's filter. Read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = EnumSelectField("Status", ReferralStatus, blank="Any status", widget=GovSelect(), validators=[Optional()])


class MakeReferralForm(FlaskForm):
    subject = EnumRadioField(
        "Who or what are you referring?",
        ReferralSubject,
        widget=RadiosWidget(),
        invalid_message="Select whether you are referring a person or a place",
        validators=[InputRequired(message="Select whether you are referring a person or a place")],
    )
    first_name = StringField("First name", widget=GovTextInput(), validators=[max_length("First name", NAME_MAX)])
    last_name = StringField("Last name", widget=GovTextInput(), validators=[max_length("Last name", NAME_MAX)])
    date_of_birth = GovDateField(
        "Date of birth (optional)", past_only=True, description="For example, 27 3 1985", validators=[Optional()]
    )
    place = StringField(
        "Place",
        widget=GovTextInput(),
        description="The street, park, estate or area, for example 'Tillery Park, Wisbech'.",
        validators=[max_length("Place", LINE_MAX)],
    )
    address = TextAreaField("Address (optional)", widget=GovTextArea(), validators=[max_length("Address", ADDRESS_MAX)])
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        validators=[max_length("Postcode", POSTCODE_MAX), shaped(is_uk_postcode, POSTCODE_FORMAT)],
    )
    what_is_happening = TextAreaField(
        "What is happening?",
        widget=GovCharacterCount(),
        description="What, when and how often, who is affected, and what has been tried.",
        validators=[DataRequired(message="Enter what is happening"), max_length("What is happening", LONG_TEXT_MAX)],
    )
    risks = TextAreaField(
        "Risks (optional)",
        widget=GovCharacterCount(),
        description="Risks to the person, to others or to staff visiting, and any vulnerability.",
        validators=[max_length("Risks", LONG_TEXT_MAX)],
    )
    consent = EnumRadioField(
        "Has consent been given to share this information with partner agencies?",
        Consent,
        widget=RadiosWidget(),
        invalid_message="Select whether consent to share was given",
        validators=[InputRequired(message="Select whether consent to share was given")],
    )
    consent_reason = TextAreaField(
        "Reason, if consent was not given or not asked for",
        widget=GovTextArea(),
        description="Why consent was not given or asked for, and why the information should still be shared.",
        validators=[max_length("Reason", REASON_MAX)],
    )
    submit = SubmitField("Send referral", widget=GovSubmitInput())

    PERSON_FIELDS = ("first_name", "last_name", "date_of_birth")

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.subject.data is ReferralSubject.PLACE:
            # A place referral keeps none of these, and the page hides them: a slip in
            # one must not stop the referral.
            for name in self.PERSON_FIELDS:
                self[name].errors = []
            self._errors = None
            valid = not self.errors
        return valid

    def validate_first_name(self, field: Field) -> None:
        if self.subject.data == ReferralSubject.PERSON.value and _blank(field):
            raise ValidationError("Enter the person's first name")

    def validate_last_name(self, field: Field) -> None:
        if self.subject.data == ReferralSubject.PERSON.value and _blank(field):
            raise ValidationError("Enter the person's last name")

    def validate_place(self, field: Field) -> None:
        if self.subject.data == ReferralSubject.PLACE.value and _blank(field):
            raise ValidationError("Enter the place")

    def validate_consent_reason(self, field: Field) -> None:
        if self.consent.data in (Consent.NO.value, Consent.NOT_ASKED.value) and _blank(field):
            raise ValidationError("Enter why consent was not given or not asked for")


class _ReferredPersonFields:
    """Asked only for a person referral; declared first so that they come first on the
    page and in the error summary."""

    person_id = ChoiceRadioField(
        "Who is this?",
        widget=RadiosWidget(),
        invalid_message="Select someone from the list, or a new person",
        validators=[InputRequired(message="Select someone already known, or a new person")],
    )
    role = EnumRadioField(
        "Their role on the case",
        PartyRole,
        members=REFERRED_ROLES,
        widget=RadiosWidget(),
        invalid_message="Select the person's role on the case",
        validators=[InputRequired(message="Select the person's role on the case")],
    )


class AcceptReferralForm(FlaskForm):
    version = VersionField(validators=[required_version])
    into = ChoiceRadioField(
        "Accept into",
        choices=[("existing", "An existing case"), ("new", "A new case")],
        widget=RadiosWidget(),
        invalid_message="Select whether to accept the referral into an existing case or a new case",
        validators=[InputRequired(message="Select whether to accept the referral into an existing case or a new case")],
    )
    case_reference = StringField(
        "Case reference",
        widget=GovTextInput(),
        description="For example ASB-2026-00042. Cases found by the checks above are offered as you type.",
        validators=[max_length("Case reference", REFERENCE_MAX)],
    )
    case_type = EnumRadioField(
        "Case type",
        CaseType,
        widget=RadiosWidget(),
        invalid_message="Select the case type",
        validators=[Optional()],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="A short description others will recognise, for example 'Noise and threats, Waterlees'.",
        validators=[max_length("Title", LINE_MAX)],
    )
    lead_agency_id = ChoiceSelectField(
        "Lead agency",
        coerce=optional_int,
        widget=GovSelect(),
        invalid_message="Select the lead agency from the list",
        validators=[Optional()],
    )
    restricted = BooleanField(
        "Restricted case",
        description="For domestic abuse or witness protection: other agencies see only the reference and lead agency.",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Accept referral", widget=GovSubmitInput())

    # What each choice of "into" needs, with the message when it is missing.
    NEEDED = {
        "existing": (("case_reference", "Enter the reference of the case"),),
        "new": (
            ("case_type", "Select the case type"),
            ("title", "Enter a title"),
            ("lead_agency_id", "Select the lead agency"),
        ),
    }

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in self.NEEDED.get(self.into.data or "", ()):
            field = self[name]
            if not field.errors and (field.data is None or (isinstance(field.data, str) and not field.data.strip())):
                field.errors.append(message)
                valid = False
        self._errors = None
        return valid


class AcceptPersonReferralForm(_ReferredPersonFields, AcceptReferralForm):
    pass


class DeclineReferralForm(FlaskForm):
    version = VersionField(validators=[required_version])
    reason = TextAreaField(
        "Why is the referral declined?",
        widget=GovTextArea(),
        description="The referring agency sees this reason.",
        validators=[DataRequired(message="Enter why the referral is declined"), max_length("Reason", REASON_MAX)],
    )
    submit = SubmitField(
        "Decline referral", widget=GovSubmitInput(), render_kw={"params": {"classes": "govuk-button--warning"}}
    )
