"""/admin/notifications: counts by status, the failed and pending rows, paged, and the
retry button (POST, audited)."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.notifications import queue
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.permissions import Role
from tests.factories import make_user

pytestmark = pytest.mark.both_databases  # the counts, the order and the paging are SQL

S = NotificationStatus


def row(user, status, *, reference="ASB-2026-00042", error="", minutes=0) -> Notification:
    item = Notification(
        user_id=user.id,
        kind=NotificationKind.CLOCK_OVERDUE,
        link="/cases/x",
        reference=reference,
        status=status,
        attempts=3 if status is S.FAILED else 0,
        last_error=error,
        next_attempt_at=utcnow() + timedelta(minutes=minutes),
    )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def admin(session):
    return make_user(role=Role.ADMIN)


def test_the_page_counts_each_status_and_lists_failed_rows_first(client_as, admin):
    someone = make_user(email="lead.officer@fenland.example.test")
    row(someone, S.PENDING, reference="ASB-2026-00001", minutes=5)
    row(someone, S.FAILED, reference="ASB-2026-00002", error="SMTP recipient refused: 550")
    row(someone, S.SENT)
    response = client_as(admin).get("/admin/notifications")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Notifications by status" in page
    assert page.index("ASB-2026-00002") < page.index("ASB-2026-00001")  # failed first
    assert "SMTP recipient refused: 550" in page
    assert "lead.officer@fenland.example.test" in page
    assert "A victim&#39;s SLA clock is overdue" in page
    assert page.count(">Retry<") == 1  # only the failed row has the button
    assert "2 notifications" in page  # sent rows are counted, not listed


def references(page: str) -> list[str]:
    return re.findall(r"REF-\d+", page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def test_the_list_is_paged_forwards_and_back_over_ties_without_skipping_or_repeating(
    client_as, admin, app, monkeypatch
):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_PER_PAGE", 3)
    someone = make_user()
    # Failed rows all at one time, pending ones at two times: ties everywhere, and a page
    # that straddles the two statuses.
    expected = [row(someone, S.FAILED, reference=f"REF-{number}").reference for number in range(4)]
    expected += [
        row(someone, S.PENDING, reference=f"REF-{number}", minutes=number // 3).reference for number in range(4, 11)
    ]
    client = client_as(admin)

    pages, url = [], "/admin/notifications"
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(references(page))
        assert "11 notifications" in page
        url = link(page, "next")
    assert [ref for shown in pages for ref in shown] == expected
    assert [len(shown) for shown in pages] == [3, 3, 3, 2]

    back = [pages[-1]]
    url = link(client.get(f"/admin/notifications?after={_id(expected[8])}").get_data(as_text=True), "prev")
    while url:
        page = client.get(url).get_data(as_text=True)
        back.append(references(page))
        url = link(page, "prev")
    assert back[::-1] == pages


def _id(reference: str) -> int:
    return db.session.scalar(select(Notification.id).where(Notification.reference == reference))


def test_an_old_page_number_or_a_mangled_cursor_shows_the_first_page(client_as, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_PER_PAGE", 2)
    someone = make_user()
    for number in range(5):
        row(someone, S.PENDING, reference=f"REF-{number}", minutes=number)
    client = client_as(admin)
    for url in ("/admin/notifications?page=3", "/admin/notifications?after=x", "/admin/notifications?before=99999"):
        page = client.get(url).get_data(as_text=True)
        assert references(page) == ["REF-0", "REF-1"], url
        assert link(page, "prev") is None and link(page, "next") is not None


def test_a_row_sent_since_its_page_was_shown_still_leads_on(client_as, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_PER_PAGE", 2)
    someone = make_user()
    made = [row(someone, S.PENDING, reference=f"REF-{number}", minutes=number) for number in range(5)]
    client = client_as(admin)
    url = link(client.get("/admin/notifications").get_data(as_text=True), "next")
    made[1].status = S.SENT  # the row the link starts after
    db.session.commit()
    assert references(client.get(url).get_data(as_text=True)) == ["REF-2", "REF-3"]


def counted_by_status(page: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'<th scope="row" class="govuk-table__header">(\w+)</th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">([^<]+)</td>',
            page,
        )
    )


def test_counts_stop_at_the_limit(client_as, admin, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_LIMIT", 3)
    someone = make_user()
    for number in range(4):
        row(someone, S.SENT)
        row(someone, S.PENDING, reference=f"REF-{number}")
    for _ in range(2):
        row(someone, S.FAILED)
    page = client_as(admin).get("/admin/notifications").get_data(as_text=True)
    assert counted_by_status(page) == {
        "Pending": "More than 3",
        "Sent": "More than 3",
        "Failed": "2",
        "Digested": "0",
        "Withdrawn": "0",
    }
    assert "More than 3 notifications" in page


def many(user, status: NotificationStatus, number: int) -> None:
    rows = [
        {"user_id": user.id, "kind": NotificationKind.CLOCK_OVERDUE, "link": "/cases/x", "status": status}
        for _ in range(number)
    ]
    db.session.execute(insert(Notification), rows)
    db.session.commit()


def test_the_counts_are_exact_up_to_a_thousand_and_capped_one_over(client_as, admin):
    # A thousand is where an exact figure stops telling an administrator anything: each
    # status reads at most 1,001 index entries, however old the outbox.
    someone = make_user()
    many(someone, S.SENT, 1_001)
    many(someone, S.FAILED, 1_000)
    page = client_as(admin).get("/admin/notifications").get_data(as_text=True)
    assert counted_by_status(page) == {
        "Pending": "0",
        "Sent": "More than 1,000",
        "Failed": "1,000",
        "Digested": "0",
        "Withdrawn": "0",
    }
    assert "1,000 notifications" in page and "More than 1,000 notifications" not in page
    many(someone, S.PENDING, 1)
    page = client_as(admin).get("/admin/notifications").get_data(as_text=True)
    assert counted_by_status(page)["Pending"] == "1"
    assert "More than 1,000 notifications" in page  # failed and pending together pass it


def test_retry_puts_a_failed_row_back_and_audits_it(client_as, admin):
    failed = row(make_user(), S.FAILED, error="GOV.UK Notify 400: bad template")
    response = client_as(admin).post(f"/admin/notifications/{failed.id}/retry")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/notifications"
    failed = db.session.get(Notification, failed.id)
    assert (failed.status, failed.attempts) == (S.PENDING, 0)
    assert failed.next_attempt_at <= utcnow()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "notification.retried"))
    assert (event.actor_id, event.object_id, event.detail) == (admin.id, failed.id, {"kind": "clock_overdue"})


def test_a_row_that_has_not_failed_is_not_retried(client_as, admin):
    sent = row(make_user(), S.SENT)
    client = client_as(admin)
    client.post(f"/admin/notifications/{sent.id}/retry")
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "This notification has not failed, so there is nothing to retry." in page
    assert db.session.get(Notification, sent.id).status is S.SENT


def test_other_roles_may_not_open_it(client_as):
    for role in Role:
        if role is not Role.ADMIN:
            assert client_as(make_user(role=role)).get("/admin/notifications").status_code == 403


def test_administrators_reach_it_from_the_admin_navigation(client_as, admin):
    page = client_as(admin).get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/notifications"' in page
