"""A case on a PSG meeting's agenda is seen in full by that meeting's chair while the
meeting is open, whatever agency leads it: audited with the meeting as the reason, and a
stub again once the meeting is finished. Restricted cases only where the chair's agency
is involved. The grant is in policy's SQL, so the list, the pages and the meeting agree."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, PartyRole
from casework.cases.services import pages
from casework.cases.services.pages import CaseFilter
from casework.clock import utcnow
from casework.meetings.models import Meeting
from casework.people.models import Person
from casework.permissions import Role
from casework.policy import visible_cases, visible_people
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_user,
)

pytestmark = pytest.mark.both_databases

TITLE = "Drug dealing from the flats on Norwich Road"


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    officer = make_user(agency=police, name="Pat Police")
    case = make_case(lead_agency=police, opened_by=officer, title=TITLE)
    victim = make_person(created_by=officer, first_name="Vera", last_name="Vickers")
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    restricted = make_case(lead_agency=police, opened_by=officer, restricted=True, title="Domestic abuse, Elm Close")
    action = make_action(case=case, agency=police, created_by=officer, title="Patrol Norwich Road on Fridays")
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2))
    for position, on_agenda in enumerate((case, restricted), start=1):
        make_agenda_item(meeting=meeting, position=position, case=on_agenda)
    return SimpleNamespace(
        council_id=council.id,
        chair_id=chair.id,
        officer_id=officer.id,
        case_id=case.id,
        reference=case.reference,
        restricted_id=restricted.id,
        restricted_reference=restricted.reference,
        victim_id=victim.id,
        action_id=action.id,
        meeting_id=meeting.id,
        client_as=client_as,
    )


def chair(world) -> User:
    return db.session.get(User, world.chair_id)


def full_view(user: User, case_id: int) -> bool | None:
    row = db.session.execute(visible_cases(user).where(Case.id == case_id)).first()
    return None if row is None else bool(row[1])


def finish(world) -> None:
    db.session.get(Meeting, world.meeting_id).finished_at = utcnow()
    db.session.commit()


def viewed(world, case_id: int) -> dict:
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.verb == "case.viewed", AuditEvent.case_id == case_id)
        .order_by(AuditEvent.id.desc())
    ).first()
    return event.detail


def test_the_chair_sees_a_case_on_the_open_meetings_agenda_in_full(world):
    client = world.client_as(chair(world))
    page = client.get(f"/cases/{world.reference}").text
    assert TITLE in page and "Vera Vickers" in page and "Patrol Norwich Road on Fridays" in page
    assert "a PSG meeting you chair" in page and f'href="/meetings/{world.meeting_id}"' in page
    assert viewed(world, world.case_id) == {"view": "full", "meeting": world.meeting_id}
    # The case's victim and its actions follow the case.
    assert client.get(f"/people/{world.victim_id}").status_code == 200
    assert client.get(f"/actions/{world.action_id}").status_code == 200


def person_viewed(person_id: int) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.verb == "person.viewed", AuditEvent.person_id == person_id)
        .order_by(AuditEvent.id.desc())
    ).first()


def test_the_person_page_seen_through_the_agenda_names_the_meeting(world):
    """Like the case page's view, the person page's says why the chair sees them."""
    client = world.client_as(chair(world))
    assert client.get(f"/people/{world.victim_id}").status_code == 200
    assert person_viewed(world.victim_id).detail == {"meetings": {world.reference: world.meeting_id}}
    # Their own officers work on the case: no meeting to name.
    world.client_as(db.session.get(User, world.officer_id)).get(f"/people/{world.victim_id}")
    assert person_viewed(world.victim_id).detail == {}


def test_the_grant_ends_when_the_meeting_is_finished(world):
    finish(world)
    client = world.client_as(chair(world))
    page = client.get(f"/cases/{world.reference}").text
    assert TITLE not in page and "you see only a summary" in page
    assert viewed(world, world.case_id) == {"view": "stub"}
    assert client.get(f"/people/{world.victim_id}").status_code == 404
    assert client.get(f"/actions/{world.action_id}").status_code == 404
    assert full_view(chair(world), world.case_id) is False


def test_the_list_pages_and_people_agree(world):
    assert full_view(chair(world), world.case_id) is True
    rows = pages.list_cases(chair(world), CaseFilter(scope="all"), per_page=25).items
    assert {row.case.id: row.full_view for row in rows} == {world.case_id: True, world.restricted_id: False}
    # "Cases my agency is involved in" stays the agency's own.
    assert pages.list_cases(chair(world), CaseFilter(scope="mine"), per_page=25).items == []
    people = db.session.scalars(visible_people(chair(world)).with_only_columns(Person.id)).all()
    assert people == [world.victim_id]


def test_a_restricted_case_stays_a_restricted_stub_unless_the_chairs_agency_is_involved(world):
    client = world.client_as(chair(world))
    page = client.get(f"/cases/{world.restricted_reference}").text
    assert "Domestic abuse" not in page
    assert full_view(chair(world), world.restricted_id) is False
    db.session.add(
        CaseAgency(
            case_id=world.restricted_id, agency_id=world.council_id, added_by_id=world.officer_id, added_at=utcnow()
        )
    )
    db.session.commit()
    assert full_view(chair(world), world.restricted_id) is True


def test_only_the_meetings_own_chair(world):
    council = db.session.get(Agency, world.council_id)
    other_chair = make_user(role=Role.PSG_CHAIR, agency=council)
    member = make_user(agency=council)
    assert (full_view(other_chair, world.case_id), full_view(member, world.case_id)) == (False, False)
    page = world.client_as(other_chair).get(f"/cases/{world.reference}").text
    assert TITLE not in page


def test_the_chair_may_do_what_the_meeting_needs_and_no_more(world):
    client = world.client_as(chair(world))
    base = f"/cases/{world.reference}"
    # Bringing in an agency, and actions (for the meeting's decisions).
    assert client.get(base + "/agencies/new").status_code == 200
    assert client.get(f"/actions/new?case={world.reference}").status_code == 200
    # The case's own record stays with the agencies working on it.
    for path in ("/edit", "/people/new", "/close"):
        assert client.get(base + path).status_code == 403, path
    response = client.post(base + "/notes", data={"kind": "note", "body": "Discussed at the PSG."})
    assert response.status_code == 403
    page = client.get(base).text
    assert "Share with another agency" in page and "Add an action" in page
    assert "Edit details" not in page and f'action="{base}/notes"' not in page
