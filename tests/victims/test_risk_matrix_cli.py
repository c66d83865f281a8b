"""`flask casework risk-matrix load FILE`: an administrator loads a new matrix version."""

import copy
import json

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.victims.models import RiskMatrix
from casework.victims.services import riskmatrix


@pytest.fixture
def load(app, session, tmp_path):
    runner = app.test_cli_runner()

    def run(content: object, *, name: str = "matrix.json"):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
        return runner.invoke(args=["casework", "risk-matrix", "load", str(path)])

    return run


def matrices() -> list[tuple[str, int, str]]:
    db.session.expire_all()
    return list(
        db.session.execute(select(RiskMatrix.name, RiskMatrix.version, RiskMatrix.checksum).order_by(RiskMatrix.id))
    )


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def version_2() -> dict:
    definition = copy.deepcopy(riskmatrix.packaged_default())
    definition["version"] = 2
    definition["thresholds"]["high"] = 20
    return definition


def test_a_good_file_is_loaded_and_used_for_new_assessments(load):
    result = load(version_2())
    assert result.exit_code == 0, result.output
    assert "Loaded Casework default ASB victim risk matrix v2" in result.output
    assert [(name, version) for name, version, _ in matrices()] == [("Casework default ASB victim risk matrix", 2)]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "risk_matrix.loaded"))
    assert event.detail == {"name": "Casework default ASB victim risk matrix", "version": 2}

    from casework.victims.services.risk import current_matrix

    assert current_matrix().version == 2


def test_the_same_file_loaded_twice_changes_nothing(load):
    assert load(version_2()).exit_code == 0
    before, events = matrices(), audit_count()
    result = load(version_2())
    assert result.exit_code == 0, result.output
    assert (
        "Casework default ASB victim risk matrix v2 is already loaded with the same content; nothing was changed."
        in result.output
    )
    assert matrices() == before
    assert audit_count() == events


def test_a_changed_file_under_a_loaded_version_is_refused(load):
    assert load(version_2()).exit_code == 0
    before, events = matrices(), audit_count()
    changed = version_2()
    changed["groups"][0]["questions"][0]["options"][1]["points"] = 5
    result = load(changed)
    assert result.exit_code != 0
    assert (
        "version 2 of 'Casework default ASB victim risk matrix' is already loaded with different content"
        in result.output
    )
    assert "give the changed matrix a new version number" in result.output
    assert matrices() == before
    assert audit_count() == events


def test_an_invalid_file_lists_every_problem_and_loads_nothing(load):
    broken = version_2()
    broken["version"] = "two"
    broken["thresholds"] = {"high": 10, "medium": 15}
    first = broken["groups"][0]["questions"]
    first[1]["id"] = first[0]["id"]  # a question id used twice
    first[2]["options"][0]["points"] = -1
    result = load(broken)
    assert result.exit_code != 0
    assert "cannot be loaded (4 problems); nothing was changed" in result.output
    for problem in (
        "version: must be a whole number, 1 or more",
        "thresholds: 'medium' must be lower than 'high'",
        "the id 'frequency' is used twice",
        "'points' must be a whole number, 0 or more",
    ):
        assert problem in result.output
    assert matrices() == []
    assert audit_count() == 0


def test_a_file_that_is_not_json_says_where(load):
    text = json.dumps(version_2(), indent=2).replace('"version": 2,', '"version": 2', 1)
    line = next(number for number, content in enumerate(text.splitlines(), 1) if '"version": 2' in content) + 1
    result = load(text, name="matrix.txt")
    assert result.exit_code != 0
    assert "is not valid JSON" in result.output and f"on line {line}," in result.output
    assert matrices() == []


def test_a_json_file_that_is_not_a_matrix_is_refused(load):
    result = load([1, 2, 3])
    assert result.exit_code != 0
    assert "the file must hold a JSON object" in result.output
    assert matrices() == []


def test_a_missing_file_is_refused(app, session, tmp_path):
    result = app.test_cli_runner().invoke(args=["casework", "risk-matrix", "load", str(tmp_path / "missing.json")])
    assert result.exit_code != 0
    assert "does not exist" in result.output
