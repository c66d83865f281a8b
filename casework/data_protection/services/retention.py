"""Storage limitation (UK GDPR Art. 5(1)(e)): anonymise what is past its retention period.

Closed cases are anonymised RETENTION_CLOSED_CASE_YEARS after they closed, declined
referrals RETENTION_DECLINED_REFERRAL_YEARS after the decision. Anonymising replaces
free text and personal details and keeps what the statistics need (case type, dates,
status, risk levels, SLA clocks, counts). A case under a legal hold is never touched.
Anonymised records are marked (``anonymised_at``) and skipped by later runs.

The audit log itself is kept: it holds ids, verbs and times, never free text.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select, update

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionUpdate
from casework.audit import services as audit
from casework.cases.models import AccessRequest, Case, CaseParty, CaseStatus, Note
from casework.cases.services import lookup as cases
from casework.clock import utcnow
from casework.db import ensure_version
from casework.exceptions import InvalidInput, InvalidTransition
from casework.meetings.models import AgendaItem, Meeting, MeetingAmendment, MeetingDecision
from casework.people.models import Person
from casework.permissions import Permission
from casework.referrals.models import Referral, ReferralStatus, ReferralSubject
from casework.victims.models import RiskAssessment, SlaClock, SlaStop

ANONYMISED = "Anonymised"
CHUNK = 500  # ids per IN (...) list, well inside every backend's parameter limit


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class DueCase:
    id: int
    reference: str
    closed_at: datetime


@dataclass(frozen=True)
class DueReferral:
    id: int
    decided_at: datetime


@dataclass
class RetentionPlan:
    """What a run would anonymise, as ids and references only (no names)."""

    closed_before: datetime
    declined_before: datetime
    cases: list[DueCase] = field(default_factory=list)
    held: list[DueCase] = field(default_factory=list)
    case_referrals: list[int] = field(default_factory=list)  # referrals that led to a due case
    referrals: list[DueReferral] = field(default_factory=list)  # declined referrals past their period
    people: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionResult:
    cases: int
    referrals: int
    people: int


def _decided(decided_at: datetime | None) -> datetime:
    assert decided_at is not None  # only decided referrals are due
    return decided_at


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def plan(*, now: datetime, closed_case_years: int, declined_referral_years: int) -> RetentionPlan:
    """Work out what is due, without changing anything."""
    result = RetentionPlan(
        closed_before=years_before(now, closed_case_years),
        declined_before=years_before(now, declined_referral_years),
    )
    rows = db.session.execute(
        select(Case.id, Case.reference, Case.closed_at, Case.legal_hold)
        .where(
            Case.status == CaseStatus.CLOSED,
            Case.closed_at < result.closed_before,
            Case.anonymised_at.is_(None),
        )
        .order_by(Case.closed_at, Case.id)
    ).all()
    for case_id, reference, closed_at, held in rows:
        assert closed_at is not None  # only closed cases are due
        (result.held if held else result.cases).append(DueCase(case_id, reference, closed_at))
    due_ids = [case.id for case in result.cases]

    for chunk in _chunks(due_ids):
        result.case_referrals += db.session.scalars(
            select(Referral.id).where(Referral.case_id.in_(chunk), Referral.anonymised_at.is_(None))
        ).all()
    result.case_referrals.sort()
    result.referrals = [
        DueReferral(referral_id, _decided(decided_at))
        for referral_id, decided_at in db.session.execute(
            select(Referral.id, Referral.decided_at)
            .where(
                Referral.status == ReferralStatus.DECLINED,
                Referral.decided_at < result.declined_before,
                Referral.anonymised_at.is_(None),
            )
            .order_by(Referral.decided_at, Referral.id)
        )
    ]
    result.people = _people_to_anonymise(due_ids, result.case_referrals + [r.id for r in result.referrals])
    return result


def _people_to_anonymise(case_ids: list[int], referral_ids: list[int]) -> list[int]:
    """People on the due cases who are on no case, and named on no referral, that is kept."""
    candidates: set[int] = set()
    for chunk in _chunks(case_ids):
        candidates.update(
            db.session.scalars(select(CaseParty.person_id).where(CaseParty.case_id.in_(chunk)).distinct())
        )
    for chunk in _chunks(referral_ids):
        candidates.update(
            db.session.scalars(
                select(Referral.person_id).where(Referral.id.in_(chunk), Referral.person_id.is_not(None)).distinct()
            )
        )
    if not candidates:
        return []
    due_cases, due_referrals = set(case_ids), set(referral_ids)
    kept: set[int] = set()
    for chunk in _chunks(sorted(candidates)):
        for person_id, case_id in db.session.execute(
            select(CaseParty.person_id, CaseParty.case_id)
            .join(Case, Case.id == CaseParty.case_id)
            .where(CaseParty.person_id.in_(chunk), Case.anonymised_at.is_(None))
        ):
            if case_id not in due_cases:
                kept.add(person_id)
        for referred_id, referral_id in db.session.execute(
            select(Referral.person_id, Referral.id).where(
                Referral.person_id.in_(chunk), Referral.anonymised_at.is_(None)
            )
        ):
            if referral_id not in due_referrals and referred_id is not None:
                kept.add(referred_id)
    already: set[int] = set()
    for chunk in _chunks(sorted(candidates)):
        already.update(
            db.session.scalars(select(Person.id).where(Person.id.in_(chunk), Person.anonymised_at.is_not(None)))
        )
    return sorted(candidates - kept - already)


def _replace_if_set(column: sa.SQLColumnExpression[str]) -> sa.ColumnElement[str]:
    """Free text becomes "Anonymised"; an empty field stays empty."""
    return sa.case((column != "", ANONYMISED), else_="")


def _category(reason: str) -> str:
    """Keep the kind of stop ("Case closed") the SLA reports group by, not the words typed."""
    return reason.split(":", 1)[0]


def apply(retention_plan: RetentionPlan, *, now: datetime) -> RetentionResult:
    """Anonymise everything in the plan. Flushes; the caller commits."""
    case_ids = [case.id for case in retention_plan.cases]
    for chunk in _chunks(case_ids):
        _anonymise_cases(chunk, now)
    for case in retention_plan.cases:
        audit.record(
            None,
            "retention.case_anonymised",
            "case",
            case.id,
            case_id=case.id,
            detail={"reference": case.reference, "closed_at": case.closed_at.isoformat()},
        )
    referral_ids = retention_plan.case_referrals + [referral.id for referral in retention_plan.referrals]
    for chunk in _chunks(referral_ids):
        _anonymise_referrals(chunk, now)
    declined = {referral.id for referral in retention_plan.referrals}
    for referral_id in referral_ids:
        audit.record(
            None,
            "retention.referral_anonymised",
            "referral",
            referral_id,
            detail={"because": "declined" if referral_id in declined else "case_anonymised"},
        )
    for chunk in _chunks(retention_plan.people):
        db.session.execute(
            update(Person)
            .where(Person.id.in_(chunk), Person.anonymised_at.is_(None))
            .values(
                first_name=ANONYMISED,
                last_name="",
                date_of_birth=None,
                address="",
                postcode="",
                phone="",
                email="",
                vulnerabilities="",
                anonymised_at=now,
                version=Person.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    for person_id in retention_plan.people:
        audit.record(None, "retention.person_anonymised", "person", person_id, person_id=person_id)
    db.session.flush()
    # The bulk updates went round the identity map; reload anything already loaded.
    db.session.expire_all()
    return RetentionResult(cases=len(case_ids), referrals=len(referral_ids), people=len(retention_plan.people))


def _anonymise_cases(case_ids: list[int], now: datetime) -> None:
    _run(
        update(Case)
        .where(Case.id.in_(case_ids), Case.anonymised_at.is_(None), Case.legal_hold.is_(False))
        .values(title="Anonymised case", summary="", anonymised_at=now, version=Case.version + 1)
    )
    _run(update(Note).where(Note.case_id.in_(case_ids)).values(body=ANONYMISED))
    _run(
        update(CaseParty)
        .where(CaseParty.case_id.in_(case_ids))
        .values(removal_reason=_replace_if_set(CaseParty.removal_reason))
    )
    _run(
        update(RiskAssessment)
        .where(RiskAssessment.case_id.in_(case_ids))
        .values(override_reason=_replace_if_set(RiskAssessment.override_reason))
    )
    _run(
        update(Meeting)
        .where(Meeting.case_id.in_(case_ids))
        .values(outcome=_replace_if_set(Meeting.outcome), version=Meeting.version + 1)
    )
    # Why someone asked for access, and why it was declined, are free text about the case.
    _run(
        update(AccessRequest)
        .where(AccessRequest.case_id.in_(case_ids))
        .values(
            reason=_replace_if_set(AccessRequest.reason),
            decline_reason=_replace_if_set(AccessRequest.decline_reason),
        )
    )
    _anonymise_agenda_and_actions(case_ids)
    _keep_only_stop_kinds(case_ids)


def _run(statement: sa.Update) -> None:
    """A bulk update: the identity map is expired once, after them all."""
    db.session.execute(statement.execution_options(synchronize_session=False))


def _anonymise_agenda_and_actions(case_ids: list[int]) -> None:
    """The cases' PSG agenda items (or those about a referral that led to them), their
    decisions and amendments, and the actions on the cases or from those decisions."""
    item_ids = select(AgendaItem.id).where(
        sa.or_(
            AgendaItem.case_id.in_(case_ids),
            AgendaItem.referral_id.in_(select(Referral.id).where(Referral.case_id.in_(case_ids))),
        )
    )
    decision_ids = select(MeetingDecision.id).where(MeetingDecision.item_id.in_(item_ids))
    _anonymise_actions(
        select(Action.id).where(sa.or_(Action.case_id.in_(case_ids), Action.decision_id.in_(decision_ids)))
    )
    _run(update(MeetingDecision).where(MeetingDecision.id.in_(decision_ids)).values(text=ANONYMISED))
    _run(update(MeetingAmendment).where(MeetingAmendment.item_id.in_(item_ids)).values(text=ANONYMISED))
    _run(
        update(AgendaItem)
        .where(AgendaItem.id.in_(item_ids))
        .values(minutes=_replace_if_set(AgendaItem.minutes), topic="")
    )


def _anonymise_actions(action_ids: sa.Select[int]) -> None:
    """Actions' titles, details, completion and progress notes: free text about the case
    or the referral they came from. Who owed them, their dates and status are kept."""
    _run(
        update(ActionUpdate)
        .where(ActionUpdate.action_id.in_(action_ids))
        .values(note=_replace_if_set(ActionUpdate.note))
    )
    _run(
        update(Action)
        .where(Action.id.in_(action_ids))
        .values(
            title="Anonymised action",
            detail="",
            completion_note=_replace_if_set(Action.completion_note),
            version=Action.version + 1,
        )
    )


def _keep_only_stop_kinds(case_ids: list[int]) -> None:
    """Stop reasons start with their kind ("Case closed: ..."); keep the kind only."""
    for row_id, text in db.session.execute(
        select(SlaClock.id, SlaClock.stop_reason).where(
            SlaClock.case_id.in_(case_ids), SlaClock.stop_reason.contains(":")
        )
    ):
        _run(update(SlaClock).where(SlaClock.id == row_id).values(stop_reason=_category(text)))
    for row_id, text in db.session.execute(
        select(SlaStop.id, SlaStop.reason).where(SlaStop.case_id.in_(case_ids), SlaStop.reason.contains(":"))
    ):
        _run(update(SlaStop).where(SlaStop.id == row_id).values(reason=_category(text)))


def _anonymise_referrals(referral_ids: list[int], now: datetime) -> None:
    db.session.execute(
        update(Referral)
        .where(Referral.id.in_(referral_ids), Referral.anonymised_at.is_(None))
        .values(
            first_name=sa.case((Referral.subject == ReferralSubject.PERSON, ANONYMISED), else_=""),
            last_name="",
            date_of_birth=None,
            address="",
            postcode="",
            place=sa.case((Referral.subject == ReferralSubject.PLACE, ANONYMISED), else_=""),
            what_is_happening=ANONYMISED,
            risks="",
            consent_reason=_replace_if_set(Referral.consent_reason),
            decline_reason=_replace_if_set(Referral.decline_reason),
            anonymised_at=now,
            version=Referral.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    # Minutes and decisions on the agenda items that discussed the referral, and the
    # actions those decisions created (which record the referral), as for a case.
    item_ids = select(AgendaItem.id).where(AgendaItem.referral_id.in_(referral_ids))
    _anonymise_actions(select(Action.id).where(Action.referral_id.in_(referral_ids)))
    db.session.execute(
        update(MeetingDecision)
        .where(MeetingDecision.item_id.in_(item_ids))
        .values(text=ANONYMISED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.id.in_(item_ids))
        .values(minutes=_replace_if_set(AgendaItem.minutes), topic="")
        .execution_options(synchronize_session=False)
    )


def run_retention(
    *, now: datetime | None = None, closed_case_years: int, declined_referral_years: int, apply_changes: bool
) -> tuple[RetentionPlan, RetentionResult | None]:
    """The retention run: the plan, and what was done if ``apply_changes``."""
    if closed_case_years < 1 or declined_referral_years < 1:
        raise InvalidInput("Retention periods must be at least one year")
    now = now or utcnow()
    retention_plan = plan(now=now, closed_case_years=closed_case_years, declined_referral_years=declined_referral_years)
    if not apply_changes:
        return retention_plan, None
    return retention_plan, apply(retention_plan, now=now)


# --- Legal holds ------------------------------------------------------------------------


def set_legal_hold(actor: User, reference: str, *, hold: bool, reason: str, version: int) -> Case:
    """Place a legal hold (with the reason) or lift it. A hold keeps the case, whatever its
    age, out of the retention run until it is lifted."""
    case = cases.get_case(actor, reference, Permission.LEGAL_HOLD)
    ensure_version(case, version)
    if case.anonymised_at is not None:
        raise InvalidTransition("This case has already been anonymised")
    if hold == case.legal_hold:
        raise InvalidTransition("This case is already under a legal hold" if hold else "This case has no legal hold")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "Enter why the case is under a legal hold" if hold else "Enter why the legal hold is lifted", field="reason"
        )
    case.legal_hold = hold
    case.legal_hold_reason = reason if hold else ""
    db.session.flush()
    audit.record(
        actor,
        "case.legal_hold_placed" if hold else "case.legal_hold_lifted",
        "case",
        case.id,
        case_id=case.id,
        detail={"reason": reason},
    )
    return case
