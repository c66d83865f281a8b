"""Dates and times as people type them, in the partnership's time zone.

Times are stored in UTC and shown in local time (DISPLAY_TIMEZONE, Europe/London);
these functions turn what a user typed into the UTC instant it means.
"""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

TIME_FORMAT = "Enter a time like 14:30 or 2:30pm"

_TIME = re.compile(r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>[ap]\.?m\.?)?$")


class NonexistentTime(ValueError):
    """A local time the clocks skipped when they went forward."""


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def parse_time(text: str) -> time:
    """'14:30', '9:05', '2:30pm', '2.30pm', '12pm', 'midday' or 'midnight'.

    A 24-hour time needs its minutes ('9' alone could be 9am or 9pm); a 12-hour time
    may leave them out ('12pm'). Raises ValueError with a message for the user.
    """
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in ("midday", "noon", "12 midday", "12 noon"):
        return time(12, 0)
    if cleaned in ("midnight", "12 midnight"):
        return time(0, 0)
    match = _TIME.match(cleaned)
    if match is None:
        raise ValueError(TIME_FORMAT)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if minute > 59:
        raise ValueError(TIME_FORMAT)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(TIME_FORMAT)
        hour = hour % 12 + (12 if match["half"].startswith("p") else 0)
    elif match["minute"] is None or hour > 23:
        raise ValueError(TIME_FORMAT)
    return time(hour, minute)


def spoken_time(value: time) -> str:
    """'1:30am', '2:05pm': how the rest of the service writes times."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


def to_utc(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant of a local date and time.

    - A time that did not exist (the hour skipped when the clocks go forward in March)
      is refused with NonexistentTime: guessing which instant was meant would move a
      recorded event by an hour.
    - A time that happened twice (the hour repeated when the clocks go back in October)
      is taken as its first occurrence, in summer time (BST). Someone typing 1:30am on
      that night most likely means the first 1:30am; a later correction can be made by
      recording the event again with the right time.
    """
    tz = tz or zone()
    local = datetime.combine(day, at, tzinfo=tz)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(
            f"{spoken_time(at)} did not exist on {day.day} {day:%B %Y}: the clocks went forward"
        )
    return instant


def local_now(tz: ZoneInfo | None = None) -> datetime:
    return datetime.now(tz or zone())
