"""Form handling shared by several blueprints: typed local times and the quarter chooser."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from flask import request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectField

from casework.clock import NonexistentTime, Quarter, local_now, parse_quarter, recent_quarters, to_utc
from casework.exceptions import InvalidInput


class ChooseQuarterForm(FlaskForm):
    """The dashboard's quarter, sent by GET so a quarter's figures have a link.

    The choices are set by the view; the service parses the key and refuses one that
    is malformed or has not started, with a message for the field.
    """

    class Meta:
        csrf = False

    quarter = SelectField("Quarter", widget=GovSelect(), validate_choice=False)


def show_error(form: FlaskForm, error: InvalidInput) -> None:
    """Put a service's refusals on the form, each next to the field it concerns."""
    for problem in error.problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None and not isinstance(field.errors, tuple):
            if problem.message not in field.errors:
                field.errors.append(problem.message)
        elif problem.message not in form.form_errors:
            form.form_errors.append(problem.message)
    form._errors = None  # WTForms caches the error dict; rebuild it with these


def keep_version(form: FlaskForm, version: int) -> None:
    """The version a form is saved against: the record's as shown on this page, so that
    after a conflict, saving again is checked against what is saved now."""
    form.version.data, form.version.raw_data = version, [str(version)]


class MomentForm(FlaskForm):
    """A form with a local date and a time of day (``moment_fields``) that together name
    an instant: once validated, ``moment`` is that instant in UTC, or None.

    The instant is worked out whenever both fields parsed, even when other fields have
    errors, so that a time the clocks skipped is shown with every other problem and the
    service's checks can look at the date.
    """

    moment_fields: ClassVar[tuple[str, str]]
    moment: datetime | None = None

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        self.moment = None
        day_field, time_field = self.moment_fields
        day, at = self[day_field], self[time_field]
        if day.errors or at.errors or day.data is None or at.time is None:
            return False
        try:
            self.moment = to_utc(day.data, at.time)
        except NonexistentTime as error:
            show_error(self, InvalidInput(str(error), field=time_field))
            return False
        return valid

    def when(self) -> datetime:
        """The instant, on a form that has passed validation."""
        if self.moment is None:
            raise ValueError("The form has no valid date and time: validate it first")
        return self.moment


def fill_with_now(form: FlaskForm, day_field: str, time_field: str) -> None:
    """A new record happened now, unless the user says otherwise."""
    now = local_now()
    form[day_field].data = now.date()
    form[time_field].data = f"{now:%H:%M}"


def chosen_quarter(now: datetime, offered_count: int) -> tuple[ChooseQuarterForm, Quarter]:
    """The quarter a report page shows (the current one unless ?quarter= names another),
    and its chooser form, with a field error for a key that names no quarter."""
    form = ChooseQuarterForm(request.args)
    offered = recent_quarters(now, offered_count)
    quarter = offered[0]
    if "quarter" in request.args:
        form.validate()  # the shape; the service decides whether the key names a quarter
        try:
            quarter = parse_quarter(form.quarter.data, now)
        except InvalidInput as error:
            show_error(form, error)
    form.quarter.data = quarter.key
    if quarter not in offered:  # an older quarter, from a link
        offered.append(quarter)
    form.quarter.choices = [(q.key, q.label) for q in offered]
    return form, quarter
