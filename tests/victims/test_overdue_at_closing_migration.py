"""The migration that brings the clocks a database already holds under the rule that a
breach stands when its case closes: a clock stopped after its due time becomes overdue
at closing, one stopped at or before it stays stopped, and downgrading undoes it."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseStatus, CaseType
from casework.clock import utcnow
from casework.people.models import Person
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel, RiskMatrix, SlaClock
from tests.conftest import alembic_config
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

REVISION, BEFORE = "a70e68956494", "e04bd4749b44"


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(database_url, tmp_path, prefix="casework_overdue_at_closing") as url:
        yield url


def _a_victim_assessed_high(session: Session) -> RiskAssessment:
    now = utcnow()
    agency = Agency(name="Fenland District Council", kind=AgencyKind.COUNCIL, statutory=True)
    session.add(agency)
    session.flush()
    user = User(email="o@example.test", name="O", agency_id=agency.id, role=Role.PSG_MEMBER, password_hash="x")
    session.add(user)
    session.flush()
    case = Case(
        reference="ASB-2026-00001", case_type=CaseType.VICTIM, title="Noise", summary="", status=CaseStatus.CLOSED,
        lead_agency_id=agency.id, district="", town="", ward="", restricted=False, opened_at=now,
        opened_by_id=user.id,
    )  # fmt: skip
    person = Person(first_name="Ada", last_name="Ashdown", created_by_id=user.id)
    matrix = RiskMatrix(name="m", version=1, definition={}, checksum="0" * 64)
    session.add_all([case, person, matrix])
    session.flush()
    assessment = RiskAssessment(
        case_id=case.id, person_id=person.id, matrix_id=matrix.id, answers={}, score=30,
        computed_level=RiskLevel.HIGH, level=RiskLevel.HIGH, assessed_at=now, assessed_by_id=user.id,
    )  # fmt: skip
    session.add(assessment)
    session.flush()
    return assessment


def test_clocks_stopped_after_their_due_time_become_overdue_at_closing_and_back(empty_database):
    migrations = alembic_config(empty_database)
    command.upgrade(migrations, "head")
    engine = db.make_engine(empty_database)
    # The columns the table had when the migration was written, typed as the app stores them.
    names = ("id", "kind", "case_id", "person_id", "started_at", "due_at", "outcome", "met_at", "stopped_at",
             "stop_reason", "started_by_assessment_id")  # fmt: skip
    clocks = sa.table("sla_clocks", *(sa.column(name, SlaClock.__table__.c[name].type) for name in names))
    try:
        with Session(engine) as session, session.begin():
            assessment = _a_victim_assessed_high(session)
            start = assessment.assessed_at - timedelta(days=30)
            due = start + timedelta(hours=72)
            common = {"case_id": assessment.case_id, "person_id": assessment.person_id, "started_at": start,
                      "due_at": due, "met_at": None, "stop_reason": "Case closed: done",
                      "started_by_assessment_id": assessment.id}  # fmt: skip
            # Rows as an older version stored them: every stop plain "stopped".
            session.execute(
                clocks.insert(),
                [
                    {"id": 1, "kind": ClockKind.CONFERENCE_72H, "outcome": ClockOutcome.STOPPED,
                     "stopped_at": due + timedelta(seconds=1), **common},
                    {"id": 2, "kind": ClockKind.REDUCE_7D, "outcome": ClockOutcome.STOPPED, "stopped_at": due,
                     **common},
                    {"id": 3, "kind": ClockKind.REDUCE_7D, "outcome": ClockOutcome.OPEN, "stopped_at": None,
                     **common},
                ],
            )  # fmt: skip

        def outcomes() -> list[tuple[int, str]]:
            with engine.connect() as connection:
                return [
                    tuple(row) for row in connection.execute(sa.text("SELECT id, outcome FROM sla_clocks ORDER BY id"))
                ]

        command.downgrade(migrations, BEFORE)
        assert outcomes() == [(1, "stopped"), (2, "stopped"), (3, "open")]
        command.upgrade(migrations, REVISION)
        assert outcomes() == [(1, "overdue_at_closing"), (2, "stopped"), (3, "open")]
        command.downgrade(migrations, BEFORE)
        assert outcomes() == [(1, "stopped"), (2, "stopped"), (3, "open")]
    finally:
        engine.dispose()
