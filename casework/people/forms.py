from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional
from wtforms.widgets import HiddenInput

from casework.accounts.models import EMAIL_MAX
from casework.cases.models import PartyRole
from casework.limits import LINE_MAX, NAME_MAX
from casework.people.models import ADDRESS_MAX, PHONE_MAX, POSTCODE_MAX, VULNERABILITIES_MAX
from casework.people.services import PHONE_FORMAT, POSTCODE_FORMAT, is_uk_phone, is_uk_postcode
from casework.ui.fields import EnumRadioField, GovDateField, RadiosWidget, email_address, max_length, shaped


def _role_field() -> EnumRadioField[PartyRole]:
    return EnumRadioField(
        "Role on this case",
        PartyRole,
        widget=RadiosWidget(),
        invalid_message="Select the person's role on this case",
        validators=[InputRequired(message="Select the person's role on this case")],
    )


class NewPersonForm(FlaskForm):
    role = _role_field()
    first_name = StringField(
        "First name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the first name"), max_length("First name", NAME_MAX)],
    )
    last_name = StringField(
        "Last name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the last name"), max_length("Last name", NAME_MAX)],
    )
    date_of_birth = GovDateField(
        "Date of birth", past_only=True, description="For example, 27 3 1985", validators=[Optional()]
    )
    address = TextAreaField(
        "Address", widget=GovTextArea(), validators=[Optional(), max_length("Address", ADDRESS_MAX)]
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        validators=[Optional(), max_length("Postcode", POSTCODE_MAX), shaped(is_uk_postcode, POSTCODE_FORMAT)],
    )
    phone = StringField(
        "Phone number",
        widget=GovTextInput(),
        validators=[Optional(), max_length("Phone number", PHONE_MAX), shaped(is_uk_phone, PHONE_FORMAT)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            Optional(),
            max_length("Email address", EMAIL_MAX),
            email_address,
        ],
    )
    vulnerabilities = TextAreaField(
        "Vulnerabilities",
        widget=GovTextArea(),
        description="For example: lives alone, mental health needs, hoarding.",
        validators=[Optional(), max_length("Vulnerabilities", VULNERABILITIES_MAX)],
    )
    # Set once the user has seen the similar people and chosen to create a new record.
    confirmed_new = HiddenField(validators=[AnyOf(["", "yes"], message="Reload the page and try again")])
    submit = SubmitField("Add person", widget=GovSubmitInput())


class FindPersonForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter a name to search for"), max_length("Name", LINE_MAX)],
    )
    submit = SubmitField(
        "Search", widget=GovSubmitInput(), render_kw={"params": {"classes": "govuk-button--secondary"}}
    )


class AddExistingPersonForm(FlaskForm):
    person_id = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message="Select a person from the list")],
    )
    role = _role_field()
    submit = SubmitField("Add to case", widget=GovSubmitInput())
