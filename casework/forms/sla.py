from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectField


class ChooseQuarterForm(FlaskForm):
    """The dashboard's quarter, sent by GET so a quarter's figures have a link.

    The choices are set by the view; the service parses the key and refuses one that
    is malformed or has not started, with a message for the field.
    """

    class Meta:
        csrf = False

    quarter = SelectField("Quarter", widget=GovSelect(), validate_choice=False)
