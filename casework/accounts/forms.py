from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from casework.accounts.models import EMAIL_MAX
from casework.accounts.services import passwords
from casework.ui.fields import max_length


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter your email address"), max_length("Email address", EMAIL_MAX)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter your password"),
            Length(max=passwords.MAX_LENGTH, message="Enter your password"),
        ],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter your current password"), Length(max=passwords.MAX_LENGTH)],
    )
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="12 characters or more. A few unrelated words make a strong password.",
        validators=[DataRequired(message="Enter a new password"), max_length("New password", passwords.MAX_LENGTH)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[DataRequired(message="Enter the security code"), max_length("Security code", 64)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TwoFactorSetupForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code your authenticator app shows for Casework.",
        validators=[DataRequired(message="Enter the security code"), max_length("Security code", 16)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RegenerateRecoveryCodesForm(FlaskForm):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter your password"),
            Length(max=passwords.MAX_LENGTH, message="Enter your password"),
        ],
    )
    submit = SubmitField("Make new recovery codes", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="The address you sign in to Casework with.",
        validators=[DataRequired(message="Enter your email address"), max_length("Email address", EMAIL_MAX)],
    )
    submit = SubmitField("Send a link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="12 characters or more. A few unrelated words make a strong password.",
        validators=[DataRequired(message="Enter a new password"), max_length("New password", passwords.MAX_LENGTH)],
    )
    password_again = PasswordField(
        "New password again",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Enter the new password again"),
            max_length("New password again", passwords.MAX_LENGTH),
        ],
    )
    submit = SubmitField("Set new password", widget=GovSubmitInput())
