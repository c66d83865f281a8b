"""Subject access (UK GDPR Art. 15): everything held about one person, in one export.

The same export feeds the printable page and the JSON download, so both always hold
the same data. It is read with a fixed number of queries whatever the number of
records, and is audited. Nothing is redacted automatically: what concerns other
people is listed under ``third_parties`` and every free-text section is flagged, for
the data protection officer to review before anything is disclosed.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionUpdate
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseParty, Note, NoteKind
from casework.clock import utcnow
from casework.exceptions import NotFound
from casework.meetings.models import AgendaItem, Meeting, MeetingDecision, MeetingKind
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import authorize, visible_actions, visible_people
from casework.referrals.models import Referral
from casework.victims.models import RiskAssessment, SlaClock
from casework.victims.services import riskmatrix, sla

# Bumped whenever the JSON shape changes in a way a reader would notice. Version 2:
# risk assessment answers as questions and answers in words, clock outcomes in words.
EXPORT_FORMAT = "casework-subject-access"
EXPORT_VERSION = 2

REVIEW_NOTICE = (
    "Review before disclosure: other people on these cases are listed as third parties, "
    "and notes, actions, minutes and decisions are free text that may name or describe them. "
    "Remove or redact third-party data unless they consent or it is reasonable to disclose it "
    "(Data Protection Act 2018, Schedule 2, paragraph 16)."
)


@dataclass(frozen=True)
class SubjectAccessExport:
    person: Person
    data: dict[str, Any]  # JSON-ready: dates and times as ISO 8601 strings (times in UTC)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user(user: User | None) -> str | None:
    return user.name if user is not None else None


def _reason(detail: object) -> str:
    """The reason a user gave, if the event has one: a chosen reason's label and any details."""
    if not isinstance(detail, dict):
        return ""
    given = detail.get("label") or detail.get("reason") or ""
    extra = detail.get("details") or ""
    return ": ".join(str(part) for part in (given, extra) if part)


def export_person(actor: User, person_id: int, *, file_format: str) -> SubjectAccessExport:
    """Everything held about a person, recorded as ``person.subject_access_exported``."""
    # Someone who may not see the person gets 404, as everywhere; 403 only for the export.
    person = db.session.scalar(visible_people(actor).where(Person.id == person_id))
    if person is None:
        raise NotFound("person", person_id)
    authorize(actor, Permission.SUBJECT_ACCESS)

    # Every case the person is or was on (taken off cases included: the record remains).
    own_parties = _own_parties(person)
    cases: dict[int, Case] = {}
    for party in own_parties:
        cases.setdefault(party.case_id, party.case)
    case_entries = _case_entries(actor, person, cases, own_parties)
    reference_of = {case.id: case.reference for case in cases.values()}
    now = utcnow()
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": _iso(now),
        "generated_by": actor.name,
        "review_notice": REVIEW_NOTICE,
        "person": _person_entry(person),
        "cases": case_entries,
        **_person_records(actor, person, list(cases), reference_of, now=now),
    }
    audit.record(
        actor,
        "person.subject_access_exported",
        "person",
        person.id,
        person_id=person.id,
        detail={"format": file_format},
    )
    return SubjectAccessExport(person=person, data=data)


# --- The person's cases, and what is recorded on them ---------------------------------


def _own_parties(person: Person) -> list[CaseParty]:
    return list(
        db.session.scalars(
            select(CaseParty)
            .where(CaseParty.person_id == person.id)
            .options(joinedload(CaseParty.case).options(joinedload(Case.lead_agency), joinedload(Case.lead_officer)))
            .order_by(CaseParty.id)
        )
    )


def _case_entries(
    actor: User, person: Person, cases: dict[int, Case], own_parties: list[CaseParty]
) -> list[dict[str, Any]]:
    """Each case with the person's roles on it, the other people on it (third parties),
    and its notes, actions, PSG agenda items and case conferences."""
    case_ids = list(cases)
    in_cases = CaseParty.case_id.in_(case_ids) if case_ids else sa.false()
    opened_by = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({case.opened_by_id for case in cases.values()} or {0}))
        )
    }
    others = db.session.scalars(
        select(CaseParty)
        .where(in_cases, CaseParty.person_id != person.id)
        .options(joinedload(CaseParty.person))
        .order_by(CaseParty.case_id, CaseParty.id)
    ).all()
    notes = _notes(case_ids)
    actions = _actions(actor, Action.case_id.in_(case_ids) if case_ids else sa.false())
    items = _agenda_items(case_ids)
    conferences = _conferences(case_ids)

    entries = {case.id: _case_entry(case, opened_by.get(case.opened_by_id)) for case in cases.values()}
    for party in own_parties:
        entries[party.case_id]["roles"].append(
            {
                "role": party.role.label,
                "added_at": _iso(party.added_at),
                "removed_at": _iso(party.removed_at),
                "removal_reason": party.removal_reason,
            }
        )
    for party in others:
        entries[party.case_id]["third_parties"].append(
            {"person_id": party.person_id, "name": party.person.full_name, "role": party.role.label}
        )
    for case_id, created_at, kind, author, body in notes:
        entries[case_id]["notes"].append({"at": _iso(created_at), "kind": kind.label, "author": author, "text": body})
    for action in actions:
        assert action.case_id is not None
        entries[action.case_id]["actions"].append(_action_entry(action))
    for item in items:
        assert item.case_id is not None
        entries[item.case_id]["psg_meetings"].append(_agenda_item_entry(item))
    for meeting in conferences:
        assert meeting.case_id is not None
        entries[meeting.case_id]["case_conferences"].append(
            {"held_at": _iso(meeting.held_at), "outcome": meeting.outcome, "recorded_by": _user(meeting.recorded_by)}
        )
    return list(entries.values())


def _notes(case_ids: list[int]) -> Sequence[sa.Row[int, datetime, NoteKind, str, str]]:
    """The columns the export shows, not Note objects: the longest part of a long
    history, and reading them as rows costs a fraction of building objects."""
    return db.session.execute(
        select(Note.case_id, Note.created_at, Note.kind, User.name, Note.body)
        .outerjoin(User, User.id == Note.author_id)
        .where(Note.case_id.in_(case_ids) if case_ids else sa.false())
        .order_by(Note.case_id, Note.created_at, Note.id)
    ).all()


def _actions(actor: User, which: sa.ColumnElement[bool]) -> Sequence[Action]:
    """The actions asked for, as far as policy lets the actor see them (the same clause
    as every page that shows an action). Their updates come in the same statement: a
    second one, sent only when there are actions, made the export's count of statements
    depend on whether the person had any."""
    return (
        db.session.scalars(
            visible_actions(actor)
            .where(which)
            .options(
                joinedload(Action.assigned_agency),
                joinedload(Action.assignee),
                joinedload(Action.created_by),
                joinedload(Action.updates).joinedload(ActionUpdate.author),
            )
            .order_by(Action.case_id, Action.referral_id, Action.id)
        )
        .unique()
        .all()
    )


def _agenda_items(case_ids: list[int]) -> Sequence[AgendaItem]:
    """With their decisions in the same statement, as the actions' updates."""
    return (
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.case_id.in_(case_ids) if case_ids else sa.false())
            .options(
                joinedload(AgendaItem.meeting),
                joinedload(AgendaItem.decisions).joinedload(MeetingDecision.recorded_by),
            )
            .order_by(AgendaItem.case_id, AgendaItem.id)
        )
        .unique()
        .all()
    )


def _conferences(case_ids: list[int]) -> Sequence[Meeting]:
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.kind == MeetingKind.CASE_CONFERENCE,
            Meeting.case_id.in_(case_ids) if case_ids else sa.false(),
        )
        .options(joinedload(Meeting.recorded_by))
        .order_by(Meeting.case_id, Meeting.held_at, Meeting.id)
    ).all()


def _case_entry(case: Case, opened_by: User | None) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "case_type": case.case_type.label,
        "title": case.title,
        "summary": case.summary,
        "status": case.status.label,
        "restricted": case.restricted,
        "district": case.district,
        "town": case.town,
        "ward": case.ward,
        "lead_agency": case.lead_agency.name,
        "lead_officer": _user(case.lead_officer),
        "opened_at": _iso(case.opened_at),
        "opened_by": _user(opened_by),
        "closed_at": _iso(case.closed_at),
        "anonymised_at": _iso(case.anonymised_at),
        "roles": [],
        "third_parties": [],
        "notes": [],
        "actions": [],
        "psg_meetings": [],
        "case_conferences": [],
    }


def _action_entry(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "title": action.title,
        "detail": action.detail,
        "assigned_agency": action.assigned_agency.name,
        "assignee": _user(action.assignee),
        "due_on": _iso(action.due_on),
        "status": action.status.label,
        "created_by": _user(action.created_by),
        "created_at": _iso(action.created_at),
        "completed_at": _iso(action.completed_at),
        "completion_note": action.completion_note,
        "updates": [
            {
                "at": _iso(update.at),
                "author": _user(update.author),
                "from_status": update.from_status.label if update.from_status else None,
                "to_status": update.to_status.label if update.to_status else None,
                "note": update.note,
            }
            for update in action.updates
        ],
    }


def _agenda_item_entry(item: AgendaItem) -> dict[str, Any]:
    return {
        "held_at": _iso(item.meeting.held_at),
        "reasons": list(item.reasons),
        "minutes": item.minutes,
        "decisions": [
            {"text": decision.text, "recorded_by": _user(decision.recorded_by), "at": _iso(decision.recorded_at)}
            for decision in item.decisions
        ],
    }


# --- What is held about the person beyond their cases ---------------------------------


def _person_entry(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": _iso(person.date_of_birth),
        "address": person.address,
        "postcode": person.postcode,
        "phone": person.phone,
        "email": person.email,
        "vulnerabilities": person.vulnerabilities,
        "created_at": _iso(person.created_at),
        "anonymised_at": _iso(person.anonymised_at),
    }


def _person_records(
    actor: User, person: Person, case_ids: list[int], reference_of: dict[int, str], *, now: datetime
) -> dict[str, Any]:
    """The person's risk assessments, SLA clocks and referrals (with the actions PSG
    meetings' decisions on them created), and the audit trail of the person and their
    cases."""
    assessments = db.session.scalars(
        select(RiskAssessment)
        .where(RiskAssessment.person_id == person.id)
        .options(joinedload(RiskAssessment.matrix), joinedload(RiskAssessment.assessed_by))
        .order_by(RiskAssessment.assessed_at, RiskAssessment.id)
    ).all()
    clocks = db.session.scalars(
        select(SlaClock).where(SlaClock.person_id == person.id).order_by(SlaClock.started_at, SlaClock.id)
    ).all()
    referrals = db.session.scalars(
        select(Referral)
        .where(Referral.person_id == person.id)
        .options(
            joinedload(Referral.referring_agency),
            joinedload(Referral.referrer),
            joinedload(Referral.decided_by),
        )
        .order_by(Referral.received_at, Referral.id)
    ).all()
    # The detail as stored, decoded only where there is one: most events have none, and
    # decoding thousands of "{}" was a tenth of a long trail's cost.
    events = db.session.execute(
        select(AuditEvent.at, User.name, AuditEvent.verb, AuditEvent.case_id, sa.cast(AuditEvent.detail, sa.Text))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            sa.or_(
                AuditEvent.person_id == person.id,
                AuditEvent.case_id.in_(case_ids) if case_ids else sa.false(),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    matrices: dict[int, riskmatrix.Matrix] = {}
    for assessment in assessments:
        if assessment.matrix_id not in matrices:
            matrices[assessment.matrix_id] = riskmatrix.parse(assessment.matrix.definition)
    return {
        "risk_assessments": [
            _assessment_entry(assessment, matrices[assessment.matrix_id], reference_of) for assessment in assessments
        ],
        "sla_clocks": [_clock_entry(clock, reference_of, now) for clock in clocks],
        "referrals": _referral_entries(actor, referrals, reference_of),
        "audit": [
            {
                "at": _iso(at),
                "who": who or "System",
                "action": audit.verb_label(verb),
                "case": reference_of.get(case_id) if case_id else None,
                "reason": _reason(json.loads(detail)) if detail and detail != "{}" else "",
            }
            for at, who, verb, case_id, detail in events
        ],
    }


def _answers(matrix: riskmatrix.Matrix, answers: dict[str, str]) -> list[dict[str, Any]]:
    """Each answer as its question's text and the answer's label, in the matrix's order.
    An answer the matrix does not know (it never should) is kept as it was stored."""
    entries = []
    for question in matrix.questions:
        if question.id not in answers:
            continue
        answer = answers[question.id]
        option = next((option for option in question.options if option.id == answer), None)
        entries.append(
            {
                "question_id": question.id,
                "question": question.text,
                "answer_id": answer,
                "answer": option.label if option else answer,
                "points": option.points if option else None,
            }
        )
    known = {question.id for question in matrix.questions}
    entries += [
        {"question_id": key, "question": key, "answer_id": value, "answer": value, "points": None}
        for key, value in answers.items()
        if key not in known
    ]
    return entries


def _assessment_entry(
    assessment: RiskAssessment, matrix: riskmatrix.Matrix, reference_of: dict[int, str]
) -> dict[str, Any]:
    return {
        "case": reference_of.get(assessment.case_id),
        "assessed_at": _iso(assessment.assessed_at),
        "assessed_by": _user(assessment.assessed_by),
        "matrix": assessment.matrix.title,
        "score": assessment.score,
        "computed_level": assessment.computed_level.label,
        "override_level": assessment.override_level.label if assessment.override_level else None,
        "override_reason": assessment.override_reason,
        "level": assessment.level.label,
        "answers": _answers(matrix, assessment.answers),
    }


def _clock_entry(clock: SlaClock, reference_of: dict[int, str], now: datetime) -> dict[str, Any]:
    return {
        "case": reference_of.get(clock.case_id),
        "kind": clock.kind.label,
        "started_at": _iso(clock.started_at),
        "due_at": _iso(clock.due_at),
        "outcome": sla.status_at(clock, now).label,  # as it stands when the export is made
        "met_at": _iso(clock.met_at),
        "stopped_at": _iso(clock.stopped_at),
        "stop_reason": clock.stop_reason,
    }


def _referral_entries(actor: User, referrals: Sequence[Referral], reference_of: dict[int, str]) -> list[dict[str, Any]]:
    ids = [referral.id for referral in referrals]
    entries = {referral.id: _referral_entry(referral, reference_of) for referral in referrals}
    for action in _actions(actor, Action.referral_id.in_(ids) if ids else sa.false()):
        assert action.referral_id is not None
        entries[action.referral_id]["actions"].append(_action_entry(action))
    return list(entries.values())


def _referral_entry(referral: Referral, reference_of: dict[int, str]) -> dict[str, Any]:
    return {
        "id": referral.id,
        "received_at": _iso(referral.received_at),
        "referring_agency": referral.referring_agency.name,
        "referrer": _user(referral.referrer),
        "subject": referral.subject.label,
        "first_name": referral.first_name,
        "last_name": referral.last_name,
        "date_of_birth": _iso(referral.date_of_birth),
        "address": referral.address,
        "postcode": referral.postcode,
        "place": referral.place,
        "what_is_happening": referral.what_is_happening,
        "risks": referral.risks,
        "consent": referral.consent.label,
        "consent_reason": referral.consent_reason,
        "status": referral.status.label,
        "decided_by": _user(referral.decided_by),
        "decided_at": _iso(referral.decided_at),
        "decline_reason": referral.decline_reason,
        "case": reference_of.get(referral.case_id) if referral.case_id else None,
        "actions": [],
    }
