"""The PSG agenda, generated from the casebook at the moment the chair asks for it.

A case joins the agenda for any of these reasons, each kept in words on its item:

1. new referrals since the last meeting: a referral still awaiting a decision is an
   item of its own; a referral accepted into a case since then brings that case;
2. a high-risk victim: the latest assessment of a victim still on the case is high;
3. something overdue: a victim's SLA clock still open past its due time (a clock that
   was overdue when the case closed or the victim left stays a breach in the SLA
   figures, but is no reason to discuss the case: nothing can meet it any more), or a
   live action on the case due before today;
4. flagged for PSG review by the case's lead agency.

Only open cases are picked. A case with several reasons appears once, with all of
them, in the section of its first reason. The sections come in that order (referrals
awaiting a decision, cases from accepted referrals, high risk, overdue, flagged), and
each shows at most ``limit`` items, the most urgent first (``rank``); how many more
qualified is kept on the meeting, for "and N more". Every query covers all cases at
once and the new items are inserted in one statement, so the number of statements
does not grow with the casebook.

The agenda is the partnership's: the generator picks cases whatever the chair's
agency, and the meeting page shows each case as each viewer may see it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import joinedload, selectinload

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action
from casework.audit import services as audit
from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole
from casework.clock import ZONE, local_date, utcnow
from casework.exceptions import NotFound
from casework.meetings.models import AgendaItem, AgendaSection, Meeting, MeetingKind
from casework.meetings.services.commands import ADDED_BY_CHAIR, claim, runnable_meeting
from casework.meetings.services.lookup import get_meeting
from casework.notifications import events
from casework.paging import Page, clamp
from casework.policy import visible_cases
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import ClockOutcome, RiskAssessment, RiskLevel, SlaClock

# Without an earlier meeting, "since the last meeting" means this long before this one.
DEFAULT_WINDOW = timedelta(days=31)
# Items per section unless the configuration says otherwise (AGENDA_SECTION_LIMIT).
SECTION_LIMIT = 25

NEW_REFERRAL = "New referral awaiting a decision"
HIGH_RISK = "High-risk victim"
FLAGGED = "Flagged for PSG review by the lead agency"

# The sections a case can be in, in agenda order: a case is in the first of its reasons'.
CASE_SECTIONS = (AgendaSection.ACCEPTED, AgendaSection.HIGH_RISK, AgendaSection.OVERDUE, AgendaSection.REVIEW)


@dataclass
class _Pick:
    """A case the casebook brings to the agenda, with its reasons by section and what
    ranks it within its section."""

    reference: str = ""
    reasons: dict[AgendaSection, list[str]] = field(default_factory=lambda: defaultdict(list))
    # The urgent signals: a new referral, a high-risk victim, an overdue SLA clock.
    urgent: set[str] = field(default_factory=set)
    # The day the longest-overdue clock or action fell due.
    overdue_since: date = date.max

    def add(self, section: AgendaSection, reason: str, *, urgent: str = "") -> None:
        if reason not in self.reasons[section]:
            self.reasons[section].append(reason)
        if urgent:
            self.urgent.add(urgent)

    def due(self, day: date) -> None:
        self.overdue_since = min(self.overdue_since, day)

    @property
    def section(self) -> AgendaSection:
        return min(self.reasons, key=CASE_SECTIONS.index)

    @property
    def rank(self) -> tuple[int, int, date, str]:
        """Within its section: more urgent signals first, then the longest overdue, then
        by reference (the oldest case first)."""
        return (CASE_SECTIONS.index(self.section), -len(self.urgent), self.overdue_since, self.reference)

    @property
    def texts(self) -> list[str]:
        return [reason for section in CASE_SECTIONS for reason in self.reasons.get(section, [])]


def _local_date(moment: datetime) -> str:
    day = moment.astimezone(ZONE)
    return f"{day.day} {day:%B %Y}"


def window_start(meeting: Meeting) -> datetime:
    """When "since the last meeting" starts: the previous PSG meeting, else 31 days back."""
    previous = db.session.scalar(
        select(func.max(Meeting.held_at)).where(
            Meeting.kind == MeetingKind.PSG_MEETING, Meeting.held_at < meeting.held_at
        )
    )
    return previous or meeting.held_at - DEFAULT_WINDOW


def _open_case() -> ColumnElement[bool]:
    return Case.status == CaseStatus.OPEN


def _waiting_referrals(since: datetime) -> list[tuple[int, str]]:
    """Referrals still awaiting a decision, oldest first, each with its reason."""
    rows = db.session.execute(
        select(Referral.id, Referral.received_at)
        .where(Referral.status == ReferralStatus.NEW)
        .order_by(Referral.received_at, Referral.id)
    )
    return [
        (
            referral_id,
            NEW_REFERRAL if received_at >= since else f"Referral awaiting a decision since {_local_date(received_at)}",
        )
        for referral_id, received_at in rows
    ]


def _accepted_referrals(since: datetime, picks: dict[int, _Pick]) -> None:
    rows = db.session.execute(
        select(Referral.case_id, Case.reference, Referral.decided_at)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status == ReferralStatus.ACCEPTED, Referral.decided_at >= since, _open_case())
        .order_by(Referral.decided_at)
    )
    for case_id, reference, decided_at in rows:
        assert case_id is not None and decided_at is not None  # accepted into a case: both set
        picks[case_id].reference = reference
        picks[case_id].add(
            AgendaSection.ACCEPTED, f"New referral, accepted {_local_date(decided_at)}", urgent="referral"
        )


def _high_risk(picks: dict[int, _Pick]) -> None:
    """Open cases where the latest assessment of a victim still on the case is high."""
    latest = (
        select(RiskAssessment.case_id, RiskAssessment.person_id, func.max(RiskAssessment.assessed_at).label("at"))
        .join(Case, Case.id == RiskAssessment.case_id)
        .where(_open_case())
        .group_by(RiskAssessment.case_id, RiskAssessment.person_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Case.id, Case.reference)
        .join(RiskAssessment, RiskAssessment.case_id == Case.id)
        .join(
            latest,
            and_(
                latest.c.case_id == RiskAssessment.case_id,
                latest.c.person_id == RiskAssessment.person_id,
                latest.c.at == RiskAssessment.assessed_at,
            ),
        )
        .join(
            CaseParty,
            and_(
                CaseParty.case_id == RiskAssessment.case_id,
                CaseParty.person_id == RiskAssessment.person_id,
                CaseParty.role == PartyRole.VICTIM,
                CaseParty.removed_at.is_(None),
            ),
        )
        .where(RiskAssessment.level == RiskLevel.HIGH)
        .distinct()
    )
    for case_id, reference in rows:
        picks[case_id].reference = reference
        picks[case_id].add(AgendaSection.HIGH_RISK, HIGH_RISK, urgent="high")


def _overdue(now: datetime, picks: dict[int, _Pick]) -> None:
    clocks = db.session.execute(
        select(SlaClock.case_id, Case.reference, SlaClock.kind, func.min(SlaClock.due_at))
        .join(Case, Case.id == SlaClock.case_id)
        .where(SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at < now, _open_case())
        .group_by(SlaClock.case_id, Case.reference, SlaClock.kind)
        .order_by(SlaClock.kind)
    )
    for case_id, reference, kind, due_at in clocks:
        picks[case_id].reference = reference
        picks[case_id].add(
            AgendaSection.OVERDUE, f"Overdue SLA clock: {kind.label[0].lower()}{kind.label[1:]}", urgent="clock"
        )
        picks[case_id].due(local_date(due_at))
    today = local_date(now)
    # "+ 0" keeps SQLite from walking every case and each one's actions: it starts from
    # the live overdue actions in ix_actions_status_due_on_assigned_agency_id, which
    # holds their case_id, and looks up each case by its key.
    actions = db.session.execute(
        select(Case.id, Case.reference, func.count(), func.min(Action.due_on))
        .join(Action, Action.case_id + 0 == Case.id)
        .where(Action.status.in_(LIVE_STATUSES), Action.due_on < today, _open_case())
        .group_by(Case.id, Case.reference)
    )
    for case_id, reference, count, due_on in actions:
        picks[case_id].reference = reference
        picks[case_id].add(AgendaSection.OVERDUE, "Overdue action" if count == 1 else f"{count} overdue actions")
        picks[case_id].due(due_on)


def _flagged(picks: dict[int, _Pick]) -> None:
    for case_id, reference in db.session.execute(
        select(Case.id, Case.reference).where(Case.psg_review.is_(True), _open_case())
    ):
        picks[case_id].reference = reference
        picks[case_id].add(AgendaSection.REVIEW, FLAGGED)


@dataclass(frozen=True)
class PickedCase:
    case_id: int
    section: AgendaSection
    reasons: list[str]


@dataclass(frozen=True)
class Picked:
    """Everything the casebook brings to a meeting's agenda, each section ranked."""

    referrals: list[tuple[int, str]]
    cases: list[PickedCase]

    def shown(self, limit: int) -> "Picked":
        """The first ``limit`` of each section."""
        cases: list[PickedCase] = []
        for section in CASE_SECTIONS:
            cases.extend([case for case in self.cases if case.section is section][:limit])
        return Picked(self.referrals[:limit], cases)

    def left_out(self, cases: set[int | None], referrals: set[int | None]) -> dict[str, int]:
        """How many of each section are not among ``cases`` and ``referrals`` (those on
        the agenda), for the sections that have any."""
        counts = {AgendaSection.REFERRALS.value: sum(referral_id not in referrals for referral_id, _ in self.referrals)}
        for case in self.cases:
            if case.case_id not in cases:
                counts[case.section.value] = counts.get(case.section.value, 0) + 1
        return {section: count for section, count in counts.items() if count}


def pick(meeting: Meeting, now: datetime) -> Picked:
    """Read the casebook: every referral and case that qualifies for this meeting's
    agenda, with its reasons, in agenda order (each section ranked)."""
    since = window_start(meeting)
    picks: dict[int, _Pick] = defaultdict(_Pick)
    _accepted_referrals(since, picks)
    _high_risk(picks)
    _overdue(now, picks)
    _flagged(picks)
    ordered = sorted(picks.items(), key=lambda entry: entry[1].rank)
    return Picked(
        _waiting_referrals(since), [PickedCase(case_id, found.section, found.texts) for case_id, found in ordered]
    )


def generate_agenda(
    actor: User,
    meeting_id: int,
    *,
    version: int | None = None,
    now: datetime | None = None,
    limit: int = SECTION_LIMIT,
) -> list[AgendaItem]:
    """(Re)build the meeting's generated items from the casebook as it is now: the
    first ``limit`` of each section, and how many more each had.

    - Items the chair added by hand stay, after the generated ones; if the casebook
      picks the same case, its reasons join the chair's.
    - An item still picked keeps its minutes and decisions, with today's reasons.
    - An item no longer picked (or no longer within its section's first ``limit``) is
      dropped, unless it has minutes or decisions: those stay on the record with the
      reasons they had.
    """
    meeting = runnable_meeting(actor, meeting_id, version=version)
    moment = now or utcnow()
    picked = pick(meeting, moment)
    existing = list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .options(selectinload(AgendaItem.decisions))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    slots = _place_picked(meeting, picked.shown(limit), existing)
    added = sum(isinstance(slot, dict) for slot in slots)
    dropped = _keep_or_drop_unpicked(existing, slots, {case.case_id: case.reasons for case in picked.cases})
    _number_and_insert(slots)
    meeting.agenda_generated_at = moment
    meeting.agenda_more = (
        picked.left_out(
            {_subject(slot, "case_id") for slot in slots}, {_subject(slot, "referral_id") for slot in slots}
        )
        or None
    )
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_generated",
        "meeting",
        meeting.id,
        detail={"items": len(slots), "added": added, "dropped": dropped},
    )
    events.agenda_published(actor, meeting)
    return list(
        db.session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position, AgendaItem.id)
        )
    )


# An item on the rebuilt agenda: one already stored, or the row of a new one.
_Slot = AgendaItem | dict[str, Any]


def _number_and_insert(slots: list[_Slot]) -> None:
    """Give every item its position, and insert the new ones in one statement (the ORM
    would send an INSERT for each on SQLite)."""
    new_rows = []
    for position, slot in enumerate(slots, start=1):
        if isinstance(slot, dict):
            new_rows.append(slot | {"position": position})
        else:
            slot.position = position
    if new_rows:
        db.session.execute(insert(AgendaItem), new_rows)


def _place_picked(meeting: Meeting, picked: Picked, existing: list[AgendaItem]) -> list[_Slot]:
    """The picked referrals and cases in agenda order, reusing their existing items."""
    by_case = {item.case_id: item for item in existing if item.case_id is not None}
    by_referral = {item.referral_id: item for item in existing if item.referral_id is not None}
    slots: list[_Slot] = []

    def place(item: AgendaItem | None, reasons: list[str], **subject: int | None) -> None:
        if item is None:
            row = {"case_id": None, "referral_id": None} | subject
            slots.append(
                {"meeting_id": meeting.id, "reasons": reasons, "added_by_chair": False, "minutes": "", "topic": ""}
                | row
            )
        else:
            item.reasons = [ADDED_BY_CHAIR, *reasons] if item.added_by_chair else reasons
            slots.append(item)

    for referral_id, reason in picked.referrals:
        place(by_referral.pop(referral_id, None), [reason], referral_id=referral_id)
    for case in picked.cases:
        place(by_case.pop(case.case_id, None), case.reasons, case_id=case.case_id)
    return slots


def _subject(slot: _Slot, key: str) -> int | None:
    return slot[key] if isinstance(slot, dict) else getattr(slot, key)


def _keep_or_drop_unpicked(existing: list[AgendaItem], slots: list[_Slot], picked: dict[int, list[str]]) -> int:
    """Append the items not placed that stay (the chair's, and those with minutes or
    decisions) to the agenda, delete the rest, and say how many were dropped.

    ``picked`` holds the reasons of every case the casebook picks, placed or not: a case
    beyond its section's limit that stays on the agenda anyway gets today's reasons."""
    placed = {id(slot) for slot in slots}
    gone = []
    for item in existing:
        if id(item) in placed:
            continue
        reasons = picked.get(item.case_id, []) if item.case_id is not None else []
        if item.added_by_chair:
            item.reasons = [ADDED_BY_CHAIR, *reasons]
            slots.append(item)
        elif item.minutes.strip() or item.decisions:
            if reasons:
                item.reasons = reasons
            slots.append(item)
        else:
            gone.append(item)
    if gone:
        for item in gone:
            db.session.expunge(item)
        db.session.execute(delete(AgendaItem).where(AgendaItem.id.in_([item.id for item in gone])))
    return len(gone)


# --- What did not fit ---------------------------------------------------------------


@dataclass(frozen=True)
class MoreCase:
    """A case the casebook picks for a section that is not on the agenda, as the viewer
    may see it: ``case`` is None when the viewer may not even list it."""

    case: Case | None
    full_view: bool
    reasons: list[str]

    @property
    def shows_reasons(self) -> bool:
        # A restricted stub shows the reference and the lead agency only (as on the agenda).
        return self.case is not None and (self.full_view or not self.case.restricted)


def more_cases(
    actor: User, meeting_id: int, name: str, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[Meeting, AgendaSection, Page[MoreCase]]:
    """The cases the casebook picks for the section ``name`` now, most urgent first,
    without those on the meeting's agenda: what "and N more" leads to while the meeting
    is open."""
    meeting = get_meeting(actor, meeting_id)
    section = next((section for section in CASE_SECTIONS if section.value == name), None)
    if section is None or meeting.locked:
        raise NotFound("agenda section", meeting_id)
    on_agenda = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id.is_not(None))
    listed = set(db.session.scalars(on_agenda))
    rest = [
        case for case in pick(meeting, now or utcnow()).cases if case.section is section and case.case_id not in listed
    ]
    page = clamp(page, len(rest), per_page)
    shown = rest[(page - 1) * per_page : page * per_page]
    seen: dict[int, tuple[Case, bool]] = {}
    if shown:
        rows = db.session.execute(
            visible_cases(actor)
            .where(Case.id.in_([case.case_id for case in shown]))
            .options(joinedload(Case.lead_agency))
        )
        seen = {case.id: (case, bool(full)) for case, full in rows}
    items = []
    for case in shown:
        found, full_view = seen.get(case.case_id, (None, False))
        items.append(MoreCase(found, full_view, case.reasons))
    return meeting, section, Page(items, len(rest), page, per_page)


def record_more_view(actor: User, meeting: Meeting, section: AgendaSection) -> None:
    """The audit record of the list: it names cases, as the agenda does."""
    audit.record(actor, "meeting.viewed", "meeting", meeting.id, detail={"section": section.value})
