"""The one clock: the current time, the partnership's time zone, and calendar arithmetic
on local dates (months, days, financial quarters).

Times are stored in UTC and shown in UK local time. Everything that reads the time or
converts to or from local time goes through here, so that tests can move time with
time-machine and no module keeps a zone of its own.
"""

import calendar
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casework.exceptions import InvalidInput

# Partnerships are in England and Wales: deadlines and quarters follow UK local time.
ZONE = ZoneInfo("Europe/London")


# Set only by as_of(), for the demo partnership: unset, now is the machine's time.
_as_of: ContextVar[datetime | None] = ContextVar("as_of", default=None)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: what is stored and compared."""
    return _as_of.get() or datetime.now(UTC)


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Within the block, now is ``moment`` (an aware datetime).

    The demo partnership records its past through the same services a user's request
    calls, each event at the moment its story says it happened; nothing else uses this.
    """
    if moment.tzinfo is None:
        raise ValueError("as_of needs an aware datetime")
    token = _as_of.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _as_of.reset(token)


def timestamp() -> float:
    """Seconds since the epoch, for the session's bookkeeping."""
    return utcnow().timestamp()


def local_now() -> datetime:
    return utcnow().astimezone(ZONE)


def today() -> date:
    """Today's local date."""
    return local_now().date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZONE)


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def start_of_day(day: date) -> datetime:
    """The UTC instant of local midnight at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)


# --- Times as people type them -------------------------------------------------------

TIME_FORMAT = "Enter a time like 14:30 or 2:30pm"

_TIME = re.compile(r"^(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>[ap]\.?m\.?)?$")


class NonexistentTime(ValueError):
    """A local time the clocks skipped when they went forward."""


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


def to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a local date and time.

    - A time that did not exist (the hour skipped when the clocks go forward in March)
      is refused with NonexistentTime: guessing which instant was meant would move a
      recorded event by an hour.
    - A time that happened twice (the hour repeated when the clocks go back in October)
      is taken as its first occurrence, in summer time (BST). Someone typing 1:30am on
      that night most likely means the first 1:30am; a later correction can be made by
      recording the event again with the right time.
    """
    local = datetime.combine(day, at, tzinfo=ZONE)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(ZONE).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(f"{spoken_time(at)} did not exist on {day.day} {day:%B %Y}: the clocks went forward")
    return instant


# --- Months and days --------------------------------------------------------------------


def _local_moment(day: date, moment: datetime) -> datetime:
    """``moment``'s local time of day on another local date, as a UTC instant.

    The local time is kept, so a deadline set at 9am in summer is due at 9am in winter.
    A time the clocks skip (1:30am on the last Sunday of March) is read with the offset
    before the change, so it lands an hour later in summer time.
    """
    local = moment.astimezone(ZONE)
    return datetime.combine(day, local.time(), tzinfo=ZONE).astimezone(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """``months`` calendar months after ``moment``, on the local date.

    The day is clamped to the end of a shorter month: 30 November + 3 months is
    28 February (29 in a leap year), 31 August + 3 months is 30 November.
    """
    local = moment.astimezone(ZONE)
    month_index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _local_moment(date(year, month, day), moment)


def add_days(moment: datetime, days: int) -> datetime:
    """``days`` calendar days after ``moment``, keeping the local time of day."""
    return _local_moment(moment.astimezone(ZONE).date() + timedelta(days=days), moment)


# --- Financial quarters ------------------------------------------------------------------

_QUARTER_KEY = re.compile(r"(?P<year>[0-9]{4})-Q(?P<number>[1-4])")


_FIRST_YEAR = 2000


@dataclass(frozen=True)
class Quarter:
    """A financial quarter: ``year`` is the year the financial year starts (2026 for
    2026/27). ``start`` and ``end`` are the UTC instants of local midnight that
    bound it (end excluded)."""

    year: int
    number: int
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}/{(self.year + 1) % 100:02d}"

    @property
    def months(self) -> str:
        """'October to December 2026'."""
        months = ("April to June", "July to September", "October to December", "January to March")[self.number - 1]
        return f"{months} {self.year + 1 if self.number == 4 else self.year}"


def make_quarter(year: int, number: int) -> Quarter:
    def local_midnight(index: int) -> datetime:
        fy, n = divmod(index, 4)
        month = (4, 7, 10, 1)[n]
        calendar_year = fy + 1 if n == 3 else fy
        return datetime(calendar_year, month, 1, tzinfo=ZONE).astimezone(UTC)

    index = year * 4 + number - 1
    return Quarter(year, number, local_midnight(index), local_midnight(index + 1))


def quarter_of(moment: datetime) -> Quarter:
    """The financial quarter a moment falls in, by the local calendar."""
    local = moment.astimezone(ZONE)
    year = local.year if local.month >= 4 else local.year - 1
    number = (local.month - 4) % 12 // 3 + 1
    return make_quarter(year, number)


def previous_quarters(quarter: Quarter, count: int) -> list[Quarter]:
    """``count`` quarters ending with ``quarter``, newest first."""
    indexes = (quarter.year * 4 + quarter.number - 1 - step for step in range(count))
    return [make_quarter(index // 4, index % 4 + 1) for index in indexes]


def recent_quarters(now: datetime, count: int = 8) -> list[Quarter]:
    """The current quarter and the ones before it, newest first, for a select."""
    return previous_quarters(quarter_of(now), count)


def parse_quarter(key: str | None, now: datetime) -> Quarter:
    """The quarter a key like '2026-Q3' names; InvalidInput (field ``quarter``) for
    anything else, or for a quarter that has not started yet."""
    match = _QUARTER_KEY.fullmatch((key or "").strip())
    if not match:
        raise InvalidInput("Select a quarter from the list", field="quarter")
    quarter = make_quarter(int(match["year"]), int(match["number"]))
    if quarter.year < _FIRST_YEAR or quarter.start > now:
        raise InvalidInput("Select a quarter that has already started", field="quarter")
    return quarter
