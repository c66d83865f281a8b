"""Recording a PSG meeting: attendance, minutes, decisions that create actions,
finishing (which locks the record) and amendments."""

import re
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.clock import today, utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingAmendment, MeetingAttendance, MeetingDecision
from casework.permissions import Role
from tests.factories import make_agency, make_agenda_item, make_case, make_psg_meeting, make_user
from tests.support.victims import checked, error_links

PROBLEM = "There is a problem"
FINISHED = "This meeting is finished: add an amendment instead"


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    closed = make_agency(name="Zephyr Outreach", active=False)
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Police")
    case = make_case(lead_agency=council, opened_by=member, involved=[police], title="Stones at windows")
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() - timedelta(hours=1))
    case_item = make_agenda_item(
        meeting=meeting, position=1, case=case, reasons=("High-risk victim",), added_by_chair=False
    )
    topic_item = make_agenda_item(meeting=meeting, position=2, topic="Street drinking in Wisbech")
    return SimpleNamespace(
        council=council.id,
        police=police.id,
        housing=housing.id,
        closed=closed.id,
        officer=officer.id,
        member=member.id,
        case_id=case.id,
        reference=case.reference,
        meeting_id=meeting.id,
        case_item=case_item.id,
        topic_item=topic_item.id,
        as_chair=client_as(chair),
        as_member=client_as(member),
        as_officer=client_as(officer),
    )


def url(world, suffix="") -> str:
    return f"/meetings/{world.meeting_id}{suffix}"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored() -> tuple[int, ...]:
    return tuple(
        count(model) for model in (AgendaItem, MeetingAttendance, MeetingDecision, Action, MeetingAmendment, AuditEvent)
    )


def current_version(world) -> int:
    db.session.expire_all()
    return db.session.get(Meeting, world.meeting_id).version


def post(world, path, client=None, **data):
    data.setdefault("version", str(current_version(world)))
    return (client or world.as_chair).post(url(world, path), data=data)


def finish(world):
    response = post(world, "/finish")
    assert response.status_code == 302, response.text


# --- Attendance ---------------------------------------------------------------------


def test_the_attendance_form_lists_every_active_agency(world):
    html = world.as_chair.get(url(world, "/attendance")).text
    for name in ("Cambridgeshire Constabulary", "Fenland District Council", "Roddons Housing"):
        assert name in html
    assert "Zephyr Outreach" not in html
    assert checked(html)[f"agency_{world.council}"] == ["none"]


def test_recording_attendance(world):
    response = post(
        world,
        "/attendance",
        **{
            f"agency_{world.council}": "present",
            f"agency_{world.police}": "apologies",
            f"agency_{world.housing}": "none",
        },
    )
    assert response.location == url(world, "#attendance")
    html = world.as_member.get(url(world)).text
    present, apologies = re.search(r">\s*Present\s*<(.*?)>\s*Apologies\s*<(.*?)</dl>", html, re.S).groups()
    assert "Fenland District Council" in present
    assert "Cambridgeshire Constabulary" in apologies
    again = world.as_chair.get(url(world, "/attendance")).text
    assert checked(again)[f"agency_{world.police}"] == ["apologies"]
    assert count(AuditEvent, AuditEvent.verb == "meeting.attendance_recorded") == 1


def test_a_tampered_attendance_is_refused_and_nothing_saved(world):
    before = stored()
    response = post(world, "/attendance", **{f"agency_{world.council}": "asleep"})
    assert response.status_code == 400
    assert (
        PROBLEM in response.text
        and "Choose present, apologies or not recorded for Fenland District Council" in response.text
    )
    assert stored() == before


# --- Minutes ------------------------------------------------------------------------


def test_saving_minutes(world):
    page = world.as_chair.get(url(world, f"/items/{world.case_item}/minutes"))
    assert page.status_code == 200 and "Stones at windows" in page.text
    response = post(world, f"/items/{world.case_item}/minutes", minutes="Police to patrol Friday nights.")
    assert response.location == url(world, f"#item-{world.case_item}")
    assert "Police to patrol Friday nights." in world.as_officer.get(url(world)).text
    assert db.session.get(AgendaItem, world.case_item).minutes == "Police to patrol Friday nights."
    assert count(AuditEvent, AuditEvent.verb == "meeting.minutes_recorded") == 1


def test_saving_empty_minutes_says_they_are_cleared(world):
    saved = post(world, f"/items/{world.case_item}/minutes", minutes="Police to patrol Friday nights.")
    world.as_chair.get(saved.location)  # where "Minutes saved." is shown
    response = post(world, f"/items/{world.case_item}/minutes", minutes="   ")
    assert response.status_code == 302
    assert db.session.get(AgendaItem, world.case_item).minutes == ""
    page = world.as_chair.get(response.location).text
    assert "Minutes cleared." in page and "Minutes saved." not in page


def test_minutes_typed_on_a_stale_page_are_kept_and_not_saved(world):
    stale = current_version(world)
    post(world, f"/items/{world.topic_item}/minutes", minutes="The first chair's minutes.")
    before = stored()
    response = post(
        world, f"/items/{world.topic_item}/minutes", minutes="The second chair's minutes.", version=str(stale)
    )
    assert response.status_code == 409
    assert "Someone else changed this meeting after you opened it" in response.text
    assert "Saved minutes now" in response.text and "The first chair&#39;s minutes." in response.text
    assert "The second chair&#39;s minutes.</textarea>" in response.text
    assert f'name="version" type="hidden" value="{current_version(world)}"' in response.text
    assert stored() == before
    assert db.session.get(AgendaItem, world.topic_item).minutes == "The first chair's minutes."


def test_minutes_that_are_too_long_are_refused(world):
    response = post(world, f"/items/{world.topic_item}/minutes", minutes="x" * 20001)
    assert response.status_code == 400 and "The minutes must be 20000 characters or fewer" in response.text
    assert db.session.get(AgendaItem, world.topic_item).minutes == ""


def test_members_may_not_write_minutes(world):
    assert world.as_member.get(url(world, f"/items/{world.case_item}/minutes")).status_code == 403
    assert post(world, f"/items/{world.case_item}/minutes", client=world.as_member, minutes="Hi").status_code == 403


# --- Decisions ----------------------------------------------------------------------


def decide(world, item, **data):
    return post(world, f"/items/{item}/decisions/new", **{"text": "Police to patrol Orchard Road.", **data})


def due(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def test_the_decision_form_offers_only_the_cases_agencies_and_officers_who_may_be_given_actions(world):
    police = db.session.get(Agency, world.police)
    make_user(role=Role.ANALYST, agency=police, name="Ana Analyst")
    make_user(agency=police, name="Gone Officer", active=False)
    html = world.as_chair.get(url(world, f"/items/{world.case_item}/decisions/new")).text
    agencies = html.split('name="assigned_agency_id"', 1)[1].split("</select>", 1)[0]
    assert agencies.index("Cambridgeshire") < agencies.index("Fenland")
    assert "Roddons" not in agencies and "Zephyr" not in agencies
    officers = html.split('name="assignee_id"', 1)[1].split("</select>", 1)[0]
    assert "Pat Police, Cambridgeshire Constabulary" in officers and "Roddons" not in officers
    assert "Ana Analyst" not in officers and "Gone Officer" not in officers
    # Why, and how to bring in another agency, coming back to this form.
    assert "only the agencies involved in the case, and their officers, are listed" in html
    share = re.search(r'id="share-case">.*?href="([^"]+)"', html, re.S).group(1)
    assert urlsplit(share).path == f"/cases/{world.reference}/agencies/new"
    assert parse_qs(urlsplit(share).query) == {"next": [url(world, f"/items/{world.case_item}/decisions/new")]}


def test_a_topics_decision_form_offers_every_active_agency(world):
    html = world.as_chair.get(url(world, f"/items/{world.topic_item}/decisions/new")).text
    agencies = html.split('name="assigned_agency_id"', 1)[1].split("</select>", 1)[0]
    assert "Cambridgeshire" in agencies and "Fenland" in agencies and "Roddons" in agencies
    assert "Zephyr" not in agencies and "Share the case" not in html


def test_the_chair_shares_the_case_from_the_decision_form_and_comes_back(world):
    form = url(world, f"/items/{world.case_item}/decisions/new")
    response = world.as_chair.post(
        f"/cases/{world.reference}/agencies/new",
        data={"agency_id": str(world.housing), "reason": "Housing to lead the tenancy work.", "next": form},
    )
    assert response.status_code == 302 and response.location == form
    html = world.as_chair.get(form).text
    assert "Case shared with Roddons Housing." in html
    assert "Roddons Housing" in html.split('name="assigned_agency_id"', 1)[1].split("</select>", 1)[0]
    decide(world, world.case_item, assigned_agency_id=str(world.housing), due_on=due(today() + timedelta(days=7)))
    assert db.session.scalars(select(Action.assigned_agency_id)).all() == [world.housing]


def test_a_decision_creates_an_action_for_an_agency_in_one_step(world):
    in_a_fortnight = today() + timedelta(days=14)
    response = decide(
        world,
        world.case_item,
        assigned_agency_id=str(world.police),
        assignee_id=str(world.officer),
        due_on=due(in_a_fortnight),
    )
    assert response.location == url(world, f"#item-{world.case_item}")
    [decision] = db.session.scalars(select(MeetingDecision))
    [action] = db.session.scalars(select(Action))
    assert (action.decision_id, action.case_id, action.assigned_agency_id, action.assignee_id, action.due_on) == (
        decision.id,
        world.case_id,
        world.police,
        world.officer,
        in_a_fortnight,
    )
    assert (
        "Decision recorded, with an action for Cambridgeshire Constabulary."
        in world.as_chair.get(response.location).text
    )
    html = world.as_officer.get(response.location).text
    assert "Action for Cambridgeshire Constabulary (Pat Police): Police to patrol Orchard Road." in html


def test_a_decision_with_a_past_due_date_is_saved_with_a_warning(world):
    response = decide(
        world, world.topic_item, assigned_agency_id=str(world.housing), due_on=due(today() - timedelta(days=2))
    )
    html = world.as_chair.get(response.location).text
    assert "already passed, so it shows as overdue" in html
    assert count(Action, Action.meeting_id == world.meeting_id) == 1


BAD_DECISIONS = {
    "no decision": ({"text": "  "}, "Enter the decision", "text"),
    "an agency not involved in the case, so not on the list": (
        {"assigned_agency_id": "housing", "due_on": "soon"},
        "Select the agency from the list",
        "assigned_agency_id",
    ),
    "an officer of another agency": (
        {"assigned_agency_id": "police", "assignee_id": "member", "due_on": "soon"},
        "an officer from Cambridgeshire Constabulary, or nobody",
        "assignee_id",
    ),
    "an agency that does not exist": (
        {"assigned_agency_id": "987654", "due_on": "soon"},
        "Select the agency from the list",
        "assigned_agency_id",
    ),
    "an action without a due date": (
        {"assigned_agency_id": "police"},
        "Enter the date the action is due",
        "due_on-day",
    ),
    "an impossible due date": (
        {"assigned_agency_id": "police", "due_on": ["31", "2", "2027"]},
        "Date the action is due must be a real date",
        "due_on-day",
    ),
    "an action without an agency": (
        {"title": "Patrol", "due_on": "soon"},
        "Select the agency the action is assigned to",
        "assigned_agency_id",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DECISIONS), ids=str)
def test_bad_decisions_keep_what_was_typed_and_write_nothing(world, case):
    changes, message, link = BAD_DECISIONS[case]
    ids = {"housing": str(world.housing), "police": str(world.police), "member": str(world.member)}
    data = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
    if data.get("due_on") == "soon":
        data["due_on"] = due(today() + timedelta(days=7))
    before, version = stored(), current_version(world)
    response = decide(world, world.case_item, **data)
    assert response.status_code == 400
    assert PROBLEM in response.text and message in response.text
    assert link in error_links(response.text)
    if "text" not in changes:
        assert "Police to patrol Orchard Road.</textarea>" in response.text
    assert stored() == before
    assert current_version(world) == version


# --- Finishing and amendments ---------------------------------------------------------


def test_finishing_locks_the_meeting(world):
    assert f'href="/meetings/{world.meeting_id}/finish">Finish meeting' in world.as_chair.get(url(world)).text
    assert "Finish the meeting" in world.as_chair.get(url(world, "/finish")).text
    finish(world)
    html = world.as_member.get(url(world)).text
    assert "Finished" in html and "This meeting is finished, so its record is locked." in html
    assert db.session.get(Meeting, world.meeting_id).finished_at is not None
    assert count(AuditEvent, AuditEvent.verb == "meeting.finished") == 1


def test_pages_that_change_a_finished_meeting_send_the_chair_back_with_the_reason(world):
    finish(world)
    for path in (
        "/attendance",
        "/items/new",
        "/finish",
        f"/items/{world.topic_item}/minutes",
        f"/items/{world.topic_item}/decisions/new",
    ):
        response = world.as_chair.get(url(world, path))
        assert response.status_code == 302, path
        assert FINISHED in world.as_chair.get(response.location).text


def test_a_decision_on_a_finished_meeting_is_refused_and_keeps_what_was_typed(world):
    finish(world)
    before = stored()
    response = decide(world, world.topic_item, text="A late decision.")
    assert response.status_code == 409
    assert PROBLEM in response.text and FINISHED in response.text and "A late decision.</textarea>" in response.text
    assert stored() == before


def test_minutes_sent_to_a_finished_meeting_are_refused(world):
    finish(world)
    response = post(world, f"/items/{world.topic_item}/minutes", minutes="Too late.")
    assert response.status_code == 409 and FINISHED in response.text
    assert db.session.get(AgendaItem, world.topic_item).minutes == ""


def test_amendments_show_on_the_meeting_page(world):
    assert world.as_chair.get(url(world, "/amendments/new")).status_code == 409  # not finished yet
    finish(world)
    form = world.as_chair.get(url(world, "/amendments/new")).text
    assert "Item 1: " in form and "Item 2: Street drinking in Wisbech" in form
    response = world.as_chair.post(
        url(world, "/amendments/new"), data={"item_id": str(world.case_item), "text": "Patrols are on Saturdays."}
    )
    assert response.location == url(world, "#amendments")
    world.as_chair.post(url(world, "/amendments/new"), data={"item_id": "", "text": "Housing sent apologies."})
    html = world.as_officer.get(url(world)).text.split('id="amendments"', 1)[1]
    assert "about item 1" in html and "Patrols are on Saturdays." in html and "Housing sent apologies." in html
    assert count(AuditEvent, AuditEvent.verb == "meeting.amended") == 2


def test_an_amendment_about_a_case_is_hidden_from_agencies_not_involved(world, client_as):
    finish(world)
    world.as_chair.post(
        url(world, "/amendments/new"), data={"item_id": str(world.case_item), "text": "Patrols are on Saturdays."}
    )
    outsider = client_as(make_user(agency=db.session.get(Agency, world.housing)))
    html = outsider.get(url(world)).text
    assert "Patrols are on Saturdays." not in html
    assert "This amendment is about an item whose minutes you cannot see." in html


def test_an_empty_amendment_is_refused(world):
    finish(world)
    response = world.as_chair.post(url(world, "/amendments/new"), data={"item_id": "", "text": " "})
    assert response.status_code == 400 and "Enter the amendment" in response.text
    assert count(MeetingAmendment) == 0
