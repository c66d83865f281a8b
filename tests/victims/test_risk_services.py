"""The risk service called directly: storing matrix versions, and recording a victim's
assessment with the answers and the matrix it was scored with."""

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import PartyRole
from casework.clock import utcnow
from casework.exceptions import InvalidInput, NotFound, PermissionDenied
from casework.permissions import Role
from casework.victims.models import RiskAssessment, RiskLevel, RiskMatrix, SlaClock
from casework.victims.services import risk, riskmatrix
from casework.victims.services.riskmatrix import MatrixInvalid
from tests.factories import add_party, make_agency, make_case, make_person, make_user

pytestmark = pytest.mark.both_databases

DEFAULT = riskmatrix.packaged_default()
QUESTIONS = riskmatrix.parse(DEFAULT).questions


def answers(**chosen: str) -> dict[str, str]:
    """Every question answered with its lowest option, except those given."""
    return {question.id: question.options[0].id for question in QUESTIONS} | chosen


HIGH = {"violence": "actual"}  # critical: high at a score of 6
MEDIUM = {"frequency": "daily", "hate": "yes", "damage": "minor"}  # 12
SCORE_23 = {
    "frequency": "daily",
    "hate": "yes",
    "damage": "significant",
    "targeted": "yes",
    "disability": "yes",
    "isolation": "isolated",
}


def version_2() -> dict:
    changed = copy.deepcopy(DEFAULT)
    changed["version"] = 2
    changed["thresholds"]["high"] = 20
    return changed


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member)
    victim = make_person(created_by=member)
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    return {"council": council, "member": member, "case": case, "victim": victim}


def assess(world, *, matrix_id=None, given=None, at=None, override_level=None, override_reason="", person=None):
    return risk.record_assessment(
        world["member"],
        world["case"].reference,
        (person or world["victim"]).id,
        matrix_id=matrix_id if matrix_id is not None else risk.current_matrix().id,
        answers=answers(**HIGH) if given is None else given,
        assessed_at=at or utcnow() - timedelta(hours=2),
        override_level=override_level,
        override_reason=override_reason,
    )


# --- Matrix versions ----------------------------------------------------------------


def test_the_packaged_default_is_stored_on_first_use_and_audited(session):
    assert count(RiskMatrix) == 0
    matrix = risk.current_matrix()
    assert (matrix.title, matrix.definition, matrix.checksum) == (
        "Casework default ASB victim risk matrix v1",
        DEFAULT,
        riskmatrix.checksum(DEFAULT),
    )
    assert risk.current_matrix().id == matrix.id
    assert count(RiskMatrix) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "risk_matrix.loaded"))
    assert (event.object_id, event.detail) == (matrix.id, {"name": matrix.name, "version": 1})


def test_storing_the_same_matrix_again_changes_nothing(session):
    first = risk.store_matrix(DEFAULT)
    events = count(AuditEvent)
    again = risk.store_matrix(copy.deepcopy(DEFAULT))
    assert again.id == first.id
    assert (count(RiskMatrix), count(AuditEvent)) == (1, events)


def test_a_stored_version_is_never_changed(session):
    stored = risk.store_matrix(DEFAULT)
    tampered = copy.deepcopy(DEFAULT)
    tampered["groups"][0]["questions"][0]["options"][3]["points"] = 60
    with pytest.raises(MatrixInvalid) as refused:
        risk.store_matrix(tampered)
    assert refused.value.problems == [
        "version 1 of 'Casework default ASB victim risk matrix' is already loaded with different content; "
        "give the changed matrix a new version number"
    ]
    assert db.session.get(RiskMatrix, stored.id).definition == DEFAULT
    assert count(RiskMatrix) == 1


def test_an_invalid_matrix_is_not_stored(session):
    bad = copy.deepcopy(DEFAULT)
    bad["thresholds"] = {"high": 5, "medium": 5}
    with pytest.raises(MatrixInvalid):
        risk.store_matrix(bad)
    assert (count(RiskMatrix), count(AuditEvent)) == (0, 0)


def test_the_latest_version_loaded_is_the_current_one(session):
    first = risk.current_matrix()
    second = risk.store_matrix(version_2())
    assert risk.current_matrix().id == second.id != first.id
    assert count(RiskMatrix) == 2


# --- Recording an assessment --------------------------------------------------------


def test_an_assessment_keeps_its_answers_matrix_score_and_level(world):
    at = utcnow() - timedelta(days=1)
    given = answers(**SCORE_23)
    assessment = assess(world, given=given, at=at)
    stored = db.session.get(RiskAssessment, assessment.id)
    assert stored.answers == given
    assert stored.matrix_id == risk.current_matrix().id
    assert (stored.score, stored.computed_level, stored.override_level, stored.level) == (
        23,
        RiskLevel.HIGH,
        None,
        RiskLevel.HIGH,
    )
    assert (stored.assessed_at, stored.assessed_by_id, stored.case_id) == (at, world["member"].id, world["case"].id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "risk.assessed"))
    assert (event.case_id, event.person_id, event.object_id) == (world["case"].id, world["victim"].id, assessment.id)
    assert event.detail == {"score": 23, "level": "high", "matrix": "Casework default ASB victim risk matrix v1"}


@pytest.mark.parametrize(
    ("given", "total", "level"),
    [(MEDIUM, 12, RiskLevel.MEDIUM), ({}, 0, RiskLevel.STANDARD), (HIGH, 6, RiskLevel.HIGH)],
)
def test_the_level_is_computed_from_the_answers(world, given, total, level):
    assessment = assess(world, given=answers(**given))
    assert (assessment.score, assessment.computed_level, assessment.level) == (total, level, level)


def test_the_answers_are_scored_again_with_the_matrix_they_were_made_with(world):
    """A new matrix version does not change an earlier assessment's score or level."""
    first = assess(
        world, given=answers(frequency="daily", hate="yes", damage="significant", targeted="yes", disability="worsened")
    )
    assert (first.score, first.level) == (21, RiskLevel.MEDIUM)
    risk.store_matrix(version_2())  # high from 20
    _case, _person, scored = risk.history(world["member"], world["case"].reference, world["victim"].id)
    assert [(s.assessment.id, s.score.score, s.score.level) for s in scored] == [(first.id, 21, RiskLevel.MEDIUM)]


def test_professional_judgement_raises_the_level_with_a_reason(world):
    assessment = assess(
        world, given=answers(**MEDIUM), override_level=RiskLevel.HIGH, override_reason="  Carer has moved away  "
    )
    assert (assessment.computed_level, assessment.override_level, assessment.level) == (
        RiskLevel.MEDIUM,
        RiskLevel.HIGH,
        RiskLevel.HIGH,
    )
    assert assessment.override_reason == "Carer has moved away"
    # The final level is the one the clocks follow.
    assert count(SlaClock) == 2


@pytest.mark.parametrize(
    ("given", "override", "message"),
    [
        (MEDIUM, RiskLevel.STANDARD, "Professional judgement can only raise the level above medium"),
        (MEDIUM, RiskLevel.MEDIUM, "Professional judgement can only raise the level above medium"),
        (HIGH, RiskLevel.HIGH, "Professional judgement can only raise the level above high"),
    ],
)
def test_professional_judgement_never_lowers_the_level(world, given, override, message):
    with pytest.raises(InvalidInput) as refused:
        assess(world, given=answers(**given), override_level=override, override_reason="The victim is coping well")
    assert (refused.value.field, refused.value.message) == ("override_level", message)


def test_raising_the_level_needs_a_reason(world):
    with pytest.raises(InvalidInput) as refused:
        assess(world, given=answers(**MEDIUM), override_level=RiskLevel.HIGH, override_reason="   ")
    assert (refused.value.field, refused.value.message) == ("override_reason", "Give the reason for raising the level")


def test_an_assessment_a_minute_ahead_is_allowed_for_a_slightly_fast_clock(world):
    assert assess(world, at=utcnow() + timedelta(minutes=1)).level is RiskLevel.HIGH


def test_only_a_victim_still_on_the_case_can_be_assessed(world):
    witness = make_person(created_by=world["member"], first_name="Wes")
    add_party(case=world["case"], person=witness, role=PartyRole.WITNESS)
    stranger = make_person(created_by=world["member"], first_name="Sol")
    for person in (witness, stranger):
        with pytest.raises(NotFound):
            assess(world, person=person)


@pytest.mark.parametrize(
    ("role", "involved", "error"),
    [
        (Role.PSG_MEMBER, False, NotFound),  # another agency's member sees only a stub
        (Role.ANALYST, True, NotFound),  # analysts see no case pages
        (Role.PARTNER, True, PermissionDenied),  # sees the case, may not grade risk
    ],
)
def test_only_psg_members_and_chairs_who_see_the_case_in_full_can_assess(world, role, involved, error):
    agency = world["council"] if involved else make_agency()
    actor = make_user(role=role, agency=agency)
    matrix_id = risk.current_matrix().id
    with pytest.raises(error):
        risk.record_assessment(
            actor,
            world["case"].reference,
            world["victim"].id,
            matrix_id=matrix_id,
            answers=answers(**HIGH),
            assessed_at=utcnow(),
            override_level=None,
            override_reason="",
        )
    assert count(RiskAssessment) == 0


# --- Refusals write nothing ----------------------------------------------------------


def _refusal(what):
    """The call that is refused for each reason, and the form field the message goes to."""
    without_hate = answers(**HIGH)
    del without_hate["hate"]
    return {
        "in the future": (dict(at=utcnow() + timedelta(hours=1)), "assessed_on"),
        "missing answer": (dict(given=without_hate), "q_hate"),
        "unknown option": (dict(given=answers(violence="extreme")), "q_violence"),
        "extra question": (dict(given=answers(**HIGH) | {"pets": "dog"}), "q_pets"),
        "tampered matrix": (dict(matrix_id=987654), None),
        "lowered level": (
            dict(given=answers(**MEDIUM), override_level=RiskLevel.STANDARD, override_reason="x"),
            "override_level",
        ),
        "no reason": (dict(given=answers(**MEDIUM), override_level=RiskLevel.HIGH), "override_reason"),
    }[what]


@pytest.mark.parametrize(
    "what",
    [
        "in the future",
        "missing answer",
        "unknown option",
        "extra question",
        "tampered matrix",
        "lowered level",
        "no reason",
    ],
)
def test_a_refused_assessment_writes_nothing(world, what):
    call, field = _refusal(what)
    risk.current_matrix()
    db.session.commit()
    before = (count(RiskAssessment), count(SlaClock), count(AuditEvent))
    with pytest.raises(InvalidInput) as refused:
        assess(world, **call)
    assert refused.value.field == field
    # Raised before anything was added, so there is nothing a caller could commit by mistake.
    assert not db.session.new and not db.session.dirty
    assert (count(RiskAssessment), count(SlaClock), count(AuditEvent)) == before


def test_an_assessment_made_on_an_older_matrix_version_is_refused(world):
    """The form was opened before a new version was loaded: answer again."""
    old = risk.current_matrix()
    assess(world, given=answers(**MEDIUM))
    risk.store_matrix(version_2())
    db.session.commit()
    before = (count(RiskAssessment), count(SlaClock), count(AuditEvent))
    with pytest.raises(InvalidInput) as refused:
        assess(world, matrix_id=old.id)
    assert (
        refused.value.message
        == "The risk matrix has changed since this form was opened. Reload the page and answer again."
    )
    assert (count(RiskAssessment), count(SlaClock), count(AuditEvent)) == before


def test_the_first_message_names_the_first_question_wrong(world):
    given = answers()
    del given["frequency"]
    given["violence"] = "extreme"
    with pytest.raises(InvalidInput) as refused:
        assess(world, given=given)
    assert (refused.value.field, refused.value.message) == (
        "q_frequency",
        "Answer: How often has the victim experienced anti-social behaviour in the last 3 months?",
    )
