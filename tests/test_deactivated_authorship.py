"""A deactivated user keeps their authorship: every record they made still names them,
and nothing they made is changed or removed. Users are never deleted."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseType, Note, NoteKind, PartyRole
from casework.cases.services import commands as cases
from casework.clock import today, utcnow
from casework.people import services as people
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals import services as referrals
from casework.referrals.models import Consent, Referral, ReferralSubject
from casework.victims.models import RiskAssessment
from casework.victims.services import risk
from tests.factories import make_agency, make_user
from tests.support.victims import LOWEST

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent


def snapshot(model: type, row_id: int) -> dict[str, object]:
    row = db.session.get(model, row_id)
    return {column.key: getattr(row, column.key) for column in inspect(model).column_attrs if column.key != "version"}


def test_a_deactivated_users_records_keep_their_name(app, session, client_as) -> None:
    agency = make_agency(name="Fenland District Council")
    author = make_user(role=Role.PSG_MEMBER, agency=agency, name="Dora Departed")
    admin = make_user(role=Role.ADMIN, agency=agency)
    manager = make_user(role=Role.MANAGER, agency=agency)

    with app.app_context():
        case = cases.open_case(
            author,
            case_type=CaseType.VICTIM,
            title="Stones at windows",
            summary="",
            lead_agency_id=agency.id,
            district="Fenland",
            town="Wisbech",
            ward="",
            restricted=False,
            reference_prefix="ASB",
        )
        case.lead_officer_id = author.id
        note = cases.add_note(author, case.reference, kind=NoteKind.NOTE, body="Dora's note about the visit")
        party = people.add_new_person(
            author,
            case.reference,
            role=PartyRole.VICTIM,
            first_name="Vera",
            last_name="Victim",
            date_of_birth=None,
            address="",
            postcode="",
            phone="",
            email="",
            vulnerabilities="",
            confirmed_new=True,
        )
        assessment = risk.record_assessment(
            author,
            case.reference,
            party.person_id,
            matrix_id=risk.current_matrix().id,
            answers=LOWEST,
            assessed_at=utcnow() - timedelta(minutes=5),
            override_level=None,
            override_reason="",
        )
        action = actions.create_action(
            author,
            Subject(case_id=case.id),
            title="Fit window locks",
            detail="",
            assigned_agency_id=agency.id,
            assignee_id=None,
            due_on=today() + timedelta(days=7),
        )
        referral = referrals.make_referral(
            author,
            subject=ReferralSubject.PERSON,
            first_name="Ada",
            last_name="Ashdown",
            date_of_birth=None,
            address="",
            postcode="",
            place="",
            what_is_happening="Youths throwing stones",
            risks="",
            consent=Consent.YES,
            consent_reason="",
        )
        db.session.commit()
    records = {
        Case: case.id,
        Note: note.id,
        Person: party.person_id,
        RiskAssessment: assessment.id,
        Action: action.id,
        Referral: referral.id,
    }
    before = {model: snapshot(model, row_id) for model, row_id in records.items()}

    response = client_as(admin).post(f"/admin/users/{author.id}/deactivate", data={"version": author.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, author.id).active is False

    client = client_as(manager)
    case_page = client.get(f"/cases/{case.reference}").text
    assert "Dora Departed" in case_page  # the lead officer, and the byline of her note
    assert re.search(r"by\s+Dora Departed", case_page), "the note's byline"
    assert re.search(r"Opened\s*</dt>\s*<dd[^>]*>[^<]*by Dora Departed", case_page), "who opened the case"
    assert "Dora Departed" in client.get(f"/actions/{action.id}").text
    assert "Dora Departed" in client.get(f"/referrals/{referral.id}").text
    audit_page = client.get(f"/admin/audit?user={author.id}").text
    assert "Dora Departed" in audit_page and "Opened case" in audit_page and "Added note" in audit_page

    db.session.expire_all()
    assert {model: snapshot(model, row_id) for model, row_id in records.items()} == before
    assert db.session.get(User, author.id) is not None
    assert (
        db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.actor_id == author.id, AuditEvent.verb == "case.opened")
        )
        is not None
    )


def test_no_foreign_key_to_users_cascades_on_delete(session) -> None:
    """Every reference to a user is kept as it is: no ON DELETE CASCADE or SET NULL."""
    bind = db.session.get_bind()
    inspector = inspect(bind)
    references = [
        (table, key)
        for table in inspector.get_table_names()
        for key in inspector.get_foreign_keys(table)
        if key["referred_table"] == "users"
    ]
    assert len(references) > 10
    for table, key in references:
        assert (key.get("options") or {}).get("ondelete") in (None, "NO ACTION", "RESTRICT"), (table, key)


def test_no_code_path_deletes_a_user() -> None:
    """Users are deactivated, never deleted: nothing in the application deletes one."""
    pattern = re.compile(
        r"delete\(\s*User\b|session\.delete\(\s*(user|actor|author)\b|DELETE FROM users", re.IGNORECASE
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "casework").rglob("*.py"), *(ROOT / "migrations").rglob("*.py")]
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
