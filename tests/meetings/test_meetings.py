"""The meetings pages: who may see and run them, scheduling, the meeting page as each
viewer sees it, and the chair's agenda buttons."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import local_date, utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingKind
from casework.permissions import Role
from casework.victims.services import conferences
from tests.factories import make_agency, make_agenda_item, make_case, make_psg_meeting, make_referral, make_user
from tests.support.victims import date_and_time, error_links, local

PROBLEM = "There is a problem"
FINISHED = "This meeting is finished: add an amendment instead"


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Police")
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2), location="Fenland Hall, March")
    return SimpleNamespace(
        council=council,
        police=police,
        housing=housing,
        chair=chair,
        member=member,
        officer=officer,
        meeting=meeting,  # detached once a client is made: change it through db.session.get
        meeting_id=meeting.id,
        as_chair=client_as(chair),
        as_member=client_as(member),
        client_as=client_as,
    )


def url(world, suffix="") -> str:
    return f"/meetings/{world.meeting_id}{suffix}"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def current_version(world) -> int:
    db.session.expire_all()
    return db.session.get(Meeting, world.meeting_id).version


def flashed(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return client.get(response.location).text


# --- Who may see meetings ------------------------------------------------------------


def test_members_see_the_list_without_the_button_to_schedule(world):
    html = world.as_member.get("/meetings").text
    assert "Upcoming meetings" in html and "Fenland Hall, March" in html and "Chris Chair" in html
    assert "Schedule a meeting" not in html


def test_chairs_are_offered_to_schedule_a_meeting(world):
    assert 'href="/meetings/new">Schedule a meeting' in world.as_chair.get("/meetings").text


@pytest.mark.parametrize("role", [Role.PARTNER, Role.ANALYST])
def test_partners_and_analysts_may_not_see_meetings(world, role):
    client = world.client_as(make_user(role=role, agency=world.police))
    assert client.get("/meetings").status_code == 403
    assert client.get(url(world)).status_code == 404


def test_the_list_shows_past_meetings_and_their_status_but_never_case_conferences(world):
    past = make_psg_meeting(chair=world.chair, held_at=local(2026, 1, 14, 14), finished_at=local(2026, 1, 14, 16))
    case = make_case(lead_agency=world.council, opened_by=world.member)
    conferences.record_conference(
        world.member,
        case.reference,
        held_at=utcnow() - timedelta(hours=1),
        present=[world.council.id],
        apologies=[],
        outcome="Safety plan.",
    )
    db.session.commit()
    html = world.as_member.get("/meetings").text
    past_table = html.split('id="past-meetings"', 1)[1]
    assert f'href="/meetings/{past.id}">14 January 2026 at 2:00pm' in past_table and "Finished" in past_table
    assert html.count('href="/meetings/') == 2


def test_a_case_conference_has_no_meeting_page(world):
    case = make_case(lead_agency=world.council, opened_by=world.member)
    conference = conferences.record_conference(
        world.member,
        case.reference,
        held_at=utcnow() - timedelta(hours=1),
        present=[world.council.id],
        apologies=[],
        outcome="Safety plan.",
    )
    db.session.commit()
    conference_id = conference.id
    assert world.as_chair.get(f"/meetings/{conference_id}").status_code == 404
    assert world.as_chair.get("/meetings/987654").status_code == 404
    assert world.as_chair.post(f"/meetings/{conference_id}/agenda/generate").status_code == 404


# --- Scheduling ----------------------------------------------------------------------


def schedule(world, **changes):
    when = changes.pop("when", local(2027, 1, 12, 14))
    data = {**date_and_time("held", when, changes.pop("time_text", None)), "location": "Fenland Hall, March", **changes}
    return world.as_chair.post("/meetings/new", data=data)


def test_scheduling_a_meeting(world):
    year = local_date(utcnow()).year + 1  # 12 January next year is always ahead
    response = schedule(world, when=local(year, 1, 12, 14), time_text="2pm")
    meeting = db.session.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
    assert response.location == f"/meetings/{meeting.id}"
    assert (meeting.held_at, meeting.chair_id, meeting.kind) == (
        local(year, 1, 12, 14),
        world.chair.id,
        MeetingKind.PSG_MEETING,
    )
    page = world.as_chair.get(response.location).text
    assert "Meeting scheduled." in page and f"12 January {year} at 2:00pm" in page and "Chris Chair" in page
    assert count(AuditEvent, AuditEvent.verb == "meeting.scheduled") == 1


BAD_SCHEDULES = {
    "no date": ({"held_on": ["", "", ""]}, "Enter the date of the meeting", "held_on-day"),
    "an impossible date": ({"held_on": ["31", "2", "2027"]}, "Date of the meeting must be a real date", "held_on-day"),
    "a time that cannot be read": ({"time_text": "after lunch"}, "Enter a time like 14:30 or 2:30pm", "held_time"),
    "a time the clocks skipped": (
        {"when": local(2027, 3, 28, 0), "time_text": "1:30am"},
        "1:30am did not exist on 28 March 2027: the clocks went forward",
        "held_time",
    ),
    "a time in the past": ({"when": local(2025, 6, 1, 10)}, "the date and time must be in the future", "held_on-day"),
    "no location": ({"location": "  "}, "Enter where the meeting will be held", "location"),
    "a long location": ({"location": "x" * 201}, "The location must be 200 characters or fewer", "location"),
}


@pytest.mark.parametrize("case", list(BAD_SCHEDULES), ids=str)
def test_bad_input_when_scheduling_is_shown_and_nothing_is_saved(world, case):
    changes, message, link = BAD_SCHEDULES[case]
    before = count(Meeting), count(AuditEvent)
    response = schedule(world, **changes)
    assert response.status_code == 400
    assert PROBLEM in response.text and message in response.text
    assert link in error_links(response.text)
    assert 'value="Fenland Hall, March"' in response.text or "location" in changes
    assert (count(Meeting), count(AuditEvent)) == before


def test_a_time_in_the_past_is_shown_with_a_location_too_long(world):
    """The service's rule about the date comes back with the form's own check."""
    before = count(Meeting), count(AuditEvent)
    response = schedule(world, when=local(2025, 6, 1, 10), location="x" * 201)
    assert response.status_code == 400
    assert error_links(response.text) == ["held_on-day", "location"]
    assert "the date and time must be in the future" in response.text
    assert "The location must be 200 characters or fewer" in response.text
    assert (count(Meeting), count(AuditEvent)) == before


def test_members_may_not_schedule(world):
    assert world.as_member.get("/meetings/new").status_code == 403
    assert schedule(SimpleNamespace(as_chair=world.as_member)).status_code == 403
    assert count(Meeting) == 1


# --- The meeting page as each viewer sees it ------------------------------------------


@pytest.fixture
def agenda(world):
    """Three cases on the agenda, with minutes: one the council leads, one only the
    police are involved in, and a restricted one of the police; plus a referral."""
    police_member = make_user(agency=world.police)
    ours = make_case(lead_agency=world.council, opened_by=world.member, title="Stones at windows, Orchard Road")
    theirs = make_case(lead_agency=world.police, opened_by=police_member, title="Drug dealing at the flats")
    hidden = make_case(
        lead_agency=world.police, opened_by=police_member, restricted=True, title="Domestic abuse, Elm Close"
    )
    for position, case in enumerate((ours, theirs, hidden), start=1):
        make_agenda_item(
            meeting=world.meeting,
            position=position,
            case=case,
            reasons=("High-risk victim",),
            added_by_chair=False,
            minutes=f"Minutes about {case.title}.",
        )
    referral = make_referral(
        referrer=police_member, first_name="Bea", last_name="Bramley", received_at=local(2026, 11, 2, 9)
    )
    make_agenda_item(
        meeting=world.meeting,
        position=4,
        referral_id=referral.id,
        reasons=("New referral awaiting a decision",),
        added_by_chair=False,
        minutes="Minutes about the referral.",
    )
    return SimpleNamespace(ours=ours, theirs=theirs, hidden=hidden, police=world.client_as(police_member))


def item_section(html: str, number: int) -> str:
    return re.split(r'<section class="govuk-!-margin-bottom-8" id="item-\d+"', html)[number]


def test_each_case_item_shows_what_the_viewer_may_see_of_the_case(world, agenda):
    html = world.as_member.get(url(world)).text
    ours, theirs, hidden = (item_section(html, n) for n in (1, 2, 3))
    assert f'href="/cases/{agenda.ours.reference}">{agenda.ours.reference}</a>: Stones at windows' in ours
    assert "Minutes about Stones at windows" in ours and "High-risk victim" in ours
    # A stub: the reference, what a stub shows and why it is here, never the title or minutes.
    assert f">{agenda.theirs.reference}</a>" in theirs and "Limited view" in theirs
    assert "Cambridgeshire Constabulary" in theirs and "High-risk victim" in theirs
    assert "Minutes are shown to agencies involved in the case" in theirs
    # Restricted: the reference and the lead agency only.
    assert (
        f">{agenda.hidden.reference}</a>" in hidden
        and "Restricted" in hidden
        and "Cambridgeshire Constabulary" in hidden
    )
    assert "High-risk victim" not in hidden and "Case type" not in hidden
    for title in ("Drug dealing", "Domestic abuse", "Minutes about Drug", "Minutes about Domestic"):
        assert title not in html


def test_the_agencies_involved_see_the_title_and_minutes(world, agenda):
    html = agenda.police.get(url(world)).text
    assert "Drug dealing at the flats" in html and "Domestic abuse, Elm Close" in html
    assert "Minutes about Drug dealing" in html
    assert "Stones at windows" not in html  # the council's case is a stub to the police


def test_the_referral_is_named_only_to_those_who_decide_referrals(world, agenda):
    chair_view = item_section(world.as_chair.get(url(world)).text, 4)
    member_view = item_section(world.as_member.get(url(world)).text, 4)
    assert "Referral from Cambridgeshire Constabulary received 2 November 2026" in chair_view
    assert "Bea Bramley" in chair_view and "Minutes about the referral." in chair_view
    assert "A new referral" in member_view and "New referral awaiting a decision" in member_view
    for hidden in ("Bea Bramley", "Cambridgeshire", "Minutes about the referral"):
        assert hidden not in member_view


def test_members_get_no_chair_buttons(world, agenda):
    html = world.as_member.get(url(world)).text
    for button in ("Generate agenda", "Add an item", "Record attendance", "Finish meeting", "Move down", "Drop"):
        assert button not in html


def test_the_meetings_chair_sees_every_case_but_the_restricted_one_in_full(world, agenda):
    html = world.as_chair.get(url(world)).text
    ours, theirs, hidden = (item_section(html, n) for n in (1, 2, 3))
    assert f"{agenda.theirs.reference}</a>: Drug dealing at the flats" in theirs
    assert "Minutes about Drug dealing" in theirs and "Limited view" not in theirs
    assert "Restricted" in hidden and "Domestic abuse" not in html and "Minutes about Domestic" not in html


def test_the_chair_records_minutes_only_on_items_they_see_in_full(world, agenda):
    html = world.as_chair.get(url(world)).text
    # The council's case, the police's case on this chair's agenda, and the referral.
    assert html.count("Minutes and decisions<span") == 3
    theirs, hidden = (
        db.session.scalar(select(AgendaItem).where(AgendaItem.case_id == case.id))
        for case in (agenda.theirs, agenda.hidden)
    )
    assert world.as_chair.get(url(world, f"/items/{theirs.id}/minutes")).status_code == 200
    assert world.as_chair.get(url(world, f"/items/{hidden.id}/minutes")).status_code == 403
    # Another chair, who does not chair this meeting, sees the police's case as a stub.
    other_chair = world.client_as(make_user(role=Role.PSG_CHAIR, agency=world.council))
    assert other_chair.get(url(world)).text.count("Minutes and decisions<span") == 2
    assert other_chair.get(url(world, f"/items/{theirs.id}/minutes")).status_code == 403


# --- The chair's buttons -------------------------------------------------------------


def test_a_meeting_is_offered_to_be_finished_only_from_the_day_it_is_held(world):
    html = world.as_chair.get(url(world)).text
    assert "Generate agenda" in html and "Finish meeting" not in html
    response = press(world, "/finish")
    assert response.status_code == 409 and "This meeting has not been held yet" in response.text
    assert db.session.get(Meeting, world.meeting_id).finished_at is None


def press(world, path, client=None, **data):
    data.setdefault("version", str(current_version(world)))
    return (client or world.as_chair).post(url(world, path), data=data)


def test_generating_the_agenda(world):
    case = make_case(lead_agency=world.council, opened_by=world.member)
    case.psg_review = True
    db.session.commit()
    response = press(world, "/agenda/generate")
    html = flashed(world.as_chair, response)
    assert "Agenda generated from the casebook: 1 item." in html
    assert "Flagged for PSG review by the lead agency" in html and "Regenerate agenda" in html
    assert count(AgendaItem) == 1


def test_members_may_not_press_the_chairs_buttons(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger")
    for path in ("/agenda/generate", f"/items/{item.id}/drop", f"/items/{item.id}/move"):
        assert press(world, path, client=world.as_member).status_code == 403
    assert count(AgendaItem) == 1 and count(AuditEvent) == 0


def test_moving_and_dropping_items(world):
    first, second = (make_agenda_item(meeting=world.meeting, position=n, topic=f"Topic {n}") for n in (1, 2))
    press(world, f"/items/{second.id}/move", direction="up")
    html = flashed(world.as_chair, press(world, f"/items/{first.id}/move", direction="sideways"))
    assert "The form was changed before it was sent." in html
    press(world, f"/items/{first.id}/drop")
    db.session.expire_all()
    assert [(i.topic, i.position) for i in db.session.scalars(select(AgendaItem))] == [("Topic 2", 1)]
    assert count(AuditEvent, AuditEvent.verb == "meeting.agenda_changed") == 2


def test_a_button_pressed_on_a_stale_page_changes_nothing(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger")
    stale = current_version(world)
    press(world, "/agenda/generate")
    html = flashed(world.as_chair, press(world, f"/items/{item.id}/drop", version=str(stale)))
    assert "Someone else changed this meeting after you opened it, so nothing was changed." in html
    assert count(AgendaItem) == 1


def test_a_tampered_button_changes_nothing(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger")
    html = flashed(world.as_chair, press(world, f"/items/{item.id}/drop", version="abc"))
    assert "The form was changed before it was sent." in html
    assert count(AgendaItem) == 1


def test_buttons_on_a_finished_meeting_say_so(world):
    db.session.get(Meeting, world.meeting_id).finished_at = utcnow()
    db.session.commit()
    html = flashed(world.as_chair, press(world, "/agenda/generate"))
    assert FINISHED in html
    assert "Add an amendment" in html and "Generate agenda" not in html
    assert count(AuditEvent, AuditEvent.verb != "meeting.viewed") == 0  # only seeing the page again


# --- Adding an item ------------------------------------------------------------------


def test_adding_a_case_by_reference(world):
    case = make_case(lead_agency=world.police, opened_by=world.officer)
    page = world.as_chair.get(url(world, "/items/new"))
    assert page.status_code == 200 and 'name="version"' in page.text
    response = press(world, "/items/new", case_reference=case.reference, topic="")
    assert response.location == url(world, "#agenda")
    assert db.session.scalar(select(AgendaItem.case_id)) == case.id


def test_adding_an_unknown_case_keeps_what_was_typed(world):
    response = press(world, "/items/new", case_reference="ASB-1999-12345", topic="")
    assert response.status_code == 400
    assert PROBLEM in response.text and "There is no case ASB-1999-12345 that you can see" in response.text
    assert 'value="ASB-1999-12345"' in response.text
    assert count(AgendaItem) == 0 and count(AuditEvent) == 0


def test_a_topic_too_long_is_shown_with_a_case_reference_given_too(world):
    """The service's rule about the reference comes back with the form's own check."""
    reference = make_case(lead_agency=world.police, opened_by=world.officer).reference
    response = press(world, "/items/new", case_reference=reference, topic="x" * 201)
    assert response.status_code == 400
    assert error_links(response.text) == ["case_reference", "topic"]
    assert "Enter a case reference or a topic, not both" in response.text
    assert "The topic must be 200 characters or fewer" in response.text
    assert f'value="{reference}"' in response.text
    assert count(AgendaItem) == 0 and count(AuditEvent) == 0
