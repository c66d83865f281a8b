"""The notifications pages' forms."""

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from casework.cases.models import ACCESS_DECLINE_REASON_MAX
from casework.notifications.models import Choice, NotificationKind
from casework.notifications.services.preferences import CHOICE_NAMES
from casework.notifications.wording import CHOICE_LABELS
from casework.ui.fields import EnumRadioField, RadiosWidget, max_length


def _about(label: str) -> str:
    return label[0].lower() + label[1:]


class NotificationPreferencesForm(FlaskForm):
    """One choice per kind a user may choose about (`wording.CHOICE_LABELS`), each a field
    named after the kind; the fields are added below, from the labels."""

    submit = SubmitField("Save choices", widget=GovSubmitInput())

    def chosen(self) -> dict[NotificationKind, Any]:
        return {kind: getattr(self, kind.value).data for kind in CHOICE_LABELS}

    def choice_fields(self) -> list[Any]:
        return [getattr(self, kind.value) for kind in CHOICE_LABELS]


for _kind, _label in CHOICE_LABELS.items():
    setattr(
        NotificationPreferencesForm,
        _kind.value,
        EnumRadioField(
            _label,
            Choice,
            labels=CHOICE_NAMES,
            widget=RadiosWidget(),
            invalid_message=f"Select one of the three choices for {_about(_label)}",
            validators=[InputRequired(message=f"Select how to be told about {_about(_label)}")],
        ),
    )


class MarkAllReadForm(FlaskForm):
    """The "Mark all as read" button: nothing but its CSRF token."""


class RetryForm(FlaskForm):
    """The retry button on /admin/notifications: its CSRF token and nothing else."""


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
