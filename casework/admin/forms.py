from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Optional

from casework.accounts.models import EMAIL_MAX
from casework.accounts.services import passwords
from casework.agencies.models import AgencyKind
from casework.cases.models import REFERENCE_MAX
from casework.permissions import Role
from casework.ui.fields import (
    EnumRadioField,
    GovDateField,
    RadiosWidget,
    VersionField,
    email_address,
    max_length,
    optional_int,
    required_version,
)


class _UserDetailsForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the full name"), max_length("Full name", 200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the email address"),
            max_length("Email address", EMAIL_MAX),
            email_address,
        ],
    )
    # The service refuses an unknown or inactive agency with a message fit to show;
    # WTForms' own choice check would only say "Not a valid choice."
    agency_id = SelectField(
        "Agency",
        coerce=optional_int,
        widget=GovSelect(),
        validate_choice=False,
        validators=[InputRequired(message="Select the agency")],
    )
    role = EnumRadioField(
        "Role",
        Role,
        widget=RadiosWidget(),
        invalid_message="Select a role from the list",
        validators=[InputRequired(message="Select the role")],
    )


class CreateUserForm(_UserDetailsForm):
    password = PasswordField(
        "Temporary password",
        widget=GovPasswordInput(),
        description="12 characters or more. Give it to the user in person or by phone; they can change it after signing in.",
        validators=[
            DataRequired(message="Enter a temporary password"),
            max_length("Temporary password", passwords.MAX_LENGTH),
        ],
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())


class EditUserForm(_UserDetailsForm):
    version = VersionField(validators=[required_version])
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class SetActiveForm(FlaskForm):
    version = VersionField(validators=[required_version])


class AgencyForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the agency name"), max_length("Name", 200)],
    )
    kind = EnumRadioField(
        "Kind of agency",
        AgencyKind,
        widget=RadiosWidget(),
        invalid_message="Select a kind of agency from the list",
        validators=[InputRequired(message="Select the kind of agency")],
    )
    statutory = BooleanField("Statutory partner", widget=GovCheckboxInput())
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class EditAgencyForm(AgencyForm):
    active = BooleanField(
        "Active", description="Inactive agencies cannot be chosen for new cases or users.", widget=GovCheckboxInput()
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    user = SelectField("User", coerce=optional_int, widget=GovSelect(), validators=[Optional()])
    case = StringField(
        "Case reference", widget=GovTextInput(), validators=[Optional(), max_length("Case reference", REFERENCE_MAX)]
    )
    person = StringField(
        "Person number", widget=GovTextInput(), validators=[Optional(), max_length("Person number", 12)]
    )
    date_from = GovDateField("From", validators=[Optional()])
    date_to = GovDateField("To", validators=[Optional()])
    submit = SubmitField("Filter", widget=GovSubmitInput())
