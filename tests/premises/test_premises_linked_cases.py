"""Cases linked to a licensed premises: linking by licence number when a case is opened
or edited, and PSG members and partners seeing a premises only through such a case."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_premises, make_user
from tests.support.cases import edit_form, open_form

pytestmark = pytest.mark.both_databases


@pytest.fixture
def linked(session):
    """The Drowned Eel, with a case led by the housing association that involves the
    police; the council is involved in nothing."""
    housing, police, council = make_agency(name="Roddons Housing"), make_agency(name="Police"), make_agency()
    premises = make_premises(name="The Drowned Eel", licence_number="FDC/PL/0001")
    case = make_case(lead_agency=housing, involved=[police], title="Fights at closing time", premises=premises)
    return SimpleNamespace(housing=housing, police=police, council=council, premises=premises, case=case)


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER])
def test_an_involved_agency_sees_the_premises_through_the_case(client_as, linked, role):
    client = client_as(make_user(role=role, agency=linked.police))
    page = client.get(f"/premises/{linked.premises.id}")
    assert page.status_code == 200
    assert "The Drowned Eel" in page.text
    assert f'href="/cases/{linked.case.reference}"' in page.text
    assert "Fights at closing time" in page.text


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER])
def test_a_case_does_not_open_the_register_or_the_forms_that_change_premises(client_as, linked, role):
    client = client_as(make_user(role=role, agency=linked.housing))
    assert client.get("/premises").status_code == 403
    page = client.get(f"/premises/{linked.premises.id}")
    assert "Back to licensed premises" not in page.text
    assert "Move colour" not in page.text
    for form in ("status", "incidents/new", "visits/new", "hearings/new", "accreditation"):
        assert client.get(f"/premises/{linked.premises.id}/{form}").status_code == 403, form
        assert client.post(f"/premises/{linked.premises.id}/{form}", data={}).status_code == 403, form


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.ANALYST])
def test_without_a_case_they_see_in_full_the_premises_is_not_found(client_as, linked, role):
    client = client_as(make_user(role=role, agency=linked.council))
    assert client.get(f"/premises/{linked.premises.id}").status_code == 404
    # A restricted case of theirs about another premises opens only that premises.
    other = make_premises()
    make_case(lead_agency=linked.council, restricted=True, premises=other)
    expected = 404 if role is Role.ANALYST else 200
    assert client.get(f"/premises/{other.id}").status_code == expected
    assert client.get(f"/premises/{linked.premises.id}").status_code == 404


def test_a_stub_of_the_linked_case_is_not_enough(client_as, linked):
    """PSG members see other agencies' cases as stubs; a stub does not open the premises."""
    member = make_user(role=Role.PSG_MEMBER, agency=linked.council)
    client = client_as(member)
    assert client.get(f"/cases/{linked.case.reference}").status_code == 200  # the stub
    assert client.get(f"/premises/{linked.premises.id}").status_code == 404


def test_the_register_roles_see_only_the_linked_cases_they_may_list(client_as, linked):
    officer = make_user(role=Role.LICENSING_OFFICER, agency=linked.council)
    page = client_as(officer).get(f"/premises/{linked.premises.id}")
    assert page.status_code == 200
    assert linked.case.reference not in page.text
    assert "No case you can see is linked to this premises." in page.text

    chair = make_user(role=Role.PSG_CHAIR, agency=linked.council)
    page = client_as(chair).get(f"/premises/{linked.premises.id}")
    # Chairs list every case; one their agency is not involved in is shown by reference only.
    assert linked.case.reference in page.text
    assert "Fights at closing time" not in page.text


# --- Linking ---------------------------------------------------------------------------


def test_a_case_opened_with_a_licence_number_is_linked_and_shows_the_premises(client_as, linked):
    member = make_user(role=Role.PSG_MEMBER, agency=linked.council)
    client = client_as(member)
    response = client.post(
        "/cases/new", data=open_form(lead_agency_id=linked.council.id, premises_licence=" FDC/PL/0001 ")
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.title == "Youths gathering on the green"))
    assert case.premises_id == linked.premises.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "case.opened", AuditEvent.case_id == case.id))
    assert event.detail["premises_id"] == linked.premises.id
    page = client.get(response.location)
    assert f'href="/premises/{linked.premises.id}"' in page.text
    assert client.get(f"/premises/{linked.premises.id}").status_code == 200


def test_an_unknown_licence_number_is_refused_keeping_what_was_typed(client_as, linked):
    member = make_user(role=Role.PSG_MEMBER, agency=linked.council)
    cases_before = db.session.scalar(select(func.count()).select_from(Case))
    response = client_as(member).post(
        "/cases/new", data=open_form(lead_agency_id=linked.council.id, premises_licence="FDC/PL/9999")
    )
    assert response.status_code == 400
    assert "There is no licensed premises with licence number FDC/PL/9999" in response.text
    assert 'value="FDC/PL/9999"' in response.text
    assert 'value="Youths gathering on the green"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Case)) == cases_before


def test_editing_links_and_unlinks_a_premises_and_audits_it(client_as, linked):
    member = make_user(role=Role.PSG_MEMBER, agency=linked.housing)
    client = client_as(member)
    reference = linked.case.reference
    form_page = client.get(f"/cases/{reference}/edit")
    assert 'value="FDC/PL/0001"' in form_page.text

    other = make_premises(licence_number="FDC/PL/0002")
    case = db.session.get(Case, linked.case.id)
    assert (
        client.post(f"/cases/{reference}/edit", data=edit_form(case, premises_licence="FDC/PL/0002")).status_code == 302
    )
    db.session.expire_all()
    case = db.session.get(Case, linked.case.id)
    assert case.premises_id == other.id
    assert client.post(f"/cases/{reference}/edit", data=edit_form(case, premises_licence="")).status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, linked.case.id)
    assert case.premises_id is None
    changes = [
        event.detail["premises_id"]
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.verb == "case.updated").order_by(AuditEvent.id)
        )
    ]
    assert changes == [
        {"from": linked.premises.id, "to": other.id},
        {"from": other.id, "to": None},
    ]
    # Unlinked, the premises is closed to the housing association again.
    assert client.get(f"/premises/{linked.premises.id}").status_code == 404
