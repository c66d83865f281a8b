"""A premises' timeline: what was recorded about it (moves of colour, incidents, visits,
hearings, accreditation) and its actions' history, newest first, a page at a time.

The busiest premises have thousands of incidents, so the timeline is never read whole:
the premises page shows the latest ``TIMELINE_SHOWN`` entries and how many there are in
all, and the timeline's own page goes through the rest ``TIMELINE_PER_PAGE`` at a time.
Each kind of record is read from its own index range (``premises_id`` and time), only as
many as the page needs, and the kinds are merged here. Paging is by key, not by offset:
an entry's key is its time, then its kind, then its id, so entries at the same instant
keep one order and no page repeats or skips one, however far back it is.
"""

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from casework import db
from casework.actions.services.action_timeline import TimelineItem
from casework.clock import ZONE, local_date
from casework.premises.models import (
    AccreditationChange,
    LicensingHearing,
    PremisesIncident,
    PremisesStatusChange,
    PremisesVisit,
)

TIMELINE_SHOWN = 25
TIMELINE_PER_PAGE = 50

# Among entries at the same instant, the first kind here comes first (newest first).
KINDS = ("status", "incident", "visit", "hearing", "accreditation", "action", "action_update")
_RANK = {kind: len(KINDS) - position for position, kind in enumerate(KINDS)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOKEN = re.compile(r"(?P<micros>[0-9]{1,18})-(?P<kind>[a-z_]{1,20})-(?P<ident>[0-9]{1,10})")


@dataclass(frozen=True, order=True)
class TimelineKey:
    """Where an entry stands on the timeline: later keys are newer."""

    at: datetime
    rank: int
    ident: int

    @property
    def token(self) -> str:
        """The key as a link carries it."""
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{KINDS[len(KINDS) - self.rank]}-{self.ident}"

    @classmethod
    def parse(cls, token: str | None) -> "TimelineKey | None":
        """The key a link names, or None for anything else (a mangled link is ignored)."""
        found = _TOKEN.fullmatch(token or "")
        if found is None or found["kind"] not in _RANK:
            return None
        try:
            at = _EPOCH + timedelta(microseconds=int(found["micros"]))
        except OverflowError:
            return None
        return cls(at, _RANK[found["kind"]], int(found["ident"]))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    byline: str
    lines: list[str] = field(default_factory=list)
    kind: str = ""
    # Hearings are recorded by date only: placed at midday to sort, shown without a time.
    date_only: bool = False
    ident: int = 0  # the id of the record, of its kind

    @property
    def key(self) -> TimelineKey:
        return TimelineKey(self.at, _RANK[self.kind], self.ident)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]  # newest first
    newer: TimelineKey | None = None  # read newer entries after this key (None: these are the newest)
    older: TimelineKey | None = None  # read older entries before this key (None: nothing older)


def local_midday(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=12), tzinfo=ZONE)


# --- The kinds of record ------------------------------------------------------------------


def _status_change_entry(change: PremisesStatusChange) -> TimelineEntry:
    return TimelineEntry(
        change.at,
        f"Moved from {change.from_status.label.lower()} to {change.to_status.label.lower()}",
        change.officer.name,
        [change.reason],
        "status",
        ident=change.id,
    )


def _incident_entry(incident: PremisesIncident) -> TimelineEntry:
    return TimelineEntry(
        incident.occurred_at,
        f"Incident: {incident.category.label.lower()} ({incident.severity.label.lower()} severity)",
        f"{incident.reporting_agency.name}, recorded by {incident.recorded_by.name}",
        [f"Source: {incident.source.label}"] + ([incident.description] if incident.description else []),
        "incident",
        ident=incident.id,
    )


def _visit_entry(visit: PremisesVisit) -> TimelineEntry:
    result = "" if visit.result.value == "not_applicable" else f": {visit.result.label.lower()}"
    return TimelineEntry(
        visit.visited_at,
        f"{visit.kind.label}{result}",
        visit.officer.name,
        [visit.notes] if visit.notes else [],
        "visit",
        ident=visit.id,
    )


def _hearing_entry(hearing: LicensingHearing) -> TimelineEntry:
    return TimelineEntry(
        local_midday(hearing.held_on),
        f"{hearing.kind.label}: {hearing.outcome.label.lower()}",
        hearing.recorded_by.name,
        [hearing.notes] if hearing.notes else [],
        "hearing",
        date_only=True,
        ident=hearing.id,
    )


def _accreditation_entry(accreditation: AccreditationChange) -> TimelineEntry:
    verb = "given" if accreditation.value else "taken away"
    return TimelineEntry(
        accreditation.at,
        f"{accreditation.field.label} {verb}",
        accreditation.officer.name,
        [accreditation.reason],
        "accreditation",
        ident=accreditation.id,
    )


@dataclass(frozen=True)
class _Source:
    kind: str
    model: Any
    at: Any  # the column entries are ordered by
    loads: tuple[Any, ...]
    entry: Callable[[Any], TimelineEntry]


SOURCES = (
    _Source(
        "status",
        PremisesStatusChange,
        PremisesStatusChange.at,
        (joinedload(PremisesStatusChange.officer),),
        _status_change_entry,
    ),
    _Source(
        "incident",
        PremisesIncident,
        PremisesIncident.occurred_at,
        (joinedload(PremisesIncident.reporting_agency), joinedload(PremisesIncident.recorded_by)),
        _incident_entry,
    ),
    _Source("visit", PremisesVisit, PremisesVisit.visited_at, (joinedload(PremisesVisit.officer),), _visit_entry),
    _Source(
        "hearing",
        LicensingHearing,
        LicensingHearing.held_on,
        (joinedload(LicensingHearing.recorded_by),),
        _hearing_entry,
    ),
    _Source(
        "accreditation",
        AccreditationChange,
        AccreditationChange.at,
        (joinedload(AccreditationChange.officer),),
        _accreditation_entry,
    ),
)


# --- Reading a page ----------------------------------------------------------------------


def _times_past(source: _Source, at: datetime, older: bool) -> tuple[Any, Any]:
    """The source's entries whose time is past ``at`` (before it when ``older``), and
    those whose time is ``at`` itself, as two clauses."""
    if source.kind != "hearing":
        past = operator.lt if older else operator.gt
        return past(source.at, at), source.at == at
    # A hearing's time is midday on its date: compare dates, and midday with ``at``.
    day, midday = local_date(at), local_midday(local_date(at))
    column = LicensingHearing.held_on
    if older:
        earlier = column <= day if midday < at else column < day
    else:
        earlier = column >= day if midday > at else column > day
    return earlier, (column == day) if midday == at else sa.false()


def _past(source: _Source, cursor: TimelineKey, older: bool) -> Any:
    """The source's entries whose key is past the cursor (older, or newer)."""
    earlier, same_time = _times_past(source, cursor.at, older)
    rank = _RANK[source.kind]
    if rank == cursor.rank:
        tie: Any = source.model.id < cursor.ident if older else source.model.id > cursor.ident
    else:
        tie = sa.true() if (rank < cursor.rank) == older else sa.false()
    return sa.or_(earlier, sa.and_(same_time, tie))


def _read(source: _Source, premises_id: int, cursor: TimelineKey | None, older: bool, limit: int) -> list[Any]:
    query = select(source.model).options(*source.loads).where(source.model.premises_id == premises_id)
    if cursor is not None:
        query = query.where(_past(source, cursor, older))
    order = (source.at.desc(), source.model.id.desc()) if older else (source.at, source.model.id)
    return list(db.session.scalars(query.order_by(*order).limit(limit)))


def _action_entry(item: TimelineItem) -> TimelineEntry:
    return TimelineEntry(item.at, item.title, item.byline, item.lines, item.kind, ident=item.ident)


def read_page(
    premises_id: int,
    action_items: Iterable[TimelineItem],
    *,
    cursor: TimelineKey | None = None,
    older: bool = True,
    limit: int | None = None,
    free_text: bool = True,
    visits: list[PremisesVisit] | None = None,
) -> TimelinePage:
    """The ``limit`` entries just older than ``cursor`` (or just newer, when not
    ``older``; the newest with no cursor), newest first: one statement per kind of
    record, each reading at most ``limit`` + 1 rows. ``action_items`` are the history of
    the actions shown (already read with them). Without ``free_text``, what was written
    about the records is left out. The visits read are added to ``visits``."""
    limit = TIMELINE_PER_PAGE if limit is None else limit
    entries: list[TimelineEntry] = []
    for source in SOURCES:
        rows = _read(source, premises_id, cursor, older, limit + 1)
        if source.kind == "visit" and visits is not None:
            visits.extend(rows)
        recorded = [source.entry(row) for row in rows]
        entries += recorded if free_text else without_free_text(recorded)
    for item in action_items:
        entry = _action_entry(item)
        if cursor is None or (entry.key < cursor if older else entry.key > cursor):
            entries.append(entry)
    entries.sort(key=lambda entry: entry.key, reverse=older)
    more = len(entries) > limit
    shown = entries[:limit]
    if older:
        return TimelinePage(
            shown,
            newer=(shown[0].key if shown else cursor) if cursor is not None else None,
            older=shown[-1].key if more else None,
        )
    shown.reverse()
    return TimelinePage(
        shown,
        newer=shown[0].key if more else None,
        older=(shown[-1].key if shown else cursor) if cursor is not None else None,
    )


def recorded_count(premises_id: int) -> ColumnElement[int]:
    """How many records the timeline holds about the premises (not its actions), as a
    column to read with the premises itself, counted from the indexes on ``premises_id``."""
    counts = [
        select(func.count()).select_from(source.model).where(source.model.premises_id == premises_id).scalar_subquery()
        for source in SOURCES
    ]
    return sum(counts[1:], counts[0])


def without_free_text(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """Entries as someone who sees the premises through a case sees them: what happened
    and when, without what was written about it (an incident keeps its source)."""
    return [replace(entry, lines=_kept_lines(entry)) for entry in entries]


def _kept_lines(entry: TimelineEntry) -> list[str]:
    return [line for line in entry.lines if line.startswith("Source: ")] if entry.kind == "incident" else []
