"""Risk matrices: checking a matrix file, and scoring answers against a matrix.

Pure functions on the matrix definition (the JSON stored with each version), so a
stored assessment can always be scored again with the matrix it was made with.
"""

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeGuard

from casework.victims.models import RiskLevel

DEFAULT_MATRIX_FILE = "default-v1.json"


class MatrixInvalid(Exception):
    """A matrix file that cannot be used, with every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    points: int
    critical: bool


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    hint: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class Group:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Matrix:
    name: str
    version: int
    description: str
    high: int
    medium: int
    groups: tuple[Group, ...]

    @property
    def questions(self) -> list[Question]:
        return [question for group in self.groups for question in group.questions]


@dataclass(frozen=True)
class Contribution:
    question: Question
    option: Option


@dataclass(frozen=True)
class Score:
    score: int
    level: RiskLevel
    # Answers that scored, highest first: "which answers carried it".
    contributions: list[Contribution]
    # Critical answers, each of which makes the level high on its own.
    critical: list[Contribution]

    @property
    def reason(self) -> str:
        if self.critical:
            answers = "; ".join(f"{c.question.text} {c.option.label}" for c in self.critical)
            return f"High because of a critical answer: {answers}"
        return f"Score {self.score}"


def _problems(definition: Any) -> list[str]:
    """Everything wrong with a matrix definition, in words an administrator can act on."""
    if not isinstance(definition, dict):
        return ["the file must hold a JSON object"]
    problems = []
    if not isinstance(definition.get("name"), str) or not definition["name"].strip():
        problems.append("name: give the matrix a name")
    if not _whole_number(definition.get("version"), minimum=1):
        problems.append("version: must be a whole number, 1 or more")
    problems += _threshold_problems(definition.get("thresholds"))
    groups = definition.get("groups")
    if not isinstance(groups, list) or not groups:
        return problems + ["groups: must be a list of question groups"]
    seen: set[str] = set()
    for g, group in enumerate(groups, 1):
        where = f"groups[{g}]"
        if not isinstance(group, dict) or not isinstance(group.get("title"), str):
            problems.append(f"{where}: needs a 'title' and 'questions'")
            continue
        questions = group.get("questions")
        if not isinstance(questions, list) or not questions:
            problems.append(f"{where} ({group['title']}): needs at least one question")
            continue
        for n, question in enumerate(questions, 1):
            problems += _question_problems(f"{where}.questions[{n}]", question, seen)
    return problems


def _whole_number(value: object, *, minimum: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _threshold_problems(thresholds: object) -> list[str]:
    if not isinstance(thresholds, dict):
        return ["thresholds: must hold 'high' and 'medium'"]
    high, medium = thresholds.get("high"), thresholds.get("medium")
    if not (_whole_number(high, minimum=1) and _whole_number(medium, minimum=1)):
        return ["thresholds: 'high' and 'medium' must be whole numbers above 0"]
    if medium >= high:
        return ["thresholds: 'medium' must be lower than 'high'"]
    return []


def _question_problems(here: str, question: object, seen: set[str]) -> list[str]:
    """What is wrong with one question; its id joins ``seen``."""
    if not isinstance(question, dict):
        return [f"{here}: must be an object"]
    problems = []
    question_id = question.get("id")
    if not isinstance(question_id, str) or not question_id:
        problems.append(f"{here}: needs an 'id'")
    elif question_id in seen:
        problems.append(f"{here}: the id '{question_id}' is used twice")
    else:
        seen.add(question_id)
        here = f"question '{question_id}'"
    if not isinstance(question.get("text"), str) or not question["text"].strip():
        problems.append(f"{here}: needs a 'text'")
    options = question.get("options")
    if not isinstance(options, list) or len(options) < 2:
        return problems + [f"{here}: needs at least two options"]
    option_ids: set[str] = set()
    for option in options:
        if not isinstance(option, dict) or not isinstance(option.get("id"), str) or not option["id"]:
            problems.append(f"{here}: every option needs an 'id'")
            continue
        if option["id"] in option_ids:
            problems.append(f"{here}: the option id '{option['id']}' is used twice")
        option_ids.add(option["id"])
        if not isinstance(option.get("label"), str) or not option["label"].strip():
            problems.append(f"{here}, option '{option['id']}': needs a 'label'")
        if not _whole_number(option.get("points"), minimum=0):
            problems.append(f"{here}, option '{option['id']}': 'points' must be a whole number, 0 or more")
        if not isinstance(option.get("critical", False), bool):
            problems.append(f"{here}, option '{option['id']}': 'critical' must be true or false")
    return problems


def parse(definition: Any) -> Matrix:
    """The matrix a definition describes; MatrixInvalid lists every problem."""
    problems = _problems(definition)
    if problems:
        raise MatrixInvalid(problems)
    return Matrix(
        name=definition["name"].strip(),
        version=definition["version"],
        description=definition.get("description", ""),
        high=definition["thresholds"]["high"],
        medium=definition["thresholds"]["medium"],
        groups=tuple(
            Group(
                title=group["title"],
                questions=tuple(
                    Question(
                        id=question["id"],
                        text=question["text"],
                        hint=question.get("hint", ""),
                        options=tuple(
                            Option(option["id"], option["label"], option["points"], option.get("critical", False))
                            for option in question["options"]
                        ),
                    )
                    for question in group["questions"]
                ),
            )
            for group in definition["groups"]
        ),
    )


def checksum(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def packaged_default() -> dict[str, Any]:
    """The default matrix shipped in the package."""
    text = resources.files("casework.victims.riskmatrix").joinpath(DEFAULT_MATRIX_FILE).read_text(encoding="utf-8")
    return json.loads(text)


class AnswersInvalid(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(f"{len(problems)} answers invalid")
        self.problems = problems  # question id -> message


def score(matrix: Matrix, answers: dict[str, str]) -> Score:
    """Score a full set of answers. Every question must be answered with one of its options."""
    problems = {}
    contributions = []
    for question in matrix.questions:
        chosen = answers.get(question.id)
        option = question.option(chosen) if chosen else None
        if chosen is None or chosen == "":
            problems[question.id] = f"Answer: {question.text}"
        elif option is None:
            problems[question.id] = f"Choose one of the answers given for: {question.text}"
        else:
            contributions.append(Contribution(question, option))
    unknown = set(answers) - {question.id for question in matrix.questions}
    for question_id in sorted(unknown):
        problems[question_id] = "This question is not in the risk matrix. Reload the page and try again."
    if problems:
        raise AnswersInvalid(problems)
    total = sum(c.option.points for c in contributions)
    critical = [c for c in contributions if c.option.critical]
    if critical or total >= matrix.high:
        level = RiskLevel.HIGH
    elif total >= matrix.medium:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.STANDARD
    scored = sorted((c for c in contributions if c.option.points > 0), key=lambda c: -c.option.points)
    return Score(total, level, scored, critical)
