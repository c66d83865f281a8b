"""`flask casework retention`: a dry run lists what is due without names; --apply anonymises."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseStatus, PartyRole
from casework.clock import utcnow
from casework.people.models import Person
from tests.factories import add_party, make_agency, make_case, make_person, make_user

pytestmark = pytest.mark.calendar


@pytest.fixture
def run(app, session):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["casework", "retention", *args])


@pytest.fixture
def cases(app, session):
    lead = make_agency()
    officer = make_user(agency=lead)
    long_ago = utcnow() - timedelta(days=365 * 7)
    made = {}
    for name, hold in (("due", False), ("held", True)):
        case = make_case(lead_agency=lead, opened_by=officer, status=CaseStatus.CLOSED, opened_at=long_ago)
        case.legal_hold, case.legal_hold_reason = hold, "Inquiry" if hold else ""
        person = make_person(created_by=officer, first_name="Zebedee", last_name=f"Quill-{name}")
        add_party(case=case, person=person, role=PartyRole.VICTIM)
        db.session.commit()
        made[name] = (case.id, case.reference, person.id)
    recent = make_case(lead_agency=lead, opened_by=officer, status=CaseStatus.CLOSED)
    made["recent"] = (recent.id, recent.reference, None)
    # Plain ids: the command ends its own session, which detaches loaded objects.
    return made


def test_dry_run_lists_references_and_ids_without_names_and_changes_nothing(run, cases):
    (due_id, due_reference, due_person), (_, held_reference, _) = cases["due"], cases["held"]

    result = run("--dry-run")

    assert result.exit_code == 0, result.output
    output = result.output
    assert "Cases to anonymise: 1" in output and due_reference in output
    assert "Cases kept under a legal hold: 1" in output and held_reference in output
    assert cases["recent"][1] not in output
    assert f"person {due_person}" in output
    assert "Zebedee" not in output and "Quill" not in output
    assert "nothing was changed" in output
    db.session.expire_all()
    assert db.session.get(Case, due_id).anonymised_at is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb.like("retention.%"))) is None


def test_apply_anonymises_and_commits(run, cases):
    (due_id, _, due_person), (held_id, _, held_person) = cases["due"], cases["held"]

    result = run("--apply")

    assert result.exit_code == 0, result.output
    assert "Anonymised 1 cases, 0 referrals and 1 people." in result.output
    db.session.expire_all()
    assert db.session.get(Case, due_id).anonymised_at is not None
    assert db.session.get(Person, due_person).first_name == "Anonymised"
    assert db.session.get(Case, held_id).anonymised_at is None
    assert db.session.get(Person, held_person).first_name == "Zebedee"

    again = run("--apply")
    assert "Cases to anonymise: 0" in again.output


def test_a_mode_must_be_chosen(run, cases):
    result = run()
    assert result.exit_code != 0
    assert "Choose --dry-run" in result.output
    assert db.session.get(Case, cases["due"][0]).anonymised_at is None


def test_periods_come_from_the_configuration(run, cases, app, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_CLOSED_CASE_YEARS", 10)
    result = run("--dry-run")
    assert "Cases to anonymise: 0" in result.output
    assert "(10 years)" in result.output
