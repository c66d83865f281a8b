"""The meetings pages send as many SQL statements for many rows as for few (no N+1),
within the budgets of DESIGN.md section 6."""

from datetime import timedelta
from itertools import count

import pytest

from casework import db
from casework.actions.services.actions import Subject, create_action
from casework.clock import today, utcnow
from casework.meetings.models import AttendanceStatus, MeetingAmendment, MeetingAttendance, MeetingDecision
from casework.permissions import Role
from tests.factories import make_agency, make_agenda_item, make_case, make_psg_meeting, make_referral, make_user
from tests.support.queries import DETAIL_BUDGET, LIST_BUDGET, assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases

_numbers = count()


def test_the_list_of_meetings(app, client_as):
    chair = make_user(role=Role.PSG_CHAIR, agency=make_agency())
    client = client_as(make_user(agency=make_agency()))

    def add_meetings(how_many: int) -> None:
        for _ in range(how_many):
            days = next(_numbers) + 1
            make_psg_meeting(
                chair=make_user(role=Role.PSG_CHAIR, agency=make_agency()), held_at=utcnow() + timedelta(days=days)
            )
            make_psg_meeting(
                chair=chair, held_at=utcnow() - timedelta(days=days), finished_at=utcnow() - timedelta(days=days)
            )

    add_meetings(3)
    few_page, few = page_queries(app, client, "/meetings")
    add_meetings(12)
    many_page, many = page_queries(app, client, "/meetings")

    assert (few_page.count('href="/meetings/'), many_page.count('href="/meetings/')) == (6, 30)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


@pytest.fixture
def partnership(session):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    return {
        "council": council,
        "police": police,
        "chair": make_user(role=Role.PSG_CHAIR, agency=council),
        "member": make_user(agency=council),
        "police_member": make_user(agency=police),
    }


def meeting_with(items: int, p: dict, *, finished: bool):
    """A meeting whose items cycle through a case, a referral and a topic, each with
    minutes, a decision and an action from it. The cases take turns: the council's, a
    police case (a stub to the council) and a restricted police case."""
    held_at = utcnow() - timedelta(hours=2)
    meeting = make_psg_meeting(chair=p["chair"], held_at=held_at)
    for agency in (p["council"], p["police"]):
        db.session.add(MeetingAttendance(meeting_id=meeting.id, agency_id=agency.id, status=AttendanceStatus.PRESENT))
    for position in range(1, items + 1):
        case = None
        referral_id = None
        police_case = position % 9 in (4, 7)
        if position % 3 == 1:
            if police_case:
                case = make_case(lead_agency=p["police"], opened_by=p["police_member"], restricted=position % 9 == 7)
            else:
                case = make_case(lead_agency=p["council"], opened_by=p["member"])
        elif position % 3 == 2:
            referral_id = make_referral(referrer=p["police_member"], first_name=f"Person{position}").id
        item = make_agenda_item(
            meeting=meeting,
            position=position,
            case=case,
            referral_id=referral_id,
            topic="" if case or referral_id else f"Topic {position}",
            minutes=f"Minutes {position}",
        )
        decision = MeetingDecision(item_id=item.id, text=f"Decision {position}", recorded_by_id=p["chair"].id)
        db.session.add(decision)
        db.session.flush()
        lead = p["police"] if case and police_case else p["council"]
        create_action(
            p["police_member"] if case and police_case else p["member"],
            Subject(case_id=case.id) if case else Subject(meeting_id=meeting.id),
            title=f"Action {position}",
            detail="",
            assigned_agency_id=lead.id,
            assignee_id=None,
            due_on=today() + timedelta(days=7),
            decision_id=decision.id,
        )
        if finished:
            db.session.add(
                MeetingAmendment(meeting_id=meeting.id, item_id=item.id, text="Correction", author_id=p["chair"].id)
            )
    if finished:
        meeting.finished_at = held_at + timedelta(hours=1)
    db.session.commit()
    return meeting


@pytest.mark.parametrize(
    ("viewer", "finished"),
    [("chair", False), ("chair", True), ("member", False), ("police_member", True)],
)
def test_the_meeting_page(app, client_as, partnership, viewer, finished):
    client = client_as(partnership[viewer])
    few_page, few = page_queries(app, client, f"/meetings/{meeting_with(3, partnership, finished=finished).id}")
    many_page, many = page_queries(app, client, f"/meetings/{meeting_with(15, partnership, finished=finished).id}")

    assert (
        few_page.count('<section class="govuk-!-margin-bottom-8"'),
        many_page.count('<section class="govuk-!-margin-bottom-8"'),
    ) == (3, 15)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many
