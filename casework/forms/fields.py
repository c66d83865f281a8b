"""Fields and validators shared by the forms, with GOV.UK-style messages."""

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, Field, IntegerField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import HiddenInput


def max_length(label: str, maximum: int) -> Length:
    return Length(max=maximum, message=f"{label} must be {maximum} characters or fewer")


class GovDateField(DateField):
    """Day, month and year boxes, with messages a person can act on."""

    widget = GovDateInput()

    def __init__(self, label: str, *, past_only: bool = False, **kwargs: object) -> None:
        super().__init__(label, format="%d %m %Y", **kwargs)  # type: ignore[arg-type]
        self.past_only = past_only

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:
            # The widget redraws three boxes from raw_data, so it needs exactly three.
            self.raw_data = None
        if not valuelist or not any(part.strip() for part in valuelist):
            self.data = None
            return
        if len(valuelist) != 3 or not all(part.strip() for part in valuelist):
            self.data = None
            raise ValueError(f"{self.label.text} must include a day, month and year")
        try:
            day, month, year = (int(part) for part in valuelist)
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from None
        if year < 1900:
            self.data = None
            raise ValueError(f"{self.label.text} must be after 1900")

    def pre_validate(self, form: object) -> None:
        if self.past_only and self.data is not None and self.data > date.today():
            raise ValidationError(f"{self.label.text} must be in the past")


class VersionField(IntegerField):
    """The version of the record the form was loaded from, for spotting stale edits."""

    widget = HiddenInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("The form was changed before it was sent. Reload the page and try again.") from None


def required_version(_form: object, field: Field) -> None:
    if field.data is None:
        raise ValidationError("The form was changed before it was sent. Reload the page and try again.")
