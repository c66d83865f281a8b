"""/notifications and the unread count in the header: what each row shows, rows about a
case the user no longer sees in full, marking them read, and the queries they cost."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from casework import db
from casework.clock import start_of_day, today, utcnow
from casework.notifications import inbox
from casework.notifications.models import Notification, NotificationKind
from casework.notifications.outbox import notify
from casework.permissions import Role
from tests.factories import make_case, make_premises, make_user
from tests.support.queries import LIST_BUDGET, assert_same_queries, page_queries

K = NotificationKind


def told(user, kind=K.REFERRAL_MADE, *, link="/referrals/1", reference="Referral 1", **values) -> Notification:
    (row,) = notify([user], kind, link=link, reference=reference, **values)
    db.session.commit()
    return row


def test_the_page_lists_the_users_notifications_newest_first_with_unread_ones_marked(client_as, time_machine, council):
    user, someone_else = make_user(agency=council), make_user(agency=council)
    due_on = today() + timedelta(days=3)
    told(user, K.ACTION_ASSIGNED, link="/actions/7", reference="Action 7", due_at=start_of_day(due_on))
    read = told(user, K.REFERRAL_MADE, link="/referrals/4", reference="Referral 4")
    read.created_at = read.read_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    told(someone_else, K.MINUTES_FINISHED, link="/meetings/2", reference="PSG meeting")

    page = client_as(user).get("/notifications")

    assert page.status_code == 200
    text = page.text
    assert "2 notifications" in text
    assert text.index("Referral 4") < text.index("Action 7")  # newest first
    assert '<a class="govuk-link" href="/actions/7">An action has been assigned</a>' in text
    assert '<a class="govuk-link" href="/referrals/4">A referral has been made to the partnership</a>' in text
    assert f"{due_on.day} {due_on:%B %Y}" in text  # an action's due day, without a time
    assert text.count('class="govuk-tag"') == 1
    assert "PSG meeting" not in text
    assert "Mark all as read" in text


def test_a_row_about_a_case_or_premises_the_user_no_longer_sees_shows_only_its_kind(client_as, council, police):
    member = make_user(agency=council)
    theirs = make_case(lead_agency=police, opened_by=make_user(agency=police), restricted=True)
    mine = make_case(lead_agency=council, opened_by=member)
    premises = make_premises()
    told(member, K.ACTION_ASSIGNED, link="/actions/3", reference=theirs.reference, case_id=theirs.id)
    told(member, K.PREMISES_DEADLINE_DUE_SOON, link=f"/premises/{premises.id}", reference="P", premises_id=premises.id)
    told(member, K.ACTION_ASSIGNED, link="/actions/4", reference=mine.reference, case_id=mine.id)

    text = client_as(member).get("/notifications").text

    assert theirs.reference not in text and 'href="/actions/3"' not in text
    assert f'href="/premises/{premises.id}"' not in text  # members see premises only through their cases
    assert text.count("An action has been assigned") == 2
    assert "A licensed premises deadline is due soon" in text
    assert mine.reference in text and 'href="/actions/4"' in text


def test_mark_all_as_read_reads_only_the_users_own(client_as, council):
    user, other = make_user(agency=council), make_user(agency=council)
    told(user)
    told(user)
    told(other)
    client = client_as(user)
    assert "Notifications (2" in client.get("/").text

    response = client.post("/notifications/read")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications")
    unread = db.session.scalars(select(Notification.user_id).where(Notification.read_at.is_(None))).all()
    assert unread == [other.id]
    page = client.get("/notifications").text
    assert "All notifications marked as read." in page
    assert "Mark all as read" not in page
    assert "Notifications (" not in page


def test_the_header_counts_unread_notifications_for_screen_readers_too(client_as, council):
    user = make_user(agency=council)
    for _ in range(3):
        told(user)
    header = client_as(user).get("/").text
    assert (
        '<a class="govuk-link" href="/notifications">Notifications'
        ' (3<span class="govuk-visually-hidden"> unread</span>)</a>'
    ) in header


def unread_notices(user, count: int) -> None:
    for number in range(count):
        notify([user], K.REFERRAL_MADE, link=f"/referrals/{number}", reference=f"Referral {number}")
    db.session.commit()


MORE_THAN_99 = (
    '<a class="govuk-link" href="/notifications">Notifications (<span aria-hidden="true">99+</span>'
    '<span class="govuk-visually-hidden">more than 99 unread</span>)</a>'
)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("unread", "link"),
    [
        (
            99,
            '<a class="govuk-link" href="/notifications">Notifications (99<span class="govuk-visually-hidden"> unread</span>)</a>',
        ),
        (100, MORE_THAN_99),
        (101, MORE_THAN_99),
    ],
)
def test_the_header_counts_up_to_99_then_shows_99_plus_read_as_more_than_99(client_as, council, unread, link):
    user = make_user(agency=council)
    unread_notices(user, unread)
    told(make_user(agency=council))  # someone else's is not counted
    assert link in client_as(user).get("/").text


@pytest.mark.both_databases
def test_the_count_stops_one_past_what_the_header_shows(council):
    """The request that signs in counts with a query of its own: the same cap."""
    user = make_user(agency=council)
    unread_notices(user, 99)
    assert inbox.unread_count(user) == 99
    unread_notices(user, 2)
    assert inbox.unread_count(user) == inbox.UNREAD_SHOWN_AT_MOST + 1 == 100
    db.session.execute(update(Notification).where(Notification.user_id == user.id).values(read_at=utcnow()))
    assert inbox.unread_count(user) == 0


def test_a_user_with_no_notifications_sees_the_link_without_a_count(client_as, council):
    for role in (Role.PSG_MEMBER, Role.ANALYST):
        user = make_user(agency=council, role=role)
        client = client_as(user)
        assert '<a class="govuk-link" href="/notifications">Notifications</a>' in client.get("/").text
        page = client.get("/notifications")
        assert page.status_code == 200
        assert "You have no notifications." in page.text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications").status_code == 302
    assert "Notifications" not in client.get("/sign-in").text


@pytest.mark.both_databases
def test_the_page_and_the_header_cost_the_same_queries_for_5_rows_as_for_25(app, client_as, council, police):
    member = make_user(agency=council)
    cases = [
        make_case(lead_agency=council, opened_by=member),
        make_case(lead_agency=police, opened_by=make_user(agency=police), restricted=True),
    ]
    premises = make_premises()

    def add(count: int) -> None:
        for number in range(count):
            case = cases[number % 2]
            values = {"case_id": case.id} if number % 3 else {"premises_id": premises.id}
            told(member, K.ACTION_ASSIGNED, link=f"/actions/{number}", reference=case.reference, **values)

    client = client_as(member)
    add(5)
    few_page, few = page_queries(app, client, "/notifications")
    add(20)
    many_page, many = page_queries(app, client, "/notifications")

    assert few_page.count("An action has been assigned") == 5
    assert many_page.count("An action has been assigned") == 25
    assert "Notifications (25" in many_page
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


@pytest.mark.both_databases
def test_the_header_count_is_read_with_the_session_not_by_a_query_of_its_own(app, client_as, council):
    user = make_user(agency=council)
    told(user)
    page, statements = page_queries(app, client_as(user), "/")
    assert "Notifications (1" in page
    assert [statement for statement in statements if "notifications" in statement] == [statements[0]]
    assert statements[0].startswith("SELECT browser_sessions.data")
