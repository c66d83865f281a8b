"""Form handling shared by several blueprints: typed local times and the quarter chooser."""

from datetime import datetime

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
    """Put a service's refusal on the form, next to the field it concerns."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and not isinstance(field.errors, tuple):
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
    form._errors = None  # WTForms caches the error dict; rebuild it with this one


def submitted_moment(form: FlaskForm, day_field: str, time_field: str) -> datetime | None:
    """Validate a submitted form and work out the UTC instant of its local date and time.

    None unless the whole form is valid and the time existed; the time is checked even
    when other fields have errors, so every problem is shown at once.
    """
    valid = form.validate()
    day, at = form[day_field], form[time_field]
    if day.errors or at.errors or day.data is None or at.time is None:
        return None
    try:
        when = to_utc(day.data, at.time)
    except NonexistentTime as error:
        show_error(form, InvalidInput(str(error), field=time_field))
        return None
    return when if valid else None


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
