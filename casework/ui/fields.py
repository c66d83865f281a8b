"""Fields and validators shared by the forms, with GOV.UK-style messages."""

from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from email_validator import EmailNotValidError, validate_email
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovRadioInput, GovTextInput
from wtforms import DateField, Field, IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.form import BaseForm
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from casework.clock import parse_time, today
from casework.paging import whole_number

# Record ids are 32-bit integer columns: a larger number names no record, and
# PostgreSQL refuses to compare it with one, so it is refused as not on the list.
LARGEST_ID = 2**31 - 1


def record_id(value: object) -> int:
    """Coerce a chosen record's id; ValueError (the field's "choose from the list"
    message) for anything that cannot be one."""
    number = int(str(value))
    if abs(number) > LARGEST_ID:
        raise ValueError(f"{value} is not a record id")
    return number


def optional_int(value: object) -> int | None:
    """Coerce a select's value: the empty choice is None."""
    if value in (None, ""):
        return None
    return record_id(value)


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


def is_email_address(value: str) -> bool:
    """The shape of an address only; surrounding spaces are ignored, as services strip
    them. The reserved .test domain (RFC 2606) is allowed: the demo accounts use it."""
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def email_address(_form: object, field: Field) -> None:
    if not is_email_address(field.data or ""):
        raise ValidationError(EMAIL_FORMAT)


def record_number(message: str) -> Callable[[object, Field], None]:
    """A record's number typed in a box (blank is left to Optional): ASCII digits that
    can name a record, read as ``paging.whole_number`` reads the query string."""

    def check(_form: object, field: Field) -> None:
        text = (field.data or "").strip()
        if text and whole_number(text) is None:
            raise StopValidation(message)

    return check


OPTIONAL = " (optional)"


def plain_name(field: Field) -> str:
    """The field's label for its messages: 'Date of birth must be a real date', never
    'Date of birth (optional) must be ...'."""
    return str(field.label.text).removesuffix(OPTIONAL)


def shaped(rule: Callable[[str], bool], message: str) -> Callable[[object, Field], None]:
    """Text that must have a shape (a postcode, a phone number); blank is left to the
    field's other validators."""

    def check(_form: object, field: Field) -> None:
        text = field.data or ""
        if text.strip() and not rule(text):
            raise ValidationError(message)

    return check


def max_length(label: str, maximum: int) -> Length:
    return Length(max=maximum, message=f"{label} must be {maximum} characters or fewer")


class _LegendFromLabel:
    """Keep the field's label as the fieldset legend when a template styles the legend.

    govuk-frontend-wtf fills the legend only when no fieldset params are passed, so
    `params={'fieldset': {'legend': {'classes': ...}}}` would leave it empty.
    """

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)  # type: ignore[misc]  # a mixin: the widget comes next
        legend = params.setdefault("fieldset", {}).setdefault("legend", {})
        legend.setdefault("text", field.label.text)
        return params


class RadiosWidget(_LegendFromLabel, GovRadioInput):
    pass


class DateWidget(_LegendFromLabel, GovDateInput):
    pass


class GovDateField(DateField):
    """Day, month and year boxes, with messages a person can act on."""

    widget = DateWidget()

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
            raise ValueError(f"{plain_name(self)} must include a day, month and year")
        try:
            day, month, year = (int(part) for part in valuelist)
            self.data = date(year, month, day)
        except (ValueError, OverflowError):  # a year too big for a C int overflows
            self.data = None
            raise ValueError(f"{plain_name(self)} must be a real date") from None
        if year < 1900:
            self.data = None
            raise ValueError(f"{plain_name(self)} must be after 1900")

    @property
    def given(self) -> date:
        """The date, on a form that has passed validation (a required date)."""
        if self.data is None:
            raise ValueError(f"{self.name} has no date: validate the form first")
        return self.data

    def pre_validate(self, form: object) -> None:
        if self.past_only and self.data is not None and self.data > today():
            raise ValidationError(f"{plain_name(self)} must be in the past")

    def post_validate(self, form: object, validation_stopped: bool) -> None:
        # Optional() clears the errors whenever the day box is blank, which would let a
        # date with only a month or a year through as no date at all: put them back.
        errors = list(self.errors)
        errors += [message for message in self.process_errors if message not in errors]
        self.errors = errors


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


class _ChoiceMessage:
    """Replace WTForms' "Not a valid choice" with a message a person can act on.

    Used where a tampered or stale form can send a value that is not on the list.
    """

    data: Any

    def __init__(self, *args: object, invalid_message: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None

    def pre_validate(self, form: object) -> None:
        try:
            super().pre_validate(form)  # type: ignore[misc]
        except ValidationError:
            raise ValidationError(self.invalid_message) from None


class ChoiceSelectField(_ChoiceMessage, SelectField):
    pass


class ChoiceRadioField(_ChoiceMessage, RadioField):
    pass


def date_required(message: str) -> Any:
    """Like DataRequired for a GovDateField, without the `required` flag, which the
    date widget would put on its container as an (invalid) attribute."""

    def check(_form: object, field: Field) -> None:
        if field.data is None:
            # A date that could not be read already has its own message.
            raise StopValidation("" if field.errors else message)

    return check


class TimeField(StringField):
    """A time of day as people write it ('14:30', '2:30pm'); ``data`` stays the text
    typed, so the page shows it back, and ``time`` holds what it means."""

    widget = GovTextInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("description", "For example, 14:30 or 2:30pm")
        super().__init__(label, **kwargs)
        self.time: time | None = None

    def pre_validate(self, form: object) -> None:
        self.time = None
        text = (self.data or "").strip()
        if not text:
            raise ValidationError(f"Enter the {plain_name(self).lower()}")
        try:
            self.time = parse_time(text)
        except ValueError as error:
            raise ValidationError(str(error)) from None


UNKNOWN_AGENCY = "Select agencies from the list"


class CheckboxesWidget(_LegendFromLabel, GovCheckboxesInput):
    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params["hint"] = None  # no empty hint for the fieldset to point at
        return params


class AgencyCheckboxesField(SelectMultipleField):
    """Agencies as checkboxes; a tampered value gets a message a person can act on."""

    widget = CheckboxesWidget()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=record_id, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(UNKNOWN_AGENCY) from None

    def pre_validate(self, form: BaseForm) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(UNKNOWN_AGENCY) from None


class Labelled(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


def choices(members: Iterable[Labelled]) -> list[tuple[str, str]]:
    """A select's or radios' choices from an enum (or some of its members), each member
    shown by its label."""
    return [(member.value, member.label) for member in members]


E = TypeVar("E", bound=StrEnum)


def _enum_coerce(enum: type[E]) -> Callable[[object], E | None]:
    def coerce(value: object) -> E | None:
        if value is None or value == "":
            return None  # the empty choice ("Any status") or nothing chosen
        try:
            return enum(str(value))
        except ValueError:
            # Kept as sent, so that validation says it is not on the list (a required
            # choice would otherwise say only that nothing was chosen).
            return value  # type: ignore[return-value]

    return coerce


class _EnumChoices(Generic[E]):
    """A choice of an enum's members whose ``data`` is the member itself (or None), so
    views pass it on as it is. The choices are the given members, or all of them, each
    shown by its label (or as ``labels`` says); ``blank`` puts an empty choice first with that text."""

    name: str
    data: E | None

    def __init__(
        self,
        label: str,
        enum: type[E],
        *,
        members: Iterable[Labelled] | None = None,
        labels: Mapping[E, str] | None = None,
        blank: str | None = None,
        **kwargs: Any,
    ) -> None:
        offered = (
            [(member.value, label) for member, label in labels.items()]
            if labels is not None
            else choices(members if members is not None else enum)
        )
        kwargs.setdefault("invalid_message", "Select an option from the list")
        super().__init__(  # type: ignore[call-arg]  # a mixin: the choice field comes next
            label, choices=([("", blank)] if blank is not None else []) + offered, coerce=_enum_coerce(enum), **kwargs
        )

    @property
    def chosen(self) -> E:
        """The member chosen, on a form that has passed validation (a required choice)."""
        if self.data is None:
            raise ValueError(f"{self.name} has no member chosen: validate the form first")
        return self.data


class EnumRadioField(_EnumChoices[E], ChoiceRadioField):
    pass


class EnumSelectField(_EnumChoices[E], ChoiceSelectField):
    pass
