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
them. Items come in that order (referrals, high risk, overdue, flagged), each group
by case reference. Every query covers all cases at once, so the time to build the
agenda does not grow with the number of items.

The agenda is the partnership's: the generator picks cases whatever the chair's
agency, and the meeting page shows each case as each viewer may see it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import selectinload

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action
from casework.audit import services as audit
from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole
from casework.clock import ZONE, local_date, utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingKind
from casework.meetings.services.commands import ADDED_BY_CHAIR, claim, runnable_meeting
from casework.notifications import events
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import ClockOutcome, RiskAssessment, RiskLevel, SlaClock

# Without an earlier meeting, "since the last meeting" means this long before this one.
DEFAULT_WINDOW = timedelta(days=31)

NEW_REFERRAL = "New referral awaiting a decision"
HIGH_RISK = "High-risk victim"
FLAGGED = "Flagged for PSG review by the lead agency"

# The groups, in agenda order.
REFERRALS, HIGH, OVERDUE, REVIEW = range(4)


@dataclass
class _Pick:
    """A case the casebook brings to the agenda, with its reasons by group."""

    reasons: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, group: int, reason: str) -> None:
        if reason not in self.reasons[group]:
            self.reasons[group].append(reason)

    @property
    def group(self) -> int:
        return min(self.reasons)

    @property
    def texts(self) -> list[str]:
        return [reason for group in sorted(self.reasons) for reason in self.reasons[group]]


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
        select(Referral.case_id, Referral.decided_at)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status == ReferralStatus.ACCEPTED, Referral.decided_at >= since, _open_case())
        .order_by(Referral.decided_at)
    )
    for case_id, decided_at in rows:
        assert case_id is not None and decided_at is not None  # accepted into a case: both set
        picks[case_id].add(REFERRALS, f"New referral, accepted {_local_date(decided_at)}")


def _high_risk(picks: dict[int, _Pick]) -> None:
    """Open cases where the latest assessment of a victim still on the case is high."""
    latest = (
        select(RiskAssessment.case_id, RiskAssessment.person_id, func.max(RiskAssessment.assessed_at).label("at"))
        .join(Case, Case.id == RiskAssessment.case_id)
        .where(_open_case())
        .group_by(RiskAssessment.case_id, RiskAssessment.person_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(RiskAssessment.case_id)
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
    for case_id in rows:
        picks[case_id].add(HIGH, HIGH_RISK)


def _overdue(now: datetime, picks: dict[int, _Pick]) -> None:
    clocks = db.session.execute(
        select(SlaClock.case_id, SlaClock.kind)
        .join(Case, Case.id == SlaClock.case_id)
        .where(SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at < now, _open_case())
        .distinct()
        .order_by(SlaClock.kind)
    )
    for case_id, kind in clocks:
        picks[case_id].add(OVERDUE, f"Overdue SLA clock: {kind.label[0].lower()}{kind.label[1:]}")
    today = local_date(now)
    actions = db.session.execute(
        select(Action.case_id, func.count())
        .join(Case, Case.id == Action.case_id)
        .where(Action.status.in_(LIVE_STATUSES), Action.due_on < today, _open_case())
        .group_by(Action.case_id)
    )
    for action_case_id, count in actions:
        assert action_case_id is not None  # joined to its case
        picks[action_case_id].add(OVERDUE, "Overdue action" if count == 1 else f"{count} overdue actions")


def _flagged(picks: dict[int, _Pick]) -> None:
    for case_id in db.session.scalars(select(Case.id).where(Case.psg_review.is_(True), _open_case())):
        picks[case_id].add(REVIEW, FLAGGED)


@dataclass(frozen=True)
class Picked:
    """What the casebook brings to a meeting's agenda, in agenda order."""

    referrals: list[tuple[int, str]]
    cases: list[tuple[int, list[str]]]


def pick(meeting: Meeting, now: datetime) -> Picked:
    """Read the casebook: the referrals and cases for this meeting's agenda, with reasons."""
    since = window_start(meeting)
    picks: dict[int, _Pick] = defaultdict(_Pick)
    _accepted_referrals(since, picks)
    _high_risk(picks)
    _overdue(now, picks)
    _flagged(picks)
    references = dict(db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(picks))).all())
    ordered = sorted(picks, key=lambda case_id: (picks[case_id].group, references[case_id]))
    return Picked(_waiting_referrals(since), [(case_id, picks[case_id].texts) for case_id in ordered])


def generate_agenda(
    actor: User, meeting_id: int, *, version: int | None = None, now: datetime | None = None
) -> list[AgendaItem]:
    """(Re)build the meeting's generated items from the casebook as it is now.

    - Items the chair added by hand stay, after the generated ones; if the casebook
      picks the same case, its reasons join the chair's.
    - An item still picked keeps its minutes and decisions, with today's reasons.
    - An item no longer picked is dropped, unless it has minutes or decisions: those
      stay on the record with the reasons they had.
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
    agenda, added = _place_picked(meeting, picked, existing)
    dropped = _keep_or_drop_unpicked(existing, agenda)
    for position, item in enumerate(agenda, start=1):
        item.position = position
    meeting.agenda_generated_at = moment
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_generated",
        "meeting",
        meeting.id,
        detail={"items": len(agenda), "added": added, "dropped": dropped},
    )
    events.agenda_published(actor, meeting)
    return agenda


def _place_picked(meeting: Meeting, picked: Picked, existing: list[AgendaItem]) -> tuple[list[AgendaItem], int]:
    """The picked referrals and cases in agenda order, reusing their existing items, and
    how many items had to be added."""
    by_case = {item.case_id: item for item in existing if item.case_id is not None}
    by_referral = {item.referral_id: item for item in existing if item.referral_id is not None}
    agenda: list[AgendaItem] = []
    added = 0

    def place(item: AgendaItem | None, reasons: list[str], **subject: int) -> None:
        nonlocal added
        if item is None:
            item = AgendaItem(
                meeting_id=meeting.id, position=0, reasons=reasons, added_by_chair=False, minutes="", **subject
            )
            db.session.add(item)
            added += 1
        else:
            item.reasons = [ADDED_BY_CHAIR, *reasons] if item.added_by_chair else reasons
        agenda.append(item)

    for referral_id, reason in picked.referrals:
        place(by_referral.pop(referral_id, None), [reason], referral_id=referral_id)
    for case_id, reasons in picked.cases:
        place(by_case.pop(case_id, None), reasons, case_id=case_id)
    return agenda, added


def _keep_or_drop_unpicked(existing: list[AgendaItem], agenda: list[AgendaItem]) -> int:
    """Append the unpicked items that stay (the chair's, and those with minutes or
    decisions) to the agenda, delete the rest, and say how many were dropped."""
    placed = {id(item) for item in agenda}
    dropped = 0
    for item in existing:
        if id(item) in placed:
            continue
        if item.added_by_chair:
            item.reasons = [ADDED_BY_CHAIR]
            agenda.append(item)
        elif item.minutes.strip() or item.decisions:
            agenda.append(item)
        else:
            db.session.delete(item)
            dropped += 1
    return dropped
