from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired

from casework.limits import REASON_MAX
from casework.ui.fields import VersionField, max_length, required_version


class LegalHoldForm(FlaskForm):
    """Place a legal hold on a case, or lift it: either way with the reason."""

    version = VersionField(validators=[required_version])
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter the reason"), max_length("Reason", REASON_MAX)],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())
