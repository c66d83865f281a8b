"""The legal hold page: managers and administrators place a hold with a reason, or lift it."""

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user


@pytest.fixture
def case(session) -> Case:
    lead = make_agency()
    return make_case(lead_agency=lead, opened_by=make_user(agency=lead))


def url(case: Case) -> str:
    return f"/cases/{case.reference}/legal-hold"


def test_manager_places_then_lifts_a_hold(client_as, case) -> None:
    client = client_as(make_user(role=Role.MANAGER))

    page = client.get(url(case))
    assert page.status_code == 200 and "Place a legal hold on this case" in page.text
    response = client.post(url(case), data={"version": case.version, "reason": "Civil claim expected"})
    assert response.status_code == 302 and response.location.endswith(f"/cases/{case.reference}")
    db.session.expire_all()
    held = db.session.get(Case, case.id)
    assert (held.legal_hold, held.legal_hold_reason) == (True, "Civil claim expected")

    page = client.get(url(case))
    assert "Lift the legal hold on this case" in page.text and "Civil claim expected" in page.text
    response = client.post(url(case), data={"version": held.version, "reason": "Claim settled"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).legal_hold is False
    verbs = db.session.scalars(
        select(AuditEvent.verb).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    ).all()
    assert verbs == ["case.viewed", "case.legal_hold_placed", "case.viewed", "case.legal_hold_lifted"]


def test_a_reason_is_required_and_nothing_is_written(client_as, case) -> None:
    response = client_as(make_user(role=Role.ADMIN)).post(url(case), data={"version": case.version, "reason": " "})
    assert response.status_code == 400
    assert "There is a problem" in response.text and "Enter the reason" in response.text
    db.session.expire_all()
    assert db.session.get(Case, case.id).legal_hold is False
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case.id)) is None


def test_a_stale_form_is_refused(client_as, case) -> None:
    response = client_as(make_user(role=Role.MANAGER)).post(
        url(case), data={"version": case.version + 1, "reason": "x"}
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Case, case.id).legal_hold is False


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER, Role.LICENSING_OFFICER, Role.ANALYST])
def test_other_roles_are_refused(client_as, case, role: Role) -> None:
    client = client_as(make_user(role=role, agency=make_agency()))
    assert client.get(url(case)).status_code in (403, 404)
    assert client.post(url(case), data={"version": case.version, "reason": "x"}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Case, case.id).legal_hold is False


def test_unknown_case_is_not_found(client_as, session) -> None:
    assert client_as(make_user(role=Role.MANAGER)).get("/cases/ASB-1900-00001/legal-hold").status_code == 404
