"""Requests for access to a case: asked from its stub, one pending per user and case,
decided in the queue (/access-requests) by the lead agency's PSG chairs and the
community safety managers, granted through the sharing service or declined with a
reason, with the people concerned told through the outbox."""

import html
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import ACCESS_DECLINE_REASON_MAX, AccessRequest, AccessRequestStatus, Case, CaseAgency
from casework.cases.services import access_requests, commands
from casework.clock import utcnow
from casework.exceptions import InvalidTransition
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user
from tests.support.queries import LIST_BUDGET, assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases

PROBLEM = "There is a problem"
WHY = "The victim is our tenant and we visit weekly."


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    housing = make_agency(name="Roddons Housing")
    police = make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council, name="Priya Member")
    case = make_case(lead_agency=council, opened_by=member, title="Stones at windows")
    return SimpleNamespace(
        council=council,
        housing=housing,
        police=police,
        case=case,
        reference=case.reference,
        asker=make_user(agency=housing, name="Hana Housing"),
        chair=make_user(role=Role.PSG_CHAIR, agency=council, name="Carl Chair"),
        manager=make_user(role=Role.MANAGER, agency=police, name="Mo Manager"),
        other_chair=make_user(role=Role.PSG_CHAIR, agency=police, name="Olu Otherchair"),
        client_as=client_as,
    )


def ask(world, user=None, reason=WHY, client=None):
    client = client or world.client_as(user or world.asker)
    return client.post(f"/cases/{world.reference}/request-access", data={"reason": reason})


def the_request(world) -> AccessRequest:
    db.session.expire_all()
    return db.session.scalars(select(AccessRequest).where(AccessRequest.case_id == world.case.id)).one()


def notified(kind: NotificationKind) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def involved(world, agency) -> bool:
    query = select(CaseAgency.id).where(CaseAgency.case_id == world.case.id, CaseAgency.agency_id == agency.id)
    return db.session.scalar(query) is not None


def events(verb: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb)))


def test_asked_granted_and_the_asker_sees_the_case_and_is_told(world):
    client = world.client_as(world.asker)
    response = ask(world, client=client)
    assert response.status_code == 302
    flashed = html.unescape(client.get(response.location).text)
    assert "Your request for access has been recorded" in flashed
    assert "community safety managers will be told" in flashed
    assert "Request pending since" in flashed
    assert "Ask for access</a>" not in flashed

    request = the_request(world)
    assert (request.status, request.user_id, request.agency_id) == (
        AccessRequestStatus.PENDING,
        world.asker.id,
        world.housing.id,
    )
    assert request.reason == WHY
    [asked] = events("case.access_requested")
    assert asked.detail == {"reason": WHY, "request_id": request.id}
    # Told: the lead agency's chair and every manager; not another agency's chair.
    assert notified(NotificationKind.ACCESS_REQUESTED) == {world.chair.id, world.manager.id}
    told = db.session.scalars(select(Notification).where(Notification.user_id == world.chair.id)).one()
    assert (told.link, told.reference, told.case_id) == ("/access-requests", world.reference, world.case.id)

    queue = world.client_as(world.chair).get("/access-requests")
    assert queue.status_code == 200
    assert world.reference in queue.text and "Hana Housing" in queue.text and "Roddons Housing" in queue.text
    assert WHY in queue.text

    chair = world.client_as(world.chair)
    granted = chair.post(f"/access-requests/{request.id}/grant")
    assert granted.status_code == 302
    assert "Access granted: Roddons Housing can now see" in html.unescape(chair.get(granted.location).text)
    request = the_request(world)
    assert (request.status, request.decided_by_id) == (AccessRequestStatus.GRANTED, world.chair.id)
    assert involved(world, world.housing)
    [shared] = events("case.agency_added")
    assert shared.detail["agency_id"] == world.housing.id
    assert len(events("case.access_granted")) == 1
    assert notified(NotificationKind.ACCESS_DECIDED) == {world.asker.id}
    told = db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.ACCESS_DECIDED)).one()
    assert (told.link, told.case_id) == (f"/cases/{world.reference}", world.case.id)
    # The asker now sees the case in full.
    assert "Stones at windows" in client.get(f"/cases/{world.reference}").text


def test_asking_again_while_a_request_waits_says_so_and_adds_nothing(world):
    ask(world)
    again = ask(world, reason="Asking again")
    assert again.status_code == 409
    assert "You have already asked for access to this case" in html.unescape(again.text)
    assert db.session.scalar(select(func.count()).select_from(AccessRequest)) == 1
    assert len(events("case.access_requested")) == 1
    # Another user of the same agency may ask too.
    assert ask(world, user=make_user(agency=world.housing)).status_code == 302


def test_the_database_keeps_one_pending_request_per_user_and_case(world):
    commands.request_access(world.asker, world.reference, reason=WHY)
    # Past the service's own check, as a request racing with the first would be.
    db.session.add(AccessRequest(case_id=world.case.id, user_id=world.asker.id, agency_id=world.housing.id, reason="x"))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_once_decided_the_asker_may_ask_again(world):
    commands.request_access(world.asker, world.reference, reason=WHY)
    access_requests.decline(world.chair, the_request(world).id, reason="Not needed yet")
    commands.request_access(world.asker, world.reference, reason="Now it is")
    statuses = db.session.scalars(select(AccessRequest.status).order_by(AccessRequest.id))
    assert list(statuses) == [AccessRequestStatus.DECLINED, AccessRequestStatus.PENDING]


def test_declining_needs_a_reason_within_its_limit_and_keeps_what_was_typed(world):
    ask(world)
    request = the_request(world)
    client = world.client_as(world.manager)
    page = client.get(f"/access-requests/{request.id}/decline")
    assert page.status_code == 200 and WHY in page.text
    empty = client.post(f"/access-requests/{request.id}/decline", data={"reason": "  "})
    assert empty.status_code == 400
    assert PROBLEM in empty.text and "Enter why you are declining the request" in empty.text
    long = "n" * (ACCESS_DECLINE_REASON_MAX + 1)
    too_long = client.post(f"/access-requests/{request.id}/decline", data={"reason": long})
    assert too_long.status_code == 400 and long in too_long.text
    assert the_request(world).status is AccessRequestStatus.PENDING
    assert notified(NotificationKind.ACCESS_DECIDED) == set()

    declined = client.post(f"/access-requests/{request.id}/decline", data={"reason": "The lead officer will call you."})
    assert declined.status_code == 302
    request = the_request(world)
    assert (request.status, request.decline_reason) == (AccessRequestStatus.DECLINED, "The lead officer will call you.")
    assert not involved(world, world.housing)
    [event] = events("case.access_declined")
    assert event.detail["reason"] == "The lead officer will call you."
    assert notified(NotificationKind.ACCESS_DECIDED) == {world.asker.id}
    told = db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.ACCESS_DECIDED)).one()
    # The asker sees only the stub: nothing for the sender to check against the case.
    assert (told.link, told.reference, told.case_id) == (f"/cases/{world.reference}", world.reference, None)
    stub = html.unescape(world.client_as(world.asker).get(f"/cases/{world.reference}").text)
    assert "Your request for access was declined" in stub and "The lead officer will call you." in stub
    assert "Ask for access</a>" in stub


def test_a_chair_of_another_agency_neither_sees_nor_decides_the_request(world):
    ask(world)
    request = the_request(world)
    client = world.client_as(world.other_chair)
    queue = client.get("/access-requests")
    assert queue.status_code == 200 and world.reference not in queue.text
    assert client.post(f"/access-requests/{request.id}/grant").status_code == 404
    assert client.get(f"/access-requests/{request.id}/decline").status_code == 404
    assert client.post(f"/access-requests/{request.id}/decline", data={"reason": "No"}).status_code == 404
    assert the_request(world).status is AccessRequestStatus.PENDING
    # Members and partners have no queue at all.
    assert world.client_as(make_user(agency=world.council)).get("/access-requests").status_code == 403


def test_deciding_a_request_already_decided_says_so(world):
    ask(world)
    request = the_request(world)
    world.client_as(world.chair).post(f"/access-requests/{request.id}/grant")
    manager = world.client_as(world.manager)
    late = manager.post(f"/access-requests/{request.id}/grant")
    assert late.status_code == 302
    page = html.unescape(manager.get(late.location).text)
    assert "This request has already been granted" in page
    declining = world.client_as(world.manager).post(f"/access-requests/{request.id}/decline", data={"reason": "No"})
    assert declining.status_code == 409
    assert "This request has already been granted" in html.unescape(declining.text)
    assert the_request(world).decided_by_id == world.chair.id
    assert len(events("case.agency_added")) == 1
    assert len(events("case.access_declined")) == 0


def test_two_deciders_in_one_transaction_cannot_both_decide(world):
    commands.request_access(world.asker, world.reference, reason=WHY)
    request_id = the_request(world).id
    commands.grant_access(world.chair, request_id)
    with pytest.raises(InvalidTransition, match="already been granted"):
        access_requests.decline(world.manager, request_id, reason="Too late")


def test_sharing_the_case_with_the_agency_settles_its_pending_requests(world):
    ask(world)
    world.client_as(world.chair).post(
        f"/cases/{world.reference}/agencies/new", data={"agency_id": world.housing.id, "reason": "Their tenant."}
    )
    request = the_request(world)
    assert (request.status, request.decided_by_id) == (AccessRequestStatus.GRANTED, world.chair.id)
    assert notified(NotificationKind.ACCESS_DECIDED) == {world.asker.id}


def test_the_lead_agencys_chair_grants_a_restricted_case(world):
    restricted = make_case(lead_agency=world.council, opened_by=world.chair, restricted=True)
    commands.request_access(world.asker, restricted.reference, reason=WHY)
    request = db.session.scalars(select(AccessRequest).where(AccessRequest.case_id == restricted.id)).one()
    commands.grant_access(world.chair, request.id)
    shared = select(CaseAgency.id).where(CaseAgency.case_id == restricted.id, CaseAgency.agency_id == world.housing.id)
    assert db.session.scalar(shared) is not None


def test_the_case_page_lists_pending_requests_to_those_who_decide(world):
    ask(world)
    for decider in (world.chair, world.manager):
        page = world.client_as(decider).get(f"/cases/{world.reference}").text
        assert "Requests for access" in page and "Hana Housing" in page and "/access-requests" in page
    member_page = world.client_as(make_user(agency=world.council)).get(f"/cases/{world.reference}").text
    assert "Requests for access" not in member_page


def test_the_queue_puts_waiting_requests_first_oldest_first(world, time_machine):
    cases = [make_case(lead_agency=world.council, opened_by=world.chair) for _ in range(3)]
    for case in cases:
        commands.request_access(world.asker, case.reference, reason=f"About {case.reference}")
        time_machine.move_to(utcnow() + timedelta(minutes=1), tick=False)
    first = db.session.scalars(select(AccessRequest).where(AccessRequest.case_id == cases[0].id)).one()
    access_requests.decline(world.chair, first.id, reason="No")
    shown = access_requests.queue(world.chair, page=1, per_page=10).items
    assert [request.case_id for request in shown] == [cases[1].id, cases[2].id, cases[0].id]


def _requests_on_led_cases(world, time_machine, *, waiting: int, decided: int) -> None:
    """Requests on cases the council leads, in pairs asked (and decided) at the same
    moment, so that the queue's order has ties to break; and one on another agency's."""
    made = []
    for number in range(waiting + decided):
        case = make_case(lead_agency=world.council, opened_by=world.chair)
        made.append(commands.request_access(make_user(agency=make_agency()), case.reference, reason=WHY))
        if number % 2:
            time_machine.move_to(utcnow() + timedelta(minutes=1), tick=False)
    for number, request in enumerate(made[waiting:]):
        if number % 3:
            access_requests.decline(world.chair, request.id, reason="No")
        else:
            commands.grant_access(world.chair, request.id)
        if number % 2:
            time_machine.move_to(utcnow() + timedelta(minutes=1), tick=False)
    elsewhere = make_case(lead_agency=world.police, opened_by=world.other_chair)
    commands.request_access(make_user(agency=make_agency()), elsewhere.reference, reason=WHY)
    db.session.flush()


@pytest.mark.parametrize("per_page", [1, 3, 4, 25])
def test_the_queue_pages_through_both_ranges_skipping_and_repeating_nothing(world, time_machine, per_page):
    _requests_on_led_cases(world, time_machine, waiting=5, decided=6)
    for decider in (world.chair, world.manager):
        everything = db.session.scalars(select(AccessRequest)).all()
        mine = [r for r in everything if decider is world.manager or r.lead_agency_id == world.council.id]
        pending = sorted(
            (r for r in mine if r.status is AccessRequestStatus.PENDING), key=lambda r: (r.requested_at, r.id)
        )
        decided = sorted(
            (r for r in mine if r.status is not AccessRequestStatus.PENDING),
            key=lambda r: (r.decided_at, r.id),
            reverse=True,
        )
        first = access_requests.queue(decider, page=1, per_page=per_page)
        shown = [
            r.id
            for number in range(1, first.pages + 1)
            for r in access_requests.queue(decider, page=number, per_page=per_page).items
        ]
        assert shown == [r.id for r in pending + decided]
        assert first.total == len(mine)
        last = access_requests.queue(decider, page=first.pages + 5, per_page=per_page)
        assert last.page == first.pages and last.items


def test_a_change_of_lead_agency_moves_the_cases_requests_to_the_new_leads_queue(world):
    ask(world)
    ask(world, user=make_user(agency=world.police))
    other = make_case(lead_agency=world.council, opened_by=world.chair)
    commands.request_access(world.asker, other.reference, reason=WHY)
    db.session.flush()
    db.session.get_one(Case, world.case.id).lead_agency_id = world.police.id
    db.session.flush()
    db.session.expire_all()
    kept = db.session.execute(
        select(AccessRequest.id, AccessRequest.lead_agency_id, Case.lead_agency_id).join(
            Case, Case.id == AccessRequest.case_id
        )
    ).all()
    assert len(kept) == 3 and all(on_request == on_case for _id, on_request, on_case in kept)
    assert {r.case_id for r in access_requests.queue(world.other_chair, page=1, per_page=25).items} == {world.case.id}
    assert {r.case_id for r in access_requests.queue(world.chair, page=1, per_page=25).items} == {other.id}


def test_a_request_written_without_its_lead_agency_gets_the_cases(world):
    db.session.add(AccessRequest(case_id=world.case.id, user_id=world.asker.id, agency_id=world.housing.id, reason="x"))
    db.session.flush()
    db.session.expire_all()
    assert the_request(world).lead_agency_id == world.council.id
    assert [r.case_id for r in access_requests.queue(world.chair, page=1, per_page=25).items] == [world.case.id]


def test_the_queue_is_audited_when_it_shows_requests(world):
    assert world.client_as(world.chair).get("/access-requests").status_code == 200
    assert events("access_requests.viewed") == []
    ask(world)
    world.client_as(world.chair).get("/access-requests")
    [viewed] = events("access_requests.viewed")
    assert viewed.detail == {"requests": [the_request(world).id]}


def test_the_queue_costs_the_same_queries_for_few_and_many_requests(app, world):
    def queue_with(rows: int) -> list[str]:
        lead = make_agency()
        chair = make_user(role=Role.PSG_CHAIR, agency=lead)
        for _ in range(rows):
            case = make_case(lead_agency=lead, opened_by=chair)
            commands.request_access(make_user(agency=make_agency()), case.reference, reason=WHY)
        db.session.commit()
        _text, statements = page_queries(app, world.client_as(chair), "/access-requests")
        return statements

    few, many = queue_with(2), queue_with(12)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


def test_a_deactivated_decider_is_not_told(world):
    world.chair.active = False
    db.session.commit()
    commands.request_access(world.asker, world.reference, reason=WHY)
    assert notified(NotificationKind.ACCESS_REQUESTED) == {world.manager.id}
    assert db.session.get(User, world.chair.id) is not None


def test_the_case_list_links_the_queue_for_those_who_decide(world):
    assert 'href="/access-requests"' in world.client_as(world.chair).get("/cases").text
    assert 'href="/access-requests"' not in world.client_as(world.asker).get("/cases").text


def test_an_agency_no_longer_active_is_not_added(world):
    ask(world)
    request = the_request(world)
    db.session.get_one(Agency, world.housing.id).active = False
    db.session.commit()
    chair = world.client_as(world.chair)
    response = chair.post(f"/access-requests/{request.id}/grant")
    assert "Roddons Housing is no longer active" in html.unescape(chair.get(response.location).text)
    assert the_request(world).status is AccessRequestStatus.PENDING
    assert not involved(world, world.housing)
