"""The traffic light rules for licensed premises (DESIGN.md section 3.3), with no database.

- Deadlines are set when a premises enters a colour: red must reach amber, and amber
  must reach green, within 3 calendar months; an amber premises must be visited within
  28 days. A red premises past its deadline is flagged for a licensing review.
- The suggested colour comes from the incident log: the number of different agencies
  that reported incidents at the premises over a rolling window. It suggests; officers
  decide. ``suggest`` is the one place the policy lives, so it can be replaced.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from casework.clock import add_days, add_months
from casework.premises.models import TlsStatus


@dataclass(frozen=True)
class TlsRules:
    red_to_amber_months: int = 3
    amber_to_green_months: int = 3
    amber_visit_days: int = 28
    suggestion_window_days: int = 90

    @classmethod
    def from_config(cls, config: Any) -> "TlsRules":
        return cls(
            red_to_amber_months=int(config.get("TLS_RED_TO_AMBER_MONTHS", cls.red_to_amber_months)),
            amber_to_green_months=int(config.get("TLS_AMBER_TO_GREEN_MONTHS", cls.amber_to_green_months)),
            amber_visit_days=int(config.get("TLS_AMBER_VISIT_DAYS", cls.amber_visit_days)),
            suggestion_window_days=int(config.get("TLS_SUGGESTION_WINDOW_DAYS", cls.suggestion_window_days)),
        )


# --- Calendar arithmetic --------------------------------------------------------------


# --- Deadlines ------------------------------------------------------------------------


class DeadlineKind(StrEnum):
    REACH_AMBER = "reach_amber"
    REACH_GREEN = "reach_green"
    AMBER_VISIT = "amber_visit"

    @property
    def label(self) -> str:
        return {
            "reach_amber": "Reach amber",
            "reach_green": "Reach green",
            "amber_visit": "Licensing visit",
        }[self.value]


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due_at: datetime
    met: bool = False

    def overdue(self, now: datetime) -> bool:
        return not self.met and now > self.due_at

    @property
    def review_when_overdue(self) -> bool:
        """A red premises that has not reached amber in time goes to a licensing review."""
        return self.kind is DeadlineKind.REACH_AMBER


def deadlines(
    status: TlsStatus,
    since: datetime,
    last_visit_at: datetime | None,
    rules: TlsRules,
) -> list[Deadline]:
    """The deadlines a premises has in its current colour, entered at ``since``.

    Moving colour meets a colour deadline, so none is ever shown met. The visit
    deadline is met by any visit at or after the premises turned amber, on time or not.
    """
    if status is TlsStatus.RED:
        return [Deadline(DeadlineKind.REACH_AMBER, add_months(since, rules.red_to_amber_months))]
    if status is TlsStatus.AMBER:
        visited = last_visit_at is not None and last_visit_at >= since
        return [
            Deadline(DeadlineKind.REACH_GREEN, add_months(since, rules.amber_to_green_months)),
            Deadline(DeadlineKind.AMBER_VISIT, add_days(since, rules.amber_visit_days), met=visited),
        ]
    return []


def needs_licensing_review(status: TlsStatus, since: datetime, now: datetime, rules: TlsRules) -> bool:
    return any(
        deadline.review_when_overdue and deadline.overdue(now) for deadline in deadlines(status, since, None, rules)
    )


# --- The suggested colour -------------------------------------------------------------


def window_start(now: datetime, rules: TlsRules) -> datetime:
    """The oldest incident that still counts: the window is inclusive at both ends.

    An incident exactly ``suggestion_window_days`` (elapsed days of 24 hours) before
    ``now`` counts; one a second older does not. Callers select
    ``window_start(now) <= occurred_at <= now``.
    """
    return now - timedelta(days=rules.suggestion_window_days)


def in_window(occurred_at: datetime, now: datetime, rules: TlsRules) -> bool:
    return window_start(now, rules) <= occurred_at <= now


@dataclass(frozen=True)
class Suggestion:
    status: TlsStatus
    explanation: str


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def suggest(reporting_agency_names: Collection[str], *, window_days: int = 90) -> Suggestion:
    """No reporting agency: green; one agency: amber; more than one: red.

    ``reporting_agency_names`` are the agencies that reported incidents at the premises
    in the window; the same agency reporting twice counts once.
    """
    names = sorted(set(reporting_agency_names))
    if not names:
        return Suggestion(TlsStatus.GREEN, f"no incidents reported in the last {window_days} days, so green")
    status = TlsStatus.AMBER if len(names) == 1 else TlsStatus.RED
    agencies = "1 agency" if len(names) == 1 else f"{len(names)} agencies"
    return Suggestion(
        status,
        f"incidents in the last {window_days} days reported by {_listed(names)}: {agencies}, so {status.value}",
    )
