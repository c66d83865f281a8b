"""Grading a victim's risk with the risk matrix, and the record of earlier grades."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.cases.models import Case, CaseParty, PartyRole
from casework.cases.services.lookup import get_case
from casework.clock import utcnow
from casework.dates import DEFAULT_BOUNDS, DateBounds, check_floor, floor
from casework.exceptions import Checks, NotFound
from casework.people.models import Person
from casework.permissions import Permission
from casework.victims.models import RiskAssessment, RiskLevel, RiskMatrix
from casework.victims.services import backdating, riskmatrix, sla
from casework.victims.services.riskmatrix import AnswersInvalid, Matrix, MatrixInvalid

# A little allowance for a clock that is slightly fast, before "in the future" is refused.
CLOCK_SKEW = timedelta(minutes=2)


def answer_field(question_id: str) -> str:
    """The form field of a question (the form is built from the matrix)."""
    return f"q_{question_id}"


# --- The matrix in use --------------------------------------------------------------


def current_matrix() -> RiskMatrix:
    """The latest version loaded; the packaged default is stored on first use."""
    matrix = db.session.scalar(select(RiskMatrix).order_by(RiskMatrix.loaded_at.desc(), RiskMatrix.id.desc()).limit(1))
    if matrix is None:
        matrix = store_matrix(riskmatrix.packaged_default())
    return matrix


def store_matrix(definition: dict[str, Any]) -> RiskMatrix:
    """Store a new matrix version. A version, once stored, is never changed.

    Loading the same file again is harmless; a different file under a version that
    exists is refused, so every assessment keeps the matrix it was scored with.
    """
    parsed = riskmatrix.parse(definition)
    digest = riskmatrix.checksum(definition)
    existing = db.session.scalar(
        select(RiskMatrix).where(RiskMatrix.name == parsed.name, RiskMatrix.version == parsed.version)
    )
    if existing is not None:
        if existing.checksum != digest:
            raise MatrixInvalid(
                [
                    f"version {parsed.version} of '{parsed.name}' is already loaded with different content; "
                    "give the changed matrix a new version number"
                ]
            )
        return existing
    matrix = RiskMatrix(name=parsed.name, version=parsed.version, definition=definition, checksum=digest)
    db.session.add(matrix)
    db.session.flush()
    audit.record(
        None, "risk_matrix.loaded", "risk_matrix", matrix.id, detail={"name": matrix.name, "version": matrix.version}
    )
    return matrix


# --- One victim ---------------------------------------------------------------------


def _victim(case: Case, person_id: int) -> Person:
    person = db.session.scalar(
        select(Person)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(
            CaseParty.case_id == case.id,
            CaseParty.person_id == person_id,
            CaseParty.role == PartyRole.VICTIM,
            CaseParty.removed_at.is_(None),
        )
    )
    if person is None:
        raise NotFound("victim", person_id)
    return person


@dataclass(frozen=True)
class AssessmentForm:
    case: Case
    person: Person
    matrix: RiskMatrix
    parsed: Matrix


def assessment_form(actor: User, reference: str, person_id: int) -> AssessmentForm:
    case = get_case(actor, reference, Permission.RISK_ASSESS)
    person = _victim(case, person_id)
    matrix = current_matrix()
    return AssessmentForm(case, person, matrix, riskmatrix.parse(matrix.definition))


def check_assessment(
    actor: User,
    reference: str,
    person_id: int,
    *,
    matrix_id: int | None,
    answers: dict[str, str],
    assessed_at: datetime | None,
    override_level: RiskLevel | None,
    override_reason: str | None,
    bounds: DateBounds = DEFAULT_BOUNDS,
) -> None:
    """InvalidInput with every rule an assessment breaks, on what of the form could be
    read (None for a field the form could not read: it is not checked again here)."""
    case = get_case(actor, reference, Permission.RISK_ASSESS)
    person = _victim(case, person_id)
    checks, _result = _assessment_checks(
        case, person, current_matrix(), matrix_id, answers, assessed_at, override_level, override_reason, bounds
    )
    checks.raise_any()


def _assessment_checks(
    case: Case,
    person: Person,
    matrix: RiskMatrix,
    matrix_id: int | None,
    answers: dict[str, str],
    assessed_at: datetime | None,
    override_level: RiskLevel | None,
    override_reason: str | None,
    bounds: DateBounds,
) -> tuple[Checks, riskmatrix.Score | None]:
    """Every problem with an assessment, and its score when the answers can be scored."""
    checks = Checks()
    if matrix_id != matrix.id:
        checks.refuse("The risk matrix has changed since this form was opened. Reload the page and answer again.")
        return checks, None  # the answers are to other questions
    if assessed_at is not None and assessed_at > utcnow() + CLOCK_SKEW:
        checks.refuse("The date and time of the assessment must not be in the future", field="assessed_on")
    elif assessed_at is not None and case.closed_at is not None and assessed_at > case.closed_at:
        # It would start clocks on a closed case; one made before the case closed can
        # still be recorded late.
        checks.refuse(
            "The case was closed before this date and time: reopen the case to record a new assessment",
            field="assessed_on",
        )
    else:
        earliest = floor(case.opened_at, "case", bounds, born_on=person.date_of_birth, name=person.full_name)
        check_floor(checks, assessed_at, earliest, field="assessed_on")
    try:
        result: riskmatrix.Score | None = riskmatrix.score(riskmatrix.parse(matrix.definition), answers)
    except AnswersInvalid as invalid:
        result = None
        for question_id, message in invalid.problems.items():
            checks.refuse(message, field=answer_field(question_id))
    if override_level is not None:
        if result is not None and override_level.rank <= result.level.rank:
            checks.refuse(
                f"Professional judgement can only raise the level above {result.level.label.lower()}",
                field="override_level",
            )
        if override_reason is not None and not override_reason.strip():
            checks.refuse("Give the reason for raising the level", field="override_reason")
    return checks, result


def record_assessment(
    actor: User,
    reference: str,
    person_id: int,
    *,
    matrix_id: int,
    answers: dict[str, str],
    assessed_at: datetime,
    override_level: RiskLevel | None,
    override_reason: str,
    bounds: DateBounds = DEFAULT_BOUNDS,
    confirmed: str | None = None,
) -> RiskAssessment:
    """Grade the victim, keep the answers and the matrix version, and update the clocks.

    An assessment dated before something already recorded about the victim, that would
    change their clocks, raises
    ``backdating.ClocksWillChange`` unless ``confirmed`` is the token of those changes
    (a person at the form is asked first; ``None``, for other callers, does not ask)."""
    case = get_case(actor, reference, Permission.RISK_ASSESS)
    person = _victim(case, person_id)
    matrix = current_matrix()
    checks, _result = _assessment_checks(
        case, person, matrix, matrix_id, answers, assessed_at, override_level, override_reason, bounds
    )
    checks.raise_any()
    result = riskmatrix.score(riskmatrix.parse(matrix.definition), answers)
    preview = backdating.assessment_preview(case.id, person, assessed_at, override_level or result.level)
    preview.check(confirmed)
    assessment = _store_assessment(
        actor,
        case,
        person,
        matrix,
        result,
        answers=answers,
        assessed_at=assessed_at,
        override_level=override_level,
        override_reason=override_reason,
        clocks=preview.audit_detail(),
    )
    sla.recompute(case.id, person.id)
    return assessment


def _store_assessment(
    actor: User,
    case: Case,
    person: Person,
    matrix: RiskMatrix,
    result: riskmatrix.Score,
    *,
    answers: dict[str, str],
    assessed_at: datetime,
    override_level: RiskLevel | None,
    override_reason: str,
    clocks: dict[str, Any],
) -> RiskAssessment:
    """The checked assessment written down, with the audit record of it (and of the
    victim's clocks before and after, when it changes them)."""
    assessment = RiskAssessment(
        case_id=case.id,
        person_id=person.id,
        matrix_id=matrix.id,
        answers=dict(answers),
        score=result.score,
        computed_level=result.level,
        override_level=override_level,
        override_reason=override_reason.strip() if override_level else "",
        level=override_level or result.level,
        assessed_at=assessed_at,
        assessed_by_id=actor.id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        actor,
        "risk.assessed",
        "risk_assessment",
        assessment.id,
        case_id=case.id,
        person_id=person.id,
        detail={"score": result.score, "level": assessment.level.value, "matrix": matrix.title, **clocks},
    )
    return assessment


@dataclass(frozen=True)
class ScoredAssessment:
    assessment: RiskAssessment
    score: riskmatrix.Score


def history(
    actor: User, reference: str, person_id: int, *, access_reasons: Mapping[int, dict[str, str]] | None = None
) -> tuple[Case, Person, list[ScoredAssessment]]:
    """Every assessment of the victim on this case, newest first, each with why it came out as it did.
    Reading a victim's risk history is audited, like any view of a person's record, with
    the reason given for opening a restricted case."""
    case = get_case(actor, reference, Permission.RISK_ASSESS)
    person = _victim(case, person_id)
    detail = {"access_reason": (access_reasons or {}).get(case.id) or {}} if case.restricted else None
    audit.record(actor, "risk.history_viewed", "person", person.id, case_id=case.id, person_id=person.id, detail=detail)
    assessments = db.session.scalars(
        select(RiskAssessment)
        .where(RiskAssessment.case_id == case.id, RiskAssessment.person_id == person.id)
        .options(joinedload(RiskAssessment.matrix), joinedload(RiskAssessment.assessed_by))
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())
    )
    scored = [
        ScoredAssessment(a, riskmatrix.score(riskmatrix.parse(a.matrix.definition), a.answers)) for a in assessments
    ]
    return case, person, scored
