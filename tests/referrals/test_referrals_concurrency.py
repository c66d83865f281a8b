"""Chairs deciding one referral at the same moment, over real connections to a database
of their own: exactly one decision is kept, the others are told it was already made,
and none of them leaves a case, a person or an agency behind."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from casework import create_app, db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, CaseParty
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals.models import Referral, ReferralStatus
from config import TestConfig
from tests.conftest import SignedInClient, alembic_config
from tests.factories import make_agency, make_referral, make_user
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

CHAIRS = 5


@pytest.fixture
def shared_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh database whose requests really commit."""
    previous_bind = db.session.session_factory.kw.get("bind")
    with fresh_database(database_url, tmp_path, prefix="casework_referrals") as url:
        command.upgrade(alembic_config(url), "head")
        app = create_app(TestConfig(url))
        app.test_client_class = SignedInClient
        try:
            yield app
        finally:
            db.session.remove()
            app.extensions["casework.engine"].dispose()
            db.session.configure(bind=previous_bind)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_chairs_accepting_and_declining_one_referral_at_once_keep_exactly_one_decision(shared_app):
    with shared_app.app_context():
        council = make_agency(name="Fenland District Council")
        voluntary = make_agency(name="Wisbech Community Trust")
        chairs = [make_user(role=Role.PSG_CHAIR, agency=council) for _ in range(CHAIRS)]
        referral = make_referral(referrer=make_user(role=Role.PARTNER, agency=voluntary))
        referral_id, lead_id = referral.id, council.id

    def decide(number: int) -> tuple[int, str]:
        client = shared_app.test_client(user=chairs[number])
        if number % 2:
            response = client.post(
                f"/referrals/{referral_id}/decline",
                data={"decline-version": "1", "decline-reason": f"Declined by chair {number}"},
            )
        else:
            response = client.post(
                f"/referrals/{referral_id}/accept",
                data={
                    "accept-version": "1",
                    "accept-person_id": "new",
                    "accept-role": "victim",
                    "accept-into": "new",
                    "accept-case_type": "victim",
                    "accept-title": f"Opened by chair {number}",
                    "accept-lead_agency_id": str(lead_id),
                },
            )
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=CHAIRS) as pool:
        results = list(pool.map(decide, range(CHAIRS)))

    statuses = [status for status, _ in results]
    assert sorted(statuses) == [302] + [409] * (CHAIRS - 1), statuses
    with shared_app.app_context():
        decided = db.session.get(Referral, referral_id)
        assert decided.status is not ReferralStatus.NEW and decided.version == 2
        word = decided.status.value
        assert all(f"This referral has already been {word}" in text for status, text in results if status == 409)
        accepted = decided.status is ReferralStatus.ACCEPTED
        assert count(Case) == count(Person) == count(CaseParty) == (1 if accepted else 0)
        assert count(CaseAgency) == (2 if accepted else 0)  # the lead (the chairs' agency) and the referrer's
        verbs = list(db.session.scalars(sa.select(AuditEvent.verb).where(AuditEvent.verb.like("referral.%"))))
        assert verbs == [f"referral.{word}"]
