"""The notifications pages' forms."""

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField
from wtforms.validators import InputRequired

from casework.notifications.models import Choice, NotificationKind
from casework.notifications.services.preferences import CHOICE_NAMES
from casework.notifications.wording import CHOICE_LABELS
from casework.ui.fields import EnumRadioField, RadiosWidget


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
