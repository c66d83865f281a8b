"""The migration that records the referral an action came from: actions a database already
holds from decisions on referral items get their referral, and downgrading drops it."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.agencies.models import Agency, AgencyKind
from casework.clock import utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingDecision, MeetingKind
from casework.permissions import Role
from casework.referrals.models import Consent, Referral, ReferralSubject
from tests.conftest import alembic_config
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

REVISION = "5c1e7a9d2b40"


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(database_url, tmp_path, prefix="casework_action_origin") as url:
        yield url


def _decisions_with_actions(session: Session) -> tuple[int, int, int]:
    """A referral item and a topic item, each with a decision that created an action:
    the referral's id and the two actions' ids, stored without their referral."""
    now = utcnow()
    agency = Agency(name="Fenland District Council", kind=AgencyKind.COUNCIL, statutory=True)
    session.add(agency)
    session.flush()
    chair = User(email="c@example.test", name="C", agency_id=agency.id, role=Role.PSG_CHAIR, password_hash="x")
    session.add(chair)
    session.flush()
    referral = Referral(
        subject=ReferralSubject.PERSON, first_name="Bea", last_name="Bramley", address="", postcode="", place="",
        what_is_happening="Exploited.", risks="", consent=Consent.YES, consent_reason="",
        referring_agency_id=agency.id, referrer_id=chair.id, received_at=now,
    )  # fmt: skip
    meeting = Meeting(kind=MeetingKind.PSG_MEETING, held_at=now, chair_id=chair.id, recorded_by_id=chair.id)
    session.add_all([referral, meeting])
    session.flush()
    actions = []
    for position, referral_id in enumerate((referral.id, None), start=1):
        item = AgendaItem(meeting_id=meeting.id, position=position, referral_id=referral_id, topic="", reasons=[])
        session.add(item)
        session.flush()
        decision = MeetingDecision(item_id=item.id, text="Decided.", recorded_by_id=chair.id)
        session.add(decision)
        session.flush()
        action = Action(
            meeting_id=meeting.id, title="Decided.", assigned_agency_id=agency.id, due_on=(now + timedelta(days=7)).date(),
            decision_id=decision.id, created_by_id=chair.id,
        )  # fmt: skip
        session.add(action)
        session.flush()
        actions.append(action.id)
    return referral.id, actions[0], actions[1]


def test_actions_from_referral_decisions_get_their_referral_and_lose_it_on_downgrade(empty_database):
    migrations = alembic_config(empty_database)
    before = ScriptDirectory.from_config(migrations).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    command.upgrade(migrations, "head")
    engine = db.make_engine(empty_database)
    try:
        with Session(engine) as session, session.begin():
            referral_id, from_referral, from_topic = _decisions_with_actions(session)
        command.downgrade(migrations, before)
        with engine.connect() as connection:
            assert "referral_id" not in {column["name"] for column in sa.inspect(connection).get_columns("actions")}
        command.upgrade(migrations, REVISION)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, referral_id FROM actions ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(from_referral, referral_id), (from_topic, None)]
    finally:
        engine.dispose()
