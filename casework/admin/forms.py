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
from casework.audit import services as audit
from casework.cases.models import REFERENCE_MAX
from casework.limits import LINE_MAX
from casework.permissions import Role
from casework.ui.fields import (
    ChoiceSelectField,
    EnumRadioField,
    GovDateField,
    RadiosWidget,
    VersionField,
    email_address,
    max_length,
    optional_int,
    record_number,
    required_version,
)


class _UserDetailsForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the full name"), max_length("Full name", LINE_MAX)],
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
        description="12 characters or more. Give it to the user in person or by phone; they choose their own when they first sign in.",
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


class TemporaryPasswordForm(FlaskForm):
    """On the user's page, so its fields carry a prefix of their own."""

    version = VersionField(validators=[required_version])
    password = PasswordField(
        "Temporary password (optional)",
        widget=GovPasswordInput(),
        description="Leave this empty and Casework will make a strong one. If you type one, it must be 12 characters or more.",
        validators=[Optional(), max_length("Temporary password", passwords.MAX_LENGTH)],
    )
    submit = SubmitField("Set a temporary password", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the agency name"), max_length("Name", LINE_MAX)],
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

    kind = ChoiceSelectField(
        "Kind of event",
        choices=[("", "Any kind")] + [(key, kind.label) for key, kind in audit.EVENT_KINDS.items()],
        widget=GovSelect(),
        invalid_message="Select a kind of event from the list",
        validators=[Optional()],
    )
    user = SelectField("User", coerce=optional_int, widget=GovSelect(), validators=[Optional()])
    case = StringField(
        "Case reference", widget=GovTextInput(), validators=[Optional(), max_length("Case reference", REFERENCE_MAX)]
    )
    person = StringField(
        "Person number",
        widget=GovTextInput(),
        validators=[Optional(), record_number("Person number must be a number, like 1042")],
    )
    date_from = GovDateField("From", validators=[Optional()])
    date_to = GovDateField("To", validators=[Optional()])
    submit = SubmitField("Filter", widget=GovSubmitInput())
