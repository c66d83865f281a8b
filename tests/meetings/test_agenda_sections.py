"""The agenda's sections: how each is ranked, the limit on each, "and N more" with its
link to what did not fit, and a statement count that does not grow with the casebook."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import CaseStatus
from casework.clock import ZONE as LONDON
from casework.clock import utcnow
from casework.meetings.models import AgendaItem, Meeting
from casework.meetings.services import agenda
from casework.permissions import Role
from casework.referrals.models import ReferralStatus
from casework.victims.models import ClockKind, SlaClock
from tests.factories import make_action, make_agency, make_agenda_item, make_psg_meeting, make_referral, make_user
from tests.meetings.test_agenda_services import FLAGGED, HIGH, HIGH_RISK, MEDIUM, a_case, assess, flag, with_victim
from tests.support.queries import assert_same_queries, recorded_statements

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Police")
    now = utcnow()
    make_psg_meeting(chair=chair, held_at=now - timedelta(days=20), finished_at=now - timedelta(days=20))
    meeting = make_psg_meeting(chair=chair, held_at=now + timedelta(days=2))
    return SimpleNamespace(
        council=council,
        police=police,
        chair=chair,
        member=member,
        officer=officer,
        now=now,
        meeting_id=meeting.id,
        meeting=meeting,
        client_as=client_as,
    )


def generate(world, *, limit: int, meeting_id: int | None = None) -> None:
    agenda.generate_agenda(world.chair, meeting_id or world.meeting_id, limit=limit)
    db.session.commit()


def items(world) -> list[AgendaItem]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == world.meeting_id).order_by(AgendaItem.position)
        )
    )


def cases_on_agenda(world) -> list[int | None]:
    return [item.case_id for item in items(world)]


def more(world) -> dict[str, int] | None:
    db.session.expire_all()
    return db.session.get(Meeting, world.meeting_id).agenda_more


def overdue_action(world, case, *, days: int) -> None:
    make_action(
        agency=world.council,
        created_by=world.member,
        case=case,
        due_on=world.now.astimezone(LONDON).date() - timedelta(days=days),
    )


def flagged_cases(world, how_many: int) -> list:
    year = world.now.year
    cases = [a_case(world, reference=f"ASB-{year}-5{number:04d}") for number in range(how_many)]
    for case in cases:
        flag(case)
    return cases


# --- Ranking --------------------------------------------------------------------------


def test_within_a_section_urgent_reasons_come_first_then_the_longest_overdue_then_the_reference(world):
    year = world.now.year
    # High risk: graded high an hour ago, or ten days ago with both its clocks now overdue.
    high_now, high_and_late = a_case(world, reference=f"ASB-{year}-10001"), a_case(world, reference=f"ASB-{year}-10002")
    assess(world.member, high_now, with_victim(world, high_now), HIGH, ago=timedelta(hours=1))
    assess(world.member, high_and_late, with_victim(world, high_and_late), HIGH, ago=timedelta(days=10))
    # Overdue: an action 2 days late, one 20 days late, and a victim's clock (the case
    # conference never held) on the case with the highest reference.
    recent, older, clock = (a_case(world, reference=f"ASB-{year}-2000{number}") for number in (1, 2, 3))
    overdue_action(world, recent, days=2)
    overdue_action(world, older, days=20)
    victim = with_victim(world, clock)
    assess(world.member, clock, victim, HIGH, ago=timedelta(days=10))
    assess(world.member, clock, victim, MEDIUM, ago=timedelta(days=1))

    generate(world, limit=25)

    assert cases_on_agenda(world) == [high_and_late.id, high_now.id, clock.id, older.id, recent.id]
    assert more(world) is None


def test_a_case_with_more_urgent_reasons_comes_first_in_its_section(world):
    """Both cases are in the section of new referrals; urgency counts every reason."""
    year = world.now.year
    plain, with_high = a_case(world, reference=f"ASB-{year}-30001"), a_case(world, reference=f"ASB-{year}-30002")
    for case in (plain, with_high):
        flag(case)
    # The referral-accepted section: the case also graded high comes first.
    accepted = []
    for case in (plain, with_high):
        referral = make_referral(referrer=world.officer, received_at=world.now - timedelta(days=3))
        referral.status, referral.case_id = ReferralStatus.ACCEPTED, case.id
        referral.decided_by_id, referral.decided_at = world.chair.id, world.now - timedelta(days=2)
        accepted.append(referral)
    db.session.commit()
    assess(world.member, with_high, with_victim(world, with_high), HIGH, ago=timedelta(hours=1))

    generate(world, limit=25)

    assert cases_on_agenda(world) == [with_high.id, plain.id]
    assert items(world)[0].reasons[1:] == [HIGH_RISK, FLAGGED]


def overdue_clock(world, case, due_at: datetime) -> None:
    """The victim's case conference, owed since ``due_at`` and never held."""
    victim = with_victim(world, case)
    assess(world.member, case, victim, HIGH, ago=timedelta(days=10))
    assess(world.member, case, victim, MEDIUM, ago=timedelta(days=1))
    clock = db.session.scalars(
        select(SlaClock).where(SlaClock.case_id == case.id, SlaClock.kind == ClockKind.CONFERENCE_72H)
    ).one()
    clock.started_at, clock.due_at = due_at - timedelta(hours=72), due_at
    db.session.commit()


def test_the_longest_overdue_is_judged_by_uk_dates_and_a_tie_goes_by_reference(world):
    """Clocks due on one summer's day in the UK: 22:30 UTC on the 14th is 23:30 BST that
    day; 23:30 UTC on the 14th and 00:30 UTC on the 15th are both the 15th in the UK, a
    tie that the reference decides."""
    year = world.now.year - 1
    earliest, late_evening, early_morning = (a_case(world, reference=f"ASB-{year}-4000{n}") for n in (3, 2, 1))
    overdue_clock(world, earliest, datetime(year, 7, 14, 22, 30, tzinfo=UTC))
    overdue_clock(world, late_evening, datetime(year, 7, 14, 23, 30, tzinfo=UTC))
    overdue_clock(world, early_morning, datetime(year, 7, 15, 0, 30, tzinfo=UTC))

    generate(world, limit=25)

    assert cases_on_agenda(world) == [earliest.id, early_morning.id, late_evening.id]


def test_cases_that_tie_on_everything_but_the_reference_are_cut_at_the_limit_by_reference(world):
    year = world.now.year
    tied = [a_case(world, reference=f"ASB-{year}-6000{n}") for n in (3, 1, 2)]
    for case in tied:
        assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
    in_order = sorted(tied, key=lambda case: case.reference)

    generate(world, limit=2)
    assert cases_on_agenda(world) == [case.id for case in in_order[:2]]
    assert more(world) == {"high-risk": 1}
    _meeting, _section, rest = agenda.more_cases(world.chair, world.meeting_id, "high-risk", page=1, per_page=50)
    assert rest.total == 1 and [shown.case.id for shown in rest.items] == [in_order[2].id]

    generate(world, limit=3)  # exactly the limit: nothing more
    assert cases_on_agenda(world) == [case.id for case in in_order] and more(world) is None


# --- The limit and "and N more" ---------------------------------------------------------


def test_each_section_lists_at_most_the_limit_and_records_how_many_more(world):
    referrals = [
        make_referral(referrer=world.officer, received_at=world.now - timedelta(days=days)) for days in (1, 2, 3)
    ]
    flagged = flagged_cases(world, 3)

    generate(world, limit=2)

    listed = items(world)
    assert [(item.referral_id, item.case_id) for item in listed] == [
        (referrals[2].id, None),  # the oldest referral first
        (referrals[1].id, None),
        (None, flagged[0].id),
        (None, flagged[1].id),
    ]
    assert more(world) == {"referrals": 1, "review": 1}


def test_the_meeting_page_says_how_many_more_and_links_to_them(world):
    make_referral(referrer=world.officer, received_at=world.now - timedelta(days=1))
    make_referral(referrer=world.officer, received_at=world.now - timedelta(days=2))
    flagged = flagged_cases(world, 4)
    generate(world, limit=1)
    page = f"/meetings/{world.meeting_id}"

    html = world.client_as(world.chair).get(page).text
    assert "the most urgent first. When it was generated, the casebook also picked:" in html
    assert '<a class="govuk-link" href="/referrals?status=new">and 1 more referral awaiting a decision</a>' in html
    rest = f"/meetings/{world.meeting_id}/agenda/review"
    assert f'<a class="govuk-link" href="{rest}">and 3 more cases flagged for PSG review</a>' in html
    # Members may not decide referrals: the count without the link.
    member_html = world.client_as(world.member).get(page).text
    assert "and 1 more referral awaiting a decision" in member_html and "/referrals?status=new" not in member_html

    listing = world.client_as(world.member).get(rest)
    assert listing.status_code == 200
    assert "3 cases" in listing.text and flagged[0].reference not in listing.text  # on the agenda
    shown = [case.reference for case in flagged[1:]]
    assert all(reference in listing.text for reference in shown)
    assert listing.text.index(shown[0]) < listing.text.index(shown[1]) < listing.text.index(shown[2])
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "meeting.viewed")).all()
    assert {"section": "review"} in [event.detail for event in viewed]


def test_the_list_of_what_did_not_fit_is_paged_and_answers_404_for_a_finished_meeting(world):
    flagged_cases(world, 55)
    generate(world, limit=2)
    client = world.client_as(world.chair)
    rest = f"/meetings/{world.meeting_id}/agenda/review"
    first, second = client.get(rest).text, client.get(rest + "?page=2").text
    assert "53 cases, page 1 of 2" in first and "53 cases, page 2 of 2" in second
    references = [f"ASB-{world.now.year}-5{number:04d}" for number in range(55)]
    assert all(reference in first for reference in references[2:52])
    assert all(reference in second for reference in references[52:]) and references[51] not in second
    for unknown in ("referrals", "flagged", "1"):  # referrals have a list of their own
        assert client.get(f"/meetings/{world.meeting_id}/agenda/{unknown}").status_code == 404
    meeting = db.session.get(Meeting, world.meeting_id)
    meeting.finished_at = utcnow()
    db.session.commit()
    assert client.get(rest).status_code == 404
    html = client.get(f"/meetings/{world.meeting_id}").text
    assert "and 53 more cases flagged for PSG review" in html and f'href="{rest}"' not in html


def test_a_referral_kept_for_its_minutes_beyond_the_limit_is_not_counted_again(world):
    received = [world.now - timedelta(days=days) for days in (3, 2, 1)]
    first, second, third = (make_referral(referrer=world.officer, received_at=at) for at in received)
    generate(world, limit=2)
    assert [item.referral_id for item in items(world)] == [first.id, second.id]
    assert more(world) == {"referrals": 1}
    items(world)[1].minutes = "Asked the police for more."
    older = make_referral(referrer=world.officer, received_at=world.now - timedelta(days=4))

    generate(world, limit=2)

    assert [item.referral_id for item in items(world)] == [older.id, first.id, second.id]
    assert more(world) == {"referrals": 1}  # the third only


def test_the_generate_button_answers_only_post(world):
    client = world.client_as(world.chair)
    response = client.get(f"/meetings/{world.meeting_id}/agenda/generate")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_the_configured_limit_is_what_the_chair_gets(app, world, monkeypatch):
    flagged_cases(world, 3)
    monkeypatch.setitem(app.config, "AGENDA_SECTION_LIMIT", 2)  # the app outlives the test
    client = world.client_as(world.chair)
    response = client.post(
        f"/meetings/{world.meeting_id}/agenda/generate", data={"version": str(world.meeting.version)}
    )
    assert response.status_code == 302
    assert len(items(world)) == 2 and more(world) == {"review": 1}
    assert "lists at most 2 items" in client.get(f"/meetings/{world.meeting_id}").text


# --- Generating again -----------------------------------------------------------------


def test_generating_again_with_the_limit_keeps_records_and_the_chairs_items(world):
    first, second, third, fourth = flagged_cases(world, 4)
    generate(world, limit=2)
    assert cases_on_agenda(world) == [first.id, second.id] and more(world) == {"review": 2}
    items(world)[1].minutes = "Discussed."
    make_agenda_item(meeting=world.meeting, position=3, case=fourth)
    # An older case is flagged: it takes a place among the first two.
    earlier = a_case(world, reference=f"ASB-{world.now.year}-00001")
    flag(earlier)

    generate(world, limit=2)

    assert [(item.case_id, item.reasons) for item in items(world)] == [
        (earlier.id, [FLAGGED]),
        (first.id, [FLAGGED]),
        # Beyond the first two, but kept: its minutes, and the chair's own item.
        (second.id, [FLAGGED]),
        (fourth.id, ["Added by the chair", FLAGGED]),
    ]
    assert more(world) == {"review": 1}  # the third


def test_an_item_beyond_the_limit_without_a_record_is_dropped(world):
    flagged = flagged_cases(world, 3)
    generate(world, limit=3)
    earlier = a_case(world, reference=f"ASB-{world.now.year}-00001")
    flag(earlier)
    generate(world, limit=3)
    assert cases_on_agenda(world) == [earlier.id, flagged[0].id, flagged[1].id]
    assert more(world) == {"review": 1}
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.verb == "meeting.agenda_generated").order_by(AuditEvent.id.desc()).limit(1)
    )
    assert event.detail == {"items": 3, "added": 1, "dropped": 1}


# --- Statements -----------------------------------------------------------------------


def test_the_statements_do_not_grow_with_the_cases_that_qualify(app, world):
    engine = app.extensions["casework.engine"]
    days = iter(range(3, 100))

    def add(how_many: int) -> None:
        for _ in range(how_many):
            make_referral(referrer=world.officer, received_at=world.now - timedelta(days=1))
            flag(a_case(world))
            overdue_action(world, a_case(world), days=3)
            high = a_case(world)
            assess(world.member, high, with_victim(world, high), HIGH, ago=timedelta(hours=1))

    def statements(*, again: bool = False) -> list[str]:
        meeting = make_psg_meeting(chair=world.chair, held_at=world.now + timedelta(days=next(days)))
        if again:
            generate(world, limit=5, meeting_id=meeting.id)
        db.session.expire_all()
        with recorded_statements(engine) as sent:
            generate(world, limit=5, meeting_id=meeting.id)
        return sent

    add(2)
    few, few_again = statements(), statements(again=True)
    add(10)
    many, many_again = statements(), statements(again=True)
    assert_same_queries(few, many)
    assert_same_queries(few_again, many_again)


def test_the_first_of_each_section_and_its_count_match_the_whole_ranking_at_every_limit(world):
    """Only the first ``limit`` of each way a case can rank are read, and the sections are
    counted apart: at every limit the agenda is the start of the whole ranking, "and N
    more" is its size, and the pages of what did not fit hold the rest once each."""
    year = world.now.year
    cases = iter(a_case(world, reference=f"ASB-{year}-{70000 + n}") for n in range(60))
    today = world.now.astimezone(LONDON).date()

    def high(case):
        assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
        return case

    for days in (9, 3, 3, 1):  # high risk and an action overdue (a tie on the day)
        overdue_action(world, high(next(cases)), days=days)
    for _ in range(3):  # high risk, nothing overdue; one with an action not due yet
        high(next(cases))
    make_action(agency=world.council, created_by=world.member, case=high(next(cases)), due_on=today)
    for days in (5, 5, 2, 12):  # only an overdue action
        overdue_action(world, next(cases), days=days)
    for hours in (30, 80):  # an overdue clock, one with an overdue action too
        clocked = next(cases)
        overdue_clock(world, clocked, world.now - timedelta(hours=hours))
    overdue_action(world, clocked, days=1)
    for _ in range(3):  # flagged only
        flag(next(cases))
    both = next(cases)
    flag(both)
    overdue_action(world, both, days=4)  # flagged but in the overdue section
    closed = a_case(world, status=CaseStatus.CLOSED)
    overdue_action(world, high(closed), days=30)  # closed: never picked

    meeting = db.session.get(Meeting, world.meeting_id)
    whole = agenda.pick(meeting, utcnow(), limit=1000)
    order = {section: [case.case_id for case in whole.cases if case.section is section] for section in whole.totals}
    assert {section.value: len(ids) for section, ids in order.items() if ids} == {
        "high-risk": 8, "overdue": 7, "review": 3,
    }  # fmt: skip
    assert closed.id not in whole.sections
    for limit in (1, 2, 3, 4, 7):
        generate(world, limit=limit)
        expected = [case_id for section in agenda.CASE_SECTIONS for case_id in order.get(section, [])[:limit]]
        assert cases_on_agenda(world) == expected, limit
        left = {section.value: len(ids) - limit for section, ids in order.items() if len(ids) > limit}
        assert more(world) == (left or None), limit
        for section in agenda.CASE_SECTIONS:
            rest, page = [], 1
            while True:
                _meeting, _section, listed = agenda.more_cases(
                    world.chair, world.meeting_id, section.value, page=page, per_page=2
                )
                rest += [shown.case.id for shown in listed.items]
                if page * 2 >= listed.total:
                    break
                page += 1
            assert rest == order.get(section, [])[limit:], (limit, section)


def test_cases_with_an_overdue_clock_lead_their_section_by_day_and_reference_at_every_limit(world):
    """Only the first ``limit`` cases with an overdue clock in each section are ranked,
    the rest counted: at every limit they come first in their section, by the earlier of
    the clock's UK day and an overdue action's day, a tie on the day by reference, and
    "and N more" and its pages hold the rest once each."""
    year = world.now.year
    refs = iter(range(80001, 80100))

    def case(*, clock_hours=None, action_days=None, high=False):
        found = a_case(world, reference=f"ASB-{year}-{next(refs)}")
        if clock_hours is not None:
            overdue_clock(world, found, world.now - timedelta(hours=clock_hours))
        if action_days is not None:
            overdue_action(world, found, days=action_days)
        if high:
            assess(world.member, found, with_victim(world, found), HIGH, ago=timedelta(hours=1))
        return found

    tied_first = case(clock_hours=100, high=True)
    action_earlier = case(clock_hours=30, action_days=9, high=True)
    tied_second = case(clock_hours=100, high=True)
    latest = case(clock_hours=50, high=True)
    high_action = case(action_days=20, high=True)
    high_only = case(high=True)
    clock_only = case(clock_hours=40)
    clock_earlier = case(clock_hours=90, action_days=1)
    action_first = case(clock_hours=20, action_days=6)
    action_only = case(action_days=30)
    order = {
        "high-risk": [action_earlier, tied_first, tied_second, latest, high_action, high_only],
        "overdue": [action_first, clock_earlier, clock_only, action_only],
    }
    for limit in range(1, 7):
        generate(world, limit=limit)
        assert cases_on_agenda(world) == [found.id for cases in order.values() for found in cases[:limit]], limit
        left = {name: len(cases) - limit for name, cases in order.items() if len(cases) > limit}
        assert more(world) == (left or None), limit
        for name, cases in order.items():
            _meeting, _section, listed = agenda.more_cases(world.chair, world.meeting_id, name, page=1, per_page=50)
            assert [shown.case.id for shown in listed.items] == [found.id for found in cases[limit:]], (limit, name)
            assert listed.total == max(len(cases) - limit, 0), (limit, name)
