"""The meetings service: scheduling, the list, what each viewer sees of an item, the
chair's changes, decisions that create actions, locking and amendments."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action
from casework.audit.models import AuditEvent
from casework.clock import ZONE, today, utcnow
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.meetings.models import (
    AgendaItem,
    AttendanceStatus,
    Meeting,
    MeetingAmendment,
    MeetingAttendance,
    MeetingDecision,
    MeetingKind,
)
from casework.meetings.services import commands as meetings
from casework.meetings.services import lookup
from casework.meetings.services import pages as meeting_pages
from casework.meetings.services.commands import ActionRequest
from casework.permissions import Role
from casework.victims.services import conferences
from tests.factories import (
    make_agency,
    make_agenda_item,
    make_case,
    make_psg_meeting,
    make_referral,
    make_user,
)

pytestmark = pytest.mark.both_databases

FINISHED = "This meeting is finished: add an amendment instead"


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Police")
    case = make_case(lead_agency=council, opened_by=member, involved=[police], title="Stones at windows")
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() - timedelta(hours=1))
    return SimpleNamespace(
        council=council,
        police=police,
        housing=housing,
        chair=chair,
        member=member,
        officer=officer,
        case=case,
        meeting=meeting,
    )


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored() -> tuple[int, ...]:
    return tuple(
        count(model) for model in (Meeting, AgendaItem, MeetingAttendance, MeetingDecision, Action, AuditEvent)
    )


def version(world) -> int:
    db.session.expire_all()
    return db.session.get(Meeting, world.meeting.id).version


def verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


# --- Scheduling and the list -----------------------------------------------------------


def test_scheduling_a_meeting_makes_the_actor_its_chair(world):
    held_at = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    meeting = meetings.schedule_meeting(world.chair, held_at=held_at, location="  Fenland Hall, March ")
    db.session.commit()
    assert (meeting.kind, meeting.held_at, meeting.location, meeting.chair_id) == (
        MeetingKind.PSG_MEETING,
        held_at,
        "Fenland Hall, March",
        world.chair.id,
    )
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "meeting.scheduled"))
    assert event.object_id == meeting.id


@pytest.mark.parametrize(
    ("hours", "location", "field"),
    [(-5, "Fenland Hall", "held_on"), (24, "   ", "location"), (24, "x" * 201, "location")],
)
def test_scheduling_refuses_past_times_and_missing_or_long_locations(world, hours, location, field):
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        meetings.schedule_meeting(world.chair, held_at=utcnow() + timedelta(hours=hours), location=location)
    assert refused.value.field == field
    assert stored() == before


def test_members_may_not_schedule(world):
    with pytest.raises(PermissionDenied):
        meetings.schedule_meeting(world.member, held_at=utcnow() + timedelta(days=1), location="Hall")


def test_the_list_splits_upcoming_from_past_and_leaves_out_case_conferences(world):
    now = utcnow()
    later = make_psg_meeting(chair=world.chair, held_at=now + timedelta(days=30))
    sooner = make_psg_meeting(chair=world.chair, held_at=now + timedelta(days=3))
    older = make_psg_meeting(chair=world.chair, held_at=now - timedelta(days=40))
    conferences.record_conference(
        world.member,
        world.case.reference,
        held_at=now - timedelta(days=2),
        present=[world.council.id],
        apologies=[],
        outcome="Safety plan.",
    )
    listing = meeting_pages.list_meetings(world.member, page=1, per_page=10, now=now + timedelta(days=1))
    assert [m.id for m in listing.upcoming] == [sooner.id, later.id]
    assert [m.id for m in listing.past.items] == [world.meeting.id, older.id]
    assert listing.past.total == 2


@pytest.mark.parametrize("role", [Role.PARTNER, Role.ANALYST, Role.LICENSING_OFFICER])
def test_roles_without_meetings_get_no_list_and_no_meeting(world, role):
    user = make_user(role=role, agency=world.council)
    with pytest.raises(PermissionDenied):
        meeting_pages.list_meetings(user, page=1, per_page=10)
    with pytest.raises(NotFound):
        meeting_pages.meeting_page(user, world.meeting.id)


def test_a_case_conference_is_not_a_psg_meeting(world):
    conference = conferences.record_conference(
        world.member,
        world.case.reference,
        held_at=utcnow() - timedelta(hours=2),
        present=[world.council.id],
        apologies=[],
        outcome="Safety plan.",
    )
    with pytest.raises(NotFound):
        meeting_pages.meeting_page(world.chair, conference.id)


def test_a_meeting_already_read_without_its_chair_comes_with_its_chair(world):
    """The meeting is taken from the session when the request has read it: read by a
    query that did not load its chair, the chair is loaded then."""
    db.session.expunge_all()
    [read] = db.session.scalars(select(Meeting).where(Meeting.id == world.meeting.id))
    found = lookup.get_meeting(world.chair, world.meeting.id)
    assert found is read
    assert found.chair.name == "Chris Chair"


def test_a_meeting_that_does_not_exist_is_not_found(world):
    with pytest.raises(NotFound):
        lookup.get_meeting(world.chair, world.meeting.id + 1000)


# --- What each viewer sees of an item --------------------------------------------------


def test_minutes_of_a_case_item_are_for_those_who_see_the_case_in_full(world):
    make_agenda_item(meeting=world.meeting, position=1, case=world.case, minutes="Police to patrol.")
    make_agenda_item(meeting=world.meeting, position=2, topic="Community Trigger review", minutes="Agreed a date.")
    outsider = make_user(agency=world.housing)
    manager = make_user(role=Role.MANAGER, agency=world.housing)

    def seen(user):
        return [(view.heading, view.shows_record) for view in meeting_pages.meeting_page(user, world.meeting.id).items]

    full = (f"{world.case.reference}: Stones at windows", True)
    topic = ("Community Trigger review", True)
    assert seen(world.officer) == [full, topic]
    assert seen(manager) == [full, topic]
    assert seen(outsider) == [(world.case.reference, False), topic]


def test_referral_items_show_who_referred_and_whom_only_to_those_who_decide_referrals(world):
    referral = make_referral(referrer=world.officer, first_name="Bea", last_name="Bramley")
    make_agenda_item(
        meeting=world.meeting, position=1, referral_id=referral.id, reasons=("New referral awaiting a decision",)
    )
    [for_chair] = meeting_pages.meeting_page(world.chair, world.meeting.id).items
    [for_member] = meeting_pages.meeting_page(world.member, world.meeting.id).items
    assert (for_chair.referral.subject_name, for_chair.heading, for_chair.shows_record) == (
        "Bea Bramley",
        "Referral from Cambridgeshire Constabulary",
        True,
    )
    assert (for_member.referral, for_member.heading, for_member.shows_record) == (None, "A new referral", False)


# --- The chair's changes to the agenda -------------------------------------------------


def test_adding_a_case_by_reference_and_a_topic(world):
    other = make_case(lead_agency=world.police, opened_by=world.officer, restricted=True)
    meetings.add_item(
        world.chair,
        world.meeting.id,
        version=version(world),
        case_reference=f" {world.case.reference.lower()} ",
        topic="",
    )
    meetings.add_item(world.chair, world.meeting.id, version=version(world), case_reference=other.reference, topic="")
    meetings.add_item(
        world.chair, world.meeting.id, version=version(world), case_reference="", topic="Community Trigger"
    )
    db.session.commit()
    items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.position)).all()
    assert [(i.position, i.case_id, i.topic, i.reasons, i.added_by_chair) for i in items] == [
        (1, world.case.id, "", ["Added by the chair"], True),
        (2, other.id, "", ["Added by the chair"], True),  # a stub the chair can list
        (3, None, "Community Trigger", ["Added by the chair"], True),
    ]
    assert verbs().count("meeting.agenda_changed") == 3


@pytest.mark.parametrize(
    ("reference", "topic", "message"),
    [
        ("", "", "Enter a case reference or a topic"),
        ("ASB-2026-00001", "Trigger", "Enter a case reference or a topic, not both"),
        ("ASB-1999-99999", "", "There is no case ASB-1999-99999 that you can see: check the reference"),
    ],
)
def test_adding_an_item_refuses_bad_input(world, reference, topic, message):
    before = stored()
    with pytest.raises(InvalidInput, match=message):
        meetings.add_item(world.chair, world.meeting.id, version=version(world), case_reference=reference, topic=topic)
    assert stored() == before


def test_a_case_is_on_the_agenda_once(world):
    make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    with pytest.raises(InvalidInput, match="is already on the agenda"):
        meetings.add_item(
            world.chair, world.meeting.id, version=version(world), case_reference=world.case.reference, topic=""
        )


def test_moving_and_dropping_items(world):
    first, second, third = (make_agenda_item(meeting=world.meeting, position=n, topic=f"Topic {n}") for n in (1, 2, 3))
    meetings.move_item(world.chair, world.meeting.id, third.id, version=version(world), up=True)
    meetings.move_item(world.chair, world.meeting.id, first.id, version=version(world), up=True)  # already first
    meetings.drop_item(world.chair, world.meeting.id, second.id, version=version(world))
    db.session.commit()
    assert db.session.scalars(select(AgendaItem.topic).order_by(AgendaItem.position)).all() == ["Topic 1", "Topic 3"]
    assert db.session.scalars(select(AgendaItem.position).order_by(AgendaItem.position)).all() == [1, 2]


def test_an_item_with_minutes_is_not_dropped(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger", minutes="Discussed.")
    with pytest.raises(InvalidInput, match="has minutes or decisions"):
        meetings.drop_item(world.chair, world.meeting.id, item.id, version=version(world))


def test_an_item_of_another_meeting_is_not_found(world):
    other = make_psg_meeting(chair=world.chair, held_at=utcnow() + timedelta(days=30))
    item = make_agenda_item(meeting=other, position=1, topic="Elsewhere")
    with pytest.raises(NotFound):
        meetings.drop_item(world.chair, world.meeting.id, item.id, version=version(world))


def test_members_see_meetings_but_do_not_change_them(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger")
    assert meeting_pages.meeting_page(world.member, world.meeting.id).may_run is False
    with pytest.raises(PermissionDenied):
        meetings.record_minutes(world.member, world.meeting.id, item.id, version=version(world), minutes="Hi")


# --- Attendance ---------------------------------------------------------------------


def test_attendance_is_recorded_and_changed_per_agency(world):
    present, apologies = AttendanceStatus.PRESENT, AttendanceStatus.APOLOGIES
    meetings.record_attendance(
        world.chair,
        world.meeting.id,
        version=version(world),
        statuses={world.council.id: present, world.police.id: apologies, world.housing.id: None},
    )
    meetings.record_attendance(
        world.chair,
        world.meeting.id,
        version=version(world),
        statuses={world.council.id: present, world.police.id: None, world.housing.id: present},
    )
    db.session.commit()
    rows = {(row.agency_id, row.status) for row in db.session.scalars(select(MeetingAttendance))}
    assert rows == {(world.council.id, present), (world.housing.id, present)}
    page = meeting_pages.meeting_page(world.member, world.meeting.id)
    assert ([a.name for a in page.present], page.apologies) == (["Fenland District Council", "Roddons Housing"], [])


def test_attendance_of_an_agency_not_on_the_list_is_refused(world):
    gone = make_agency(name="Closed Outreach", active=False)
    with pytest.raises(InvalidInput):
        meetings.record_attendance(
            world.chair, world.meeting.id, version=version(world), statuses={gone.id: AttendanceStatus.PRESENT}
        )


# --- Minutes and decisions -------------------------------------------------------------


def test_minutes_are_saved_and_audited_without_their_words(world):
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    meetings.record_minutes(
        world.chair, world.meeting.id, item.id, version=version(world), minutes=" Police to patrol. "
    )
    db.session.commit()
    assert db.session.get(AgendaItem, item.id).minutes == "Police to patrol."
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "meeting.minutes_recorded"))
    assert (event.case_id, event.detail) == (world.case.id, {"item_id": item.id})


def test_the_chair_records_no_minutes_on_a_case_they_see_only_as_a_stub(world):
    elsewhere = make_case(lead_agency=world.police, opened_by=world.officer, restricted=True)
    item = make_agenda_item(meeting=world.meeting, position=1, case=elsewhere)
    with pytest.raises(PermissionDenied):
        meetings.record_minutes(world.chair, world.meeting.id, item.id, version=version(world), minutes="Hi")


def test_the_chair_minutes_another_agencys_case_on_the_agenda_of_the_meeting_they_chair(world):
    elsewhere = make_case(lead_agency=world.police, opened_by=world.officer)
    item = make_agenda_item(meeting=world.meeting, position=1, case=elsewhere)
    meetings.record_minutes(world.chair, world.meeting.id, item.id, version=version(world), minutes="Discussed.")
    # A chair who does not chair this meeting sees the case as a stub, and may not.
    other_chair = make_user(role=Role.PSG_CHAIR, agency=world.council)
    with pytest.raises(PermissionDenied):
        meetings.record_minutes(other_chair, world.meeting.id, item.id, version=version(world), minutes="Hi")


def test_a_decision_can_create_an_action_on_the_items_case(world):
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    due = today() + timedelta(days=14)
    recorded = meetings.record_decision(
        world.chair,
        world.meeting.id,
        item.id,
        version=version(world),
        text="Police to patrol Orchard Road on Friday nights.\nReview next month.",
        action=ActionRequest(assigned_agency_id=world.police.id, assignee_id=world.officer.id, due_on=due),
    )
    db.session.commit()
    action = recorded.action
    assert (action.case_id, action.meeting_id, action.decision_id, action.assigned_agency_id, action.assignee_id) == (
        world.case.id,
        None,
        recorded.decision.id,
        world.police.id,
        world.officer.id,
    )
    assert (action.title, action.due_on, recorded.agency.name) == (
        "Police to patrol Orchard Road on Friday nights.",
        due,
        "Cambridgeshire Constabulary",
    )
    assert verbs()[-2:] == ["action.created", "meeting.decision_recorded"]


def test_a_decision_on_a_topic_creates_an_action_about_the_meeting(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Street drinking in Wisbech")
    recorded = meetings.record_decision(
        world.chair,
        world.meeting.id,
        item.id,
        version=version(world),
        text="Joint patrols.",
        action=ActionRequest(assigned_agency_id=world.housing.id, title="Arrange joint patrols", due_on=today()),
    )
    assert (recorded.action.meeting_id, recorded.action.case_id, recorded.action.title) == (
        world.meeting.id,
        None,
        "Arrange joint patrols",
    )


def test_a_decision_alone_creates_no_action(world):
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    recorded = meetings.record_decision(
        world.chair,
        world.meeting.id,
        item.id,
        version=version(world),
        text="Keep under review.",
        action=ActionRequest(assigned_agency_id=None),
    )
    assert recorded.action is None and count(Action) == 0


@pytest.mark.parametrize(
    ("request_for_action", "field"),
    [
        # Housing is not involved in the case: services.actions refuses it.
        (ActionRequest(assigned_agency_id="housing", due_on=date(2027, 1, 31)), "assigned_agency_id"),
        # An officer of another agency.
        (ActionRequest(assigned_agency_id="police", assignee_id="member", due_on=date(2027, 1, 31)), "assignee_id"),
        (ActionRequest(assigned_agency_id="police"), "due_on"),
        (ActionRequest(assigned_agency_id=None, title="Patrol", due_on=date(2027, 1, 31)), "assigned_agency_id"),
    ],
)
def test_when_the_action_is_refused_nothing_is_written(world, request_for_action, field):
    ids = {"housing": world.housing.id, "police": world.police.id, "member": world.member.id, None: None}
    asked = ActionRequest(
        assigned_agency_id=ids[request_for_action.assigned_agency_id],
        title=request_for_action.title,
        assignee_id=ids[request_for_action.assignee_id],
        due_on=request_for_action.due_on,
    )
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    before, meeting_version = stored(), version(world)
    with pytest.raises(InvalidInput) as refused:
        meetings.record_decision(
            world.chair, world.meeting.id, item.id, version=meeting_version, text="Patrol.", action=asked
        )
    assert refused.value.field == field
    db.session.rollback()  # as the view does
    assert stored() == before
    assert version(world) == meeting_version


def test_a_stale_page_is_a_conflict_and_writes_nothing(world):
    item = make_agenda_item(meeting=world.meeting, position=1, topic="Trigger")
    stale = version(world)
    meetings.record_minutes(world.chair, world.meeting.id, item.id, version=stale, minutes="First.")
    db.session.commit()
    with pytest.raises(EditConflict):
        meetings.record_minutes(world.chair, world.meeting.id, item.id, version=stale, minutes="Second.")
    db.session.rollback()
    assert db.session.get(AgendaItem, item.id).minutes == "First."


# --- Finishing and amending -------------------------------------------------------------


def finish(world):
    meetings.finish_meeting(world.chair, world.meeting.id, version=version(world))
    db.session.commit()


def test_a_finished_meeting_refuses_every_change(world):
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case, minutes="As it was.")
    finish(world)
    assert db.session.get(Meeting, world.meeting.id).locked
    before, current = stored(), version(world)
    changes = [
        lambda: meetings.add_item(world.chair, world.meeting.id, version=current, case_reference="", topic="Late"),
        lambda: meetings.drop_item(world.chair, world.meeting.id, item.id, version=current),
        lambda: meetings.move_item(world.chair, world.meeting.id, item.id, version=current, up=False),
        lambda: meetings.record_minutes(world.chair, world.meeting.id, item.id, version=current, minutes="Changed."),
        lambda: meetings.record_attendance(world.chair, world.meeting.id, version=current, statuses={}),
        lambda: meetings.record_decision(
            world.chair, world.meeting.id, item.id, version=current, text="Late decision."
        ),
        lambda: meetings.finish_meeting(world.chair, world.meeting.id, version=current),
    ]
    for change in changes:
        with pytest.raises(InvalidTransition, match=FINISHED):
            change()
    assert stored() == before
    assert db.session.get(AgendaItem, item.id).minutes == "As it was."


def test_a_meeting_cannot_be_finished_before_the_day_it_is_held(world):
    ahead = make_psg_meeting(chair=world.chair, held_at=utcnow() + timedelta(days=3))
    with pytest.raises(InvalidTransition, match="has not been held yet"):
        meetings.finish_meeting(world.chair, ahead.id, version=ahead.version)


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("days", "at", "finishable"),
    [
        (-1, time(23, 59), True),  # yesterday evening
        (0, time(0, 0), True),  # today's local midnight
        (0, time(23, 59), True),  # later today, in local time
        (1, time(0, 0), False),  # tonight's local midnight
        (1, time(0, 30), False),
    ],
)
def test_a_meeting_can_be_finished_from_its_local_day_on(world, days, at, finishable):
    """ "From the day it is held" is the local day: the same rule either side of
    midnight and the clock changes, whatever the UTC date."""
    held_at = datetime.combine(today() + timedelta(days=days), at, tzinfo=ZONE).astimezone(UTC)
    meeting = make_psg_meeting(chair=world.chair, held_at=held_at)
    assert meeting_pages.meeting_page(world.chair, meeting.id).finishable is finishable
    if finishable:
        assert meetings.finish_meeting(world.chair, meeting.id, version=meeting.version).locked
    else:
        with pytest.raises(InvalidTransition, match="has not been held yet"):
            meetings.finish_meeting(world.chair, meeting.id, version=meeting.version)


def test_amendments_are_added_to_a_finished_meeting_only(world):
    item = make_agenda_item(meeting=world.meeting, position=1, case=world.case)
    with pytest.raises(InvalidTransition, match="once the meeting is finished"):
        meetings.add_amendment(world.chair, world.meeting.id, item_id=None, text="Too early.")
    finish(world)
    meetings.add_amendment(world.chair, world.meeting.id, item_id=None, text="Housing sent apologies too.")
    meetings.add_amendment(world.chair, world.meeting.id, item_id=item.id, text="The patrols are on Saturdays.")
    db.session.commit()
    outsider = make_user(agency=world.housing)
    shown = [
        (entry.item_number, entry.shown) for entry in meeting_pages.meeting_page(outsider, world.meeting.id).amendments
    ]
    assert shown == [(None, True), (1, False)]
    assert [a.text for a in db.session.scalars(select(MeetingAmendment).order_by(MeetingAmendment.id))] == [
        "Housing sent apologies too.",
        "The patrols are on Saturdays.",
    ]
    assert verbs().count("meeting.amended") == 2


def test_an_amendment_needs_words_and_an_item_of_the_meeting(world):
    finish(world)
    with pytest.raises(InvalidInput, match="Enter the amendment"):
        meetings.add_amendment(world.chair, world.meeting.id, item_id=None, text="  ")
    with pytest.raises(InvalidInput, match="Choose an item"):
        meetings.add_amendment(world.chair, world.meeting.id, item_id=987654, text="About nothing.")
