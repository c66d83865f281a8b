"""How far back and how far ahead a typed date of an event may be.

A date typed on a form is checked against what it is about: an event is never before
the person's date of birth, nor more than ``backdating_days`` before the case or the
premises record was opened; a date further ahead than ``horizon_months`` is asked about
before it is saved. The floor is counted in whole local days, so the message can name a
date: everything from the first minute of that day (UK time) is allowed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from casework.clock import add_months, local_date, make_quarter, quarter_of, start_of_day, today, utcnow
from casework.exceptions import Checks


@dataclass(frozen=True)
class DateBounds:
    backdating_days: int = 31
    horizon_months: int = 12

    @classmethod
    def from_config(cls, config: Any) -> "DateBounds":
        return cls(
            backdating_days=int(config.get("BACKDATING_DAYS", cls.backdating_days)),
            horizon_months=int(config.get("FUTURE_HORIZON_MONTHS", cls.horizon_months)),
        )


DEFAULT_BOUNDS = DateBounds()


def long_date(day: date) -> str:
    """'2 November 2026'."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Floor:
    """The first local day an event may be on, and why."""

    day: date
    because: str

    @property
    def at(self) -> datetime:
        """The first instant allowed: local midnight at the start of ``day``, in UTC."""
        return start_of_day(self.day)

    @property
    def message(self) -> str:
        return f"The date must be on or after {long_date(self.day)}, {self.because}"


def floor(
    opened_at: datetime,
    record: str,
    bounds: DateBounds = DEFAULT_BOUNDS,
    *,
    born_on: date | None = None,
    name: str = "",
    since: str = "",
) -> Floor:
    """The earliest day for an event on a record (``record``: "case", "premises record")
    opened at ``opened_at``, about a person born on ``born_on`` if one is involved.
    ``since`` words the moment when it is not an opening ("the meeting")."""
    days = bounds.backdating_days
    earliest = Floor(
        local_date(opened_at) - timedelta(days=days),
        f"{days} day{'' if days == 1 else 's'} before {since or f'the {record} was opened'}",
    )
    if born_on is not None and born_on > earliest.day:
        whose = f"{name}'s" if name else "the person's"
        return Floor(born_on, f"{whose} date of birth")
    return earliest


def plan_floor(bounds: DateBounds = DEFAULT_BOUNDS) -> Floor:
    """The earliest day for a date in the delivery plan (a milestone, an action's due
    date): the plan is the partnership's plan for the financial year, so a little
    before the current one began."""
    year_began = make_quarter(quarter_of(utcnow()).year, 1).start
    return floor(year_began, "plan", bounds, since="the current financial year began")


def check_floor(checks: Checks, moment: datetime | None, earliest: Floor, *, field: str) -> None:
    """Refuse an instant before the floor (None: the form could not read it)."""
    if moment is not None and moment < earliest.at:
        checks.refuse(earliest.message, field=field)


def check_floor_day(checks: Checks, day: date | None, earliest: Floor, *, field: str) -> None:
    """Refuse a date (with no time of day) before the floor."""
    if day is not None and day < earliest.day:
        checks.refuse(earliest.message, field=field)


def horizon(bounds: DateBounds = DEFAULT_BOUNDS) -> date:
    """The last local day that is not "far ahead": today plus ``horizon_months``."""
    return local_date(add_months(start_of_day(today()), bounds.horizon_months))


def far_ahead(day: date, bounds: DateBounds = DEFAULT_BOUNDS) -> bool:
    """A date so far ahead that it is more likely a slip than a plan (2099 for 2026)."""
    return day > horizon(bounds)


def horizon_words(bounds: DateBounds = DEFAULT_BOUNDS) -> str:
    """'a year', '18 months': how far ahead is far, in a sentence."""
    months = bounds.horizon_months
    if months % 12 == 0:
        years = months // 12
        return "a year" if years == 1 else f"{years} years"
    return "a month" if months == 1 else f"{months} months"
