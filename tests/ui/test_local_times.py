"""Times as pages show them, in the partnership's time zone."""

from datetime import UTC, date, datetime, timedelta

from casework.clock import ZONE
from casework.ui.templating import local_date, local_datetime


def _by_strftime(value: datetime) -> str:
    local = value.astimezone(ZONE)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def test_a_time_is_written_as_strftime_would_write_it_every_hour_of_the_year_and_across_clock_changes() -> None:
    start = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    instants = [start + timedelta(minutes=53 * step) for step in range(10_000)]  # a year, every minute of the hour
    instants += [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    instants += [datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
    for instant in instants:
        assert local_datetime(instant) == _by_strftime(instant), instant


def test_noon_midnight_and_summer_time() -> None:
    assert local_datetime(datetime(2026, 12, 2, 0, 5, tzinfo=UTC)) == "2 December 2026 at 12:05am"
    assert local_datetime(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == "2 December 2026 at 12:00pm"
    assert local_datetime(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "2 July 2026 at 12:30am"
    assert local_datetime(datetime(2026, 7, 1, 13, 9, tzinfo=UTC)) == "1 July 2026 at 2:09pm"
    assert local_datetime(None) == ""


def test_a_date_is_written_as_strftime_would_write_it_every_day_of_the_year_and_at_midnight_in_summer() -> None:
    for day in range(366):
        value = date(2028, 1, 1) + timedelta(days=day)
        assert local_date(value) == f"{value.day} {value:%B %Y}", value
    assert local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"
    assert local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "31 December 2026"
    assert local_date(None) == ""
