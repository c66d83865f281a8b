"""The risk matrix as data (DESIGN.md section 3.1): checking a matrix file, and scoring
a victim's answers into a level with the reason for it."""

import copy

import pytest

from casework.victims.models import RiskLevel
from casework.victims.services import riskmatrix
from casework.victims.services.riskmatrix import AnswersInvalid, MatrixInvalid

DEFAULT = riskmatrix.packaged_default()
MATRIX = riskmatrix.parse(DEFAULT)


def answers(**chosen: str) -> dict[str, str]:
    """Every question answered with its lowest option (no points), except those given."""
    given = {question.id: question.options[0].id for question in MATRIX.questions}
    unknown = set(chosen) - set(given)
    assert not unknown, unknown
    return given | chosen


# --- The packaged default -------------------------------------------------------------


def test_the_packaged_default_parses_with_16_questions_and_thresholds_22_and_12():
    assert (MATRIX.name, MATRIX.version) == ("Casework default ASB victim risk matrix", 1)
    assert len(MATRIX.questions) == 16
    assert len({question.id for question in MATRIX.questions}) == 16
    assert (MATRIX.high, MATRIX.medium) == (22, 12)
    assert [group.title for group in MATRIX.groups] == ["The behaviour", "The victim", "The impact"]
    assert all(len(question.options) >= 2 for question in MATRIX.questions)
    assert any(option.critical for question in MATRIX.questions for option in question.options)


def test_the_packaged_default_is_labelled_a_local_default_and_not_a_home_office_instrument():
    assert "Home Office" not in MATRIX.name
    assert "local default" in MATRIX.description
    assert "not an official Home Office instrument" in MATRIX.description


def test_the_lowest_answers_score_nothing_so_every_level_is_reachable():
    result = riskmatrix.score(MATRIX, answers())
    assert (result.score, result.level, result.contributions, result.critical) == (0, RiskLevel.STANDARD, [], [])


def test_the_checksum_does_not_depend_on_key_order_but_does_on_content():
    reordered = dict(reversed(list(DEFAULT.items())))
    assert riskmatrix.checksum(reordered) == riskmatrix.checksum(DEFAULT)
    changed = copy.deepcopy(DEFAULT)
    changed["groups"][0]["questions"][0]["options"][1]["points"] += 1
    assert riskmatrix.checksum(changed) != riskmatrix.checksum(DEFAULT)


# --- Checking a matrix file ------------------------------------------------------------


def test_a_bad_matrix_file_is_refused_with_every_problem_and_where_it_is():
    bad = copy.deepcopy(DEFAULT)
    bad["name"] = "  "
    bad["version"] = 0
    bad["thresholds"] = {"high": 12, "medium": 22}
    behaviour = bad["groups"][0]["questions"]
    behaviour[1]["id"] = behaviour[0]["id"]  # "frequency" twice
    behaviour[2]["options"][0]["points"] = -1  # violence: "none"
    behaviour[3]["options"] = behaviour[3]["options"][:1]  # damage: one option
    behaviour[4]["options"][2]["critical"] = "yes"  # targeted: "yes"
    del behaviour[5]["text"]  # perpetrators
    bad["groups"][1]["questions"] = []
    with pytest.raises(MatrixInvalid) as refused:
        riskmatrix.parse(bad)
    assert refused.value.problems == [
        "name: give the matrix a name",
        "version: must be a whole number, 1 or more",
        "thresholds: 'medium' must be lower than 'high'",
        "groups[1].questions[2]: the id 'frequency' is used twice",
        "question 'violence', option 'none': 'points' must be a whole number, 0 or more",
        "question 'damage': needs at least two options",
        "question 'targeted', option 'yes': 'critical' must be true or false",
        "question 'perpetrators': needs a 'text'",
        "groups[2] (The victim): needs at least one question",
    ]
    assert "; ".join(refused.value.problems) == str(refused.value)


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ([], "the file must hold a JSON object"),
        (
            {"name": "M", "version": 1, "thresholds": {"high": 2, "medium": 1}},
            "groups: must be a list of question groups",
        ),
        (
            {"name": "M", "version": True, "thresholds": {"high": 2, "medium": 1}, "groups": []},
            "version: must be a whole number, 1 or more",
        ),
        ({"name": "M", "version": 1, "thresholds": [], "groups": []}, "thresholds: must hold 'high' and 'medium'"),
        (
            {"name": "M", "version": 1, "thresholds": {"high": "22", "medium": 12}, "groups": []},
            "thresholds: 'high' and 'medium' must be whole numbers above 0",
        ),
    ],  # fmt: skip
)
def test_a_matrix_file_of_the_wrong_shape_is_refused_with_a_clear_problem(definition, problem):
    with pytest.raises(MatrixInvalid) as refused:
        riskmatrix.parse(definition)
    assert problem in refused.value.problems


def test_an_option_without_an_id_or_repeated_is_refused():
    bad = copy.deepcopy(DEFAULT)
    options = bad["groups"][2]["questions"][0]["options"]  # health
    options[1]["id"] = options[0]["id"]
    options[2]["id"] = ""
    options[3]["label"] = ""
    with pytest.raises(MatrixInvalid) as refused:
        riskmatrix.parse(bad)
    assert refused.value.problems == [
        "question 'health': the option id 'none' is used twice",
        "question 'health': every option needs an 'id'",
        "question 'health', option 'self_harm': needs a 'label'",
    ]


# --- Scoring: levels ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "total", "level"),
    [
        ({"frequency": "daily", "hate": "yes"}, 11, RiskLevel.STANDARD),
        ({"frequency": "daily", "hate": "yes", "damage": "minor"}, 12, RiskLevel.MEDIUM),
        (
            {"frequency": "daily", "hate": "yes", "damage": "significant", "targeted": "yes", "disability": "worsened"},
            21,
            RiskLevel.MEDIUM,
        ),
        (
            {
                "frequency": "daily",
                "hate": "yes",
                "damage": "significant",
                "targeted": "yes",
                "disability": "worsened",
                "perpetrators": "few",
            },
            22,
            RiskLevel.HIGH,
        ),
    ],  # fmt: skip
    ids=["11-standard", "12-medium", "21-medium", "22-high"],
)
def test_the_level_follows_the_thresholds(chosen, total, level):
    result = riskmatrix.score(MATRIX, answers(**chosen))
    assert (result.score, result.level, result.critical) == (total, level, [])
    assert result.reason == f"Score {total}"


def test_the_thresholds_come_from_the_matrix():
    lower = copy.deepcopy(DEFAULT)
    lower["thresholds"] = {"high": 5, "medium": 2}
    matrix = riskmatrix.parse(lower)
    assert riskmatrix.score(matrix, answers(frequency="two_to_three")).level is RiskLevel.MEDIUM
    assert riskmatrix.score(matrix, answers(hate="yes")).level is RiskLevel.HIGH


def test_a_critical_answer_makes_the_level_high_at_a_low_score_and_is_named_in_the_reason():
    result = riskmatrix.score(MATRIX, answers(violence="actual"))
    assert (result.score, result.level) == (6, RiskLevel.HIGH)
    assert [(c.question.id, c.option.id) for c in result.critical] == [("violence", "actual")]
    assert result.reason == (
        "High because of a critical answer: Have there been threats of violence, or violence? "
        "Actual violence, or threats with a weapon"
    )


def test_every_critical_answer_is_named():
    result = riskmatrix.score(MATRIX, answers(violence="actual", health="self_harm"))
    assert [c.question.id for c in result.critical] == ["violence", "health"]
    assert "Actual violence" in result.reason and "Thoughts of self-harm or suicide" in result.reason


def test_the_answers_that_scored_are_listed_highest_first():
    result = riskmatrix.score(
        MATRIX, answers(perpetrators="few", frequency="daily", isolation="isolated", hate="yes", age="older")
    )
    assert [(c.question.id, c.option.points) for c in result.contributions] == [
        ("frequency", 6), ("hate", 5), ("isolation", 3), ("age", 2), ("perpetrators", 1),
    ]  # fmt: skip
    assert result.score == 17


# --- Scoring: answers that cannot be scored --------------------------------------------


def test_a_missing_answer_is_named():
    given = answers()
    del given["hate"]
    given["age"] = ""
    with pytest.raises(AnswersInvalid) as refused:
        riskmatrix.score(MATRIX, given)
    assert refused.value.problems == {
        "hate": f"Answer: {MATRIX.questions[1].text}",
        "age": "Answer: How old is the victim?",
    }


def test_an_unknown_option_is_named():
    with pytest.raises(AnswersInvalid) as refused:
        riskmatrix.score(MATRIX, answers(violence="extreme"))
    assert refused.value.problems == {
        "violence": "Choose one of the answers given for: Have there been threats of violence, or violence?"
    }


def test_an_answer_to_a_question_not_in_the_matrix_is_refused():
    with pytest.raises(AnswersInvalid) as refused:
        riskmatrix.score(MATRIX, answers() | {"pets": "dog"})
    assert refused.value.problems == {"pets": "This question is not in the risk matrix. Reload the page and try again."}
