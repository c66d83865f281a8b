"""What a back-dated assessment or conference would change in a victim's clocks.

The clocks are worked out twice by the SLA rules themselves (``sla.derive_clocks`` over
the victim's timeline), without and with the new entry, and the difference is put in
words. An entry dated before something already recorded about the victim, that changes
their clocks, is asked about before it is saved; whenever clocks that already ran
change, the audit keeps both versions.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casework.clock import local, local_date, spoken_time
from casework.dates import long_date
from casework.exceptions import DomainError
from casework.people.models import Person
from casework.victims.models import ClockKind, ClockOutcome, RiskLevel
from casework.victims.services import sla
from casework.victims.services.sla import Assessed, Clock, Timeline

# The id a new assessment is given in the timeline until it is stored: after every
# stored one, as its real id will be, so ties at one instant are ordered the same way.
NEW_ASSESSMENT = 2**62


def _when(at: datetime) -> str:
    moment = local(at)
    return f"{long_date(moment.date())} at {spoken_time(moment.time())}"


def _day(at: datetime) -> str:
    return long_date(local_date(at))


@dataclass
class _Episode:
    """A high-risk episode: the two clocks its starting assessment started."""

    start: datetime
    conference: Clock
    reduce: Clock

    def overlaps(self, other: "_Episode") -> bool:
        def end(episode: _Episode) -> datetime | None:
            return episode.reduce.met_at or episode.reduce.stopped_at

        mine, theirs = end(self), end(other)
        return (mine is None or other.start <= mine) and (theirs is None or self.start <= theirs)


def _episodes(clocks: list[Clock]) -> dict[int, _Episode]:
    by_start: dict[int, dict[ClockKind, Clock]] = {}
    for clock in clocks:
        by_start.setdefault(clock.started_by_assessment_id, {})[clock.kind] = clock
    return {
        key: _Episode(pair[ClockKind.REDUCE_7D].started_at, pair[ClockKind.CONFERENCE_72H], pair[ClockKind.REDUCE_7D])
        for key, pair in by_start.items()
    }


_OUTCOME = {
    ClockOutcome.OPEN: "open",
    ClockOutcome.MET: "on time",
    ClockOutcome.MET_LATE: "late",
    ClockOutcome.STOPPED: "stopped",
}


def _timing(clock: Clock) -> str:
    # Only wanted for a clock met, on time or late; others have no timing to tell.
    return _OUTCOME.get(clock.outcome, "")


# How a change to each clock reads: met where it was not, unmet where it was, met at
# another time, or met as before but now on time or late.
_REDUCE_WORDS = (
    "end {name}'s high-risk episode on {now} (risk brought down {timing})",
    "re-open {name}'s high-risk episode, which ended on {was}",
    "end {name}'s high-risk episode on {now} instead of {was}",
    "make {name}'s risk reduction {timing} instead of {timing_was}",
)
_CONFERENCE_WORDS = (
    "meet {name}'s case conference clock on {now} ({timing})",
    "leave {name}'s case conference clock unmet: the conference of {was} no longer counts",
    "meet {name}'s case conference clock on {now} instead of {was}",
    "make {name}'s case conference {timing} instead of {timing_was}",
)


def _clock_change(name: str, before: Clock, after: Clock, words: tuple[str, str, str, str]) -> list[str]:
    met, unmet, moved, retimed = words
    was, now = before.met_at, after.met_at
    said = dict(
        name=name,
        was=_when(was) if was else "",
        now=_when(now) if now else "",
        timing=_timing(after),
        timing_was=_timing(before),
    )
    if was is None and now is not None:
        return [met.format(**said)]
    if was is not None and now is None:
        return [unmet.format(**said)]
    if was is not None and now is not None and was != now:
        return [moved.format(**said)]
    if before.outcome is not after.outcome:
        return [retimed.format(**said)]
    return []


def _episode_change(name: str, before: _Episode, after: _Episode) -> list[str]:
    lines = []
    if before.start != after.start:
        lines.append(f"start {name}'s high-risk episode on {_day(after.start)} instead of {_day(before.start)}")
    lines += _clock_change(name, before.reduce, after.reduce, _REDUCE_WORDS)
    lines += _clock_change(name, before.conference, after.conference, _CONFERENCE_WORDS)
    return lines


def describe(name: str, before: list[Clock], after: list[Clock]) -> list[str]:
    """What changes from one version of a victim's clocks to the other, in words."""
    was, now = _episodes(before), _episodes(after)
    lines: list[str] = []
    for key in sorted(was.keys() & now.keys(), key=lambda k: was[k].start):
        lines += _episode_change(name, was[key], now[key])
    gone = sorted((was[key] for key in was.keys() - now.keys()), key=lambda e: e.start)
    new = sorted((now[key] for key in now.keys() - was.keys()), key=lambda e: e.start)
    for episode in new:
        replaced = next((old for old in gone if old.overlaps(episode)), None)
        if replaced is None:
            lines.append(f"start a high-risk episode for {name} on {_when(episode.start)}")
            continue
        gone.remove(replaced)
        lines += _episode_change(name, replaced, episode)
    lines += [f"remove {name}'s high-risk episode that started on {_when(old.start)}" for old in gone]
    return lines


def snapshot(clocks: list[Clock]) -> list[dict[str, Any]]:
    """The clocks as the audit keeps them: their starts, due times and outcomes."""
    return [
        {
            "kind": clock.kind.value,
            "started_at": clock.started_at.isoformat(),
            "due_at": clock.due_at.isoformat(),
            "outcome": clock.outcome.value,
            "met_at": clock.met_at.isoformat() if clock.met_at else None,
        }
        for clock in sorted(clocks, key=lambda c: (c.started_at, c.kind.value))
    ]


@dataclass
class Preview:
    """What an entry would change in the clocks of each victim it touches."""

    changes: list[str] = field(default_factory=list)
    clocks: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # by person id
    back_dated: bool = False

    @property
    def asks(self) -> bool:
        return self.back_dated and bool(self.changes)

    @property
    def token(self) -> str:
        """Names these changes, so a confirmation holds only for what was shown."""
        return hashlib.sha256("\n".join(self.changes).encode()).hexdigest()[:16]

    def add(self, person: Person, before: list[Clock], after: list[Clock], at: datetime, recorded: Timeline) -> None:
        lines = describe(person.full_name, before, after)
        if not lines:
            return
        self.changes += lines
        if before:  # clocks that already ran change: the audit keeps both versions
            self.clocks[person.id] = {"before": snapshot(before), "after": snapshot(after)}
        latest = recorded.latest()
        self.back_dated = self.back_dated or (latest is not None and at < latest)

    def audit_detail(self) -> dict[str, Any]:
        return {"clocks": {str(person_id): both for person_id, both in self.clocks.items()}} if self.clocks else {}

    def check(self, confirmed: str | None) -> None:
        """Raise ClocksWillChange unless the user has confirmed these very changes
        (``confirmed`` None: the caller is not a person at a form, and is not asked)."""
        if confirmed is not None and self.asks and confirmed != self.token:
            raise ClocksWillChange(self)


class ClocksWillChange(DomainError):
    """A back-dated entry would change clocks already running or finished: show what,
    and save it only once the user confirms."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("; ".join(preview.changes))
        self.changes = preview.changes
        self.token = preview.token


def assessment_preview(case_id: int, person: Person, at: datetime, level: RiskLevel) -> Preview:
    recorded = sla.timeline(case_id, person.id)
    with_it = Timeline(
        [*recorded.assessments, Assessed(at, level, NEW_ASSESSMENT)], recorded.conferences, recorded.stops
    )
    preview = Preview()
    preview.add(person, recorded.clocks(), with_it.clocks(), at, recorded)
    return preview


def conference_preview(case_id: int, victims: list[Person], held_at: datetime) -> Preview:
    preview = Preview()
    for person in victims:
        recorded = sla.timeline(case_id, person.id)
        with_it = Timeline(recorded.assessments, [*recorded.conferences, held_at], recorded.stops)
        preview.add(person, recorded.clocks(), with_it.clocks(), held_at, recorded)
    return preview
