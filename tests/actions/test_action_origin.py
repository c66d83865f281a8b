"""An action a PSG meeting's decision created is seen as what it came from is seen: from a
referral item, only by those who see the referral (and by the agency that owes it, which
sees the action but not the referral); from a case item, by those who see the case in
full. Every page and export that shows an action uses the same clause."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services import action_lists
from casework.agencies.models import Agency
from casework.clock import today, utcnow
from casework.data_protection.services.subject_access import export_person
from casework.meetings.models import Meeting
from casework.permissions import Role
from casework.policy import visible_actions
from casework.referrals.models import Referral
from tests.factories import (
    add_party,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)

pytestmark = pytest.mark.both_databases

DECISION = "Housing to move Bea Bramley: she is being exploited by her grandson."
TOPIC_DECISION = "Fire service to check smoke alarms on the estate."


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    fire = make_agency(name="Cambridgeshire Fire and Rescue")
    users = {
        "chair": make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair"),
        "referrer": make_user(agency=police, name="Pat Police"),
        "tenancy_officer": make_user(agency=housing, name="Hana Housing"),
        "firefighter": make_user(agency=fire, name="Finn Fire"),
        "manager": make_user(role=Role.MANAGER, agency=council, name="Mo Manager"),
        "admin": make_user(role=Role.ADMIN, agency=fire, name="Ada Admin"),
    }
    referral = make_referral(referrer=users["referrer"], first_name="Bea", last_name="Bramley")
    meeting = make_psg_meeting(chair=users["chair"], held_at=utcnow() - timedelta(hours=1))
    referral_item = make_agenda_item(meeting=meeting, position=1, referral_id=referral.id)
    topic_item = make_agenda_item(meeting=meeting, position=2, topic="Fire safety on the Waterlees estate")
    return SimpleNamespace(
        agencies={"council": council.id, "housing": housing.id, "fire": fire.id},
        users={name: user.id for name, user in users.items()},
        referral_id=referral.id,
        meeting_id=meeting.id,
        referral_item=referral_item.id,
        topic_item=topic_item.id,
        client_as=client_as,
    )


def user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def agency(world, name: str) -> Agency:
    return db.session.get(Agency, world.agencies[name])


def client(world, name: str):
    return world.client_as(user(world, name))


def decide(world, item_id: int, text: str, agency_id: int, *, due_in: int = 14) -> Action:
    """The chair records a decision with an action, as the decision form does."""
    due = today() + timedelta(days=due_in)
    db.session.expire_all()
    version = db.session.get(Meeting, world.meeting_id).version
    response = client(world, "chair").post(
        f"/meetings/{world.meeting_id}/items/{item_id}/decisions/new",
        data={
            "version": str(version),
            "text": text,
            "assigned_agency_id": str(agency_id),
            "due_on": [str(due.day), str(due.month), str(due.year)],
        },
    )
    assert response.status_code == 302, response.text
    return db.session.scalars(select(Action).order_by(Action.id.desc())).first()


def seen_by(viewer: User, action: Action) -> bool:
    return db.session.scalar(visible_actions(viewer).where(Action.id == action.id)) is not None


def test_an_action_from_a_referral_decision_records_the_referral(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"])
    assert (action.meeting_id, action.case_id, action.referral_id) == (world.meeting_id, None, world.referral_id)
    topic_action = decide(world, world.topic_item, TOPIC_DECISION, world.agencies["fire"])
    assert (topic_action.meeting_id, topic_action.referral_id) == (world.meeting_id, None)


def test_another_agencys_member_cannot_read_a_referral_decision_at_its_action_page(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"])
    response = client(world, "firefighter").get(f"/actions/{action.id}")
    assert response.status_code == 404
    assert "grandson" not in response.text and "Bea Bramley" not in response.text
    # Nor on the meeting page, where the referral's record is the chair's.
    meeting_page = client(world, "firefighter").get(f"/meetings/{world.meeting_id}").text
    assert "grandson" not in meeting_page and "Action for Roddons Housing" not in meeting_page


def test_the_assigned_agency_sees_what_it_owes_but_not_the_referral(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"])
    owing = client(world, "tenancy_officer")
    page = owing.get(f"/actions/{action.id}")
    assert page.status_code == 200
    assert "exploited by her grandson" in page.text  # its title and detail: the decision's words
    assert (today() + timedelta(days=14)).strftime("%B %Y") in page.text
    assert "Save update" in page.text
    assert "Referral from" not in page.text and "Pat Police" not in page.text
    inbox = owing.get("/actions").text
    assert f'href="/actions/{action.id}"' in inbox
    # The meeting page tells it there was a referral, never whose or what was decided.
    meeting_page = owing.get(f"/meetings/{world.meeting_id}").text
    assert "A new referral" in meeting_page and "Bea Bramley" not in meeting_page


def test_who_sees_an_action_from_a_referral_item(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"])
    assert {
        name: seen_by(viewer, action)
        for name, viewer in {
            "the chair, who decides referrals": user(world, "chair"),
            "the referring agency": user(world, "referrer"),
            "the agency that owes it": user(world, "tenancy_officer"),
            "a manager": user(world, "manager"),
            "another agency": user(world, "firefighter"),
        }.items()
    } == {
        "the chair, who decides referrals": True,
        "the referring agency": True,
        "the agency that owes it": True,
        "a manager": True,
        "another agency": False,
    }


def test_an_action_from_a_topic_is_seen_by_everyone_who_sees_the_meeting(world):
    action = decide(world, world.topic_item, TOPIC_DECISION, world.agencies["housing"])
    assert client(world, "firefighter").get(f"/actions/{action.id}").status_code == 200


def test_an_action_from_a_case_item_is_seen_by_those_who_see_the_case_in_full(world):
    case = make_case(
        lead_agency=agency(world, "housing"),
        opened_by=user(world, "tenancy_officer"),
        involved=[agency(world, "council")],
    )
    item = make_agenda_item(meeting=db.session.get(Meeting, world.meeting_id), position=3, case=case)
    case_id, item_id = case.id, item.id
    action = decide(world, item_id, "Housing to serve a warning letter.", world.agencies["housing"])
    assert action.case_id == case_id
    assert client(world, "firefighter").get(f"/actions/{action.id}").status_code == 404
    assert client(world, "chair").get(f"/actions/{action.id}").status_code == 200


def test_the_overdue_list_names_the_action_only_to_those_who_see_it(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"], due_in=-3)
    [row] = action_lists.overdue(user(world, "manager"), today=today()).page.items
    assert (row.action.id, row.shown) == (action.id, True)
    # An administrator reads no referral (need-to-know, docs/referrals.md), so not this either.
    [row] = action_lists.overdue(user(world, "admin"), today=today()).page.items
    assert not row.shown


def test_the_subject_access_export_lists_the_action_under_its_referral(world):
    action = decide(world, world.referral_item, DECISION, world.agencies["housing"])
    # The person the referral was about, once on a case the manager sees.
    chair = user(world, "chair")
    case = make_case(lead_agency=agency(world, "council"), opened_by=chair)
    person = make_person(created_by=chair, first_name="Bea", last_name="Bramley")
    referral = db.session.get(Referral, world.referral_id)
    referral.person_id, referral.case_id = person.id, case.id
    db.session.commit()
    add_party(case=case, person=person)
    export = export_person(user(world, "manager"), person.id, file_format="json")
    [referral] = export.data["referrals"]
    assert [entry["id"] for entry in referral["actions"]] == [action.id]
    assert referral["actions"][0]["detail"] == DECISION
