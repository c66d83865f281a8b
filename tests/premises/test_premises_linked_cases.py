"""Cases linked to a licensed premises: linking by licence number when a case is opened
or edited, and PSG members and partners seeing a premises only through such a case."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import ActionStatus
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.clock import local_date as local_date_of
from casework.clock import today, utcnow
from casework.permissions import Role
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    Premises,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises
from casework.ui.templating import local_date
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


# --- Who linked which case, for the licensing officers -----------------------------------


def link_events(premises_id):
    return [
        (event.verb, event.case_id, event.actor_id)
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "premises", AuditEvent.object_id == premises_id)
            .where(AuditEvent.verb.in_(["premises.case_linked", "premises.case_unlinked"]))
            .order_by(AuditEvent.id)
        )
    ]


def test_linking_and_unlinking_are_recorded_against_the_premises(client_as, linked):
    member = make_user(role=Role.PSG_MEMBER, agency=linked.council, name="Lee Linker")
    client = client_as(member)
    response = client.post(
        "/cases/new", data=open_form(lead_agency_id=linked.council.id, premises_licence="FDC/PL/0001")
    )
    case = db.session.scalar(select(Case).where(Case.title == "Youths gathering on the green"))
    assert response.status_code == 302
    other = make_premises(licence_number="FDC/PL/0002")
    assert (
        client.post(f"/cases/{case.reference}/edit", data=edit_form(case, premises_licence="FDC/PL/0002")).status_code
        == 302
    )
    assert link_events(linked.premises.id) == [
        ("premises.case_linked", case.id, member.id),
        ("premises.case_unlinked", case.id, member.id),
    ]
    assert link_events(other.id) == [("premises.case_linked", case.id, member.id)]


def test_licensing_officers_see_who_linked_a_case_even_one_they_cannot_see(client_as, linked):
    member = make_user(role=Role.PSG_MEMBER, agency=linked.council, name="Lee Linker")
    client = client_as(member)
    client.post("/cases/new", data=open_form(lead_agency_id=linked.council.id, premises_licence="FDC/PL/0001"))
    case = db.session.scalar(select(Case).where(Case.title == "Youths gathering on the green"))
    client.post(f"/cases/{case.reference}/edit", data=edit_form(case, premises_licence=""))
    officer = make_user(role=Role.LICENSING_OFFICER, agency=linked.police)
    page = client_as(officer).get(f"/premises/{linked.premises.id}").text
    links = page[page.index('id="case-links"') :].split("</ul>")[0]
    day = local_date(utcnow())
    assert f"Linked to case {case.reference} by Lee Linker, {linked.council.name}, " in links
    assert f"Link from case {case.reference} taken off by Lee Linker, {linked.council.name}, " in links
    assert links.count(day) == 2
    assert f'href="/cases/{case.reference}"' not in page  # named, not opened


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.MANAGER, Role.PSG_MEMBER])
def test_only_licensing_officers_see_who_linked_cases(client_as, linked, role):
    linker = make_user(role=Role.PSG_MEMBER, agency=linked.police)
    client_as(linker).post(
        "/cases/new", data=open_form(lead_agency_id=linked.police.id, premises_licence="FDC/PL/0001")
    )
    page = client_as(make_user(role=role, agency=linked.police)).get(f"/premises/{linked.premises.id}")
    assert page.status_code == 200
    assert 'id="case-links"' not in page.text
    assert "Who linked cases" not in page.text


# --- Seen through a case: without the free text ----------------------------------------


@pytest.fixture
def recorded(linked):
    """An incident, a visit, a hearing and a move, each with words written about it."""
    officer = make_user(role=Role.LICENSING_OFFICER, agency=linked.council)
    now = utcnow()
    premises.record_incident(
        officer,
        linked.premises.id,
        occurred_at=now - timedelta(days=3),
        reporting_agency_id=linked.police.id,
        source=IncidentSource.POLICE,
        category=IncidentCategory.VIOLENCE,
        severity=IncidentSeverity.HIGH,
        description="Glassing at the bar; the victim named the barman",
    )
    premises.record_visit(
        officer,
        linked.premises.id,
        kind=VisitKind.COMPLIANCE,
        result=VisitResult.FAIL,
        visited_at=now - timedelta(days=2),
        notes="Door staff log missing; the DPS blamed the manager",
    )
    premises.record_hearing(
        officer,
        linked.premises.id,
        kind=HearingKind.REVIEW,
        held_on=local_date_of(now - timedelta(days=1)),
        outcome=HearingOutcome.CONDITIONS_ADDED,
        notes="Committee minded to revoke next time",
    )
    item = db.session.get(Premises, linked.premises.id)
    premises.move_status(
        officer, item.id, version=item.version, to_status=TlsStatus.AMBER, reason="Moved after the glassing"
    )
    db.session.commit()
    return SimpleNamespace(linked=linked, officer=officer)


FREE_TEXT = (
    "Glassing at the bar",
    "Door staff log missing",
    "Committee minded to revoke",
    "Moved after the glassing",
)


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER])
def test_through_a_case_the_page_leaves_out_the_free_text_but_keeps_colour_deadlines_and_dates(
    client_as, recorded, role
):
    linked = recorded.linked
    page = client_as(make_user(role=role, agency=linked.police)).get(f"/premises/{linked.premises.id}")
    assert page.status_code == 200
    for text in FREE_TEXT:
        assert text not in page.text, text
    assert 'id="through-case"' in page.text
    assert "Amber" in page.text and 'id="deadlines"' in page.text
    assert "Incident: violence (high severity)" in page.text and "Source: Police" in page.text
    assert "Compliance" in page.text
    assert page.text.count("<time datetime=") >= 4


@pytest.mark.parametrize("role", [Role.LICENSING_OFFICER, Role.PSG_CHAIR, Role.MANAGER])
def test_the_register_roles_see_the_whole_record(client_as, recorded, role):
    linked = recorded.linked
    page = client_as(make_user(role=role, agency=linked.council)).get(f"/premises/{linked.premises.id}")
    for text in FREE_TEXT:
        assert text in page.text, text
    assert 'id="through-case"' not in page.text


@pytest.mark.parametrize(("role", "through_case"), [(Role.PSG_MEMBER, True), (Role.LICENSING_OFFICER, False)])
def test_a_view_of_the_premises_is_audited_saying_how_it_was_seen(client_as, linked, role, through_case):
    user = make_user(role=role, agency=linked.police)
    assert client_as(user).get(f"/premises/{linked.premises.id}").status_code == 200
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "premises.viewed"))
    assert (event.actor_id, event.object_id, event.detail) == (
        user.id,
        linked.premises.id,
        {"through_case": through_case},
    )


# --- Seen through a case: the premises' actions -----------------------------------------


@pytest.fixture
def premises_actions(recorded):
    """An action the council owes, with words in its title, detail and progress note,
    and one the police owe."""
    linked, officer = recorded.linked, recorded.officer
    subject = Subject(premises_id=linked.premises.id)
    theirs = actions.create_action(
        officer,
        subject,
        title="Review the CCTV of the glassing",
        detail="The barman's cousin keeps the recorder",
        assigned_agency_id=linked.council.id,
        assignee_id=None,
        due_on=today() + timedelta(days=10),
    )
    actions.update_action(
        officer, theirs.id, version=theirs.version, status=ActionStatus.IN_PROGRESS, note="Tape seized"
    )
    ours = actions.create_action(
        officer,
        subject,
        title="Patrol at closing time",
        detail="",
        assigned_agency_id=linked.police.id,
        assignee_id=None,
        due_on=today() + timedelta(days=5),
    )
    db.session.commit()
    return SimpleNamespace(linked=linked, theirs=theirs, ours=ours)


def test_through_a_case_another_agency_s_premises_action_shows_who_and_when_not_what(client_as, premises_actions):
    """Like the incidents: the agency, the due date and the status, not the words; the
    action's own page is not found. The agency's own action is shown in full."""
    world = premises_actions
    client = client_as(make_user(agency=world.linked.police))
    page = client.get(f"/premises/{world.linked.premises.id}").text
    for text in ("Review the CCTV", "recorder", "Tape seized"):
        assert text not in page, text
    table = page.split('id="premises-actions"', 1)[1].split("</table>", 1)[0]
    assert "Not shown" in table and world.linked.council.name in table and "In progress" in table
    assert "Patrol at closing time" in table
    assert client.get(f"/actions/{world.theirs.id}").status_code == 404
    assert client.get(f"/actions/{world.ours.id}").status_code == 200


def test_the_register_roles_see_every_premises_action_in_full(client_as, premises_actions):
    world = premises_actions
    client = client_as(make_user(role=Role.PSG_CHAIR, agency=world.linked.police))
    page = client.get(f"/premises/{world.linked.premises.id}").text
    for text in ("Review the CCTV of the glassing", "recorder", "Tape seized", "Patrol at closing time"):
        assert text in page, text
    assert "Not shown" not in page
    assert client.get(f"/actions/{world.theirs.id}").status_code == 200
