"""The two lists of notifications on SQLite read a page in order from an index, not
every notification: with 200,000 in the outbox, the administrators' list walked every
user's notifications (1.4 s) and a user's list sorted all of theirs (70 ms)
(docs/performance.md, "Notifications at county scale")."""

from datetime import timedelta

from casework import db
from casework.clock import utcnow
from casework.notifications import inbox, queue
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.permissions import Role
from tests.factories import make_user
from tests.support.plans import plan_of, sent_statements

# What ANALYZE recorded about the benchmark's county outbox (200,000 notifications, 77
# users): the planner chooses by these.
COUNTY_OUTBOX = {
    ("notifications", "ix_notifications_user_id_read_at"): "200087 2599 2",
    ("notifications", "ix_notifications_user_id_created_at"): "200087 2599 1 1",
    ("notifications", "ix_notifications_status_next_attempt_at"): "200087 40018 1",
    ("notifications", "ix_notifications_case_id"): "200087 3",
    ("users", "sqlite_autoindex_users_1"): "77 1",
}


def as_a_county_outbox() -> None:
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl IN ('notifications', 'users')")
    for (table, index), stat in COUNTY_OUTBOX.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")


def some_notifications(user) -> None:
    for number, status in enumerate(
        [NotificationStatus.FAILED, NotificationStatus.PENDING, NotificationStatus.SENT] * 3
    ):
        db.session.add(
            Notification(
                user_id=user.id,
                kind=NotificationKind.CLOCK_OVERDUE,
                link="/cases/x",
                status=status,
                next_attempt_at=utcnow() + timedelta(minutes=number),
            )
        )
    db.session.commit()


def plans(app, call, containing: str) -> list[list[str]]:
    with sent_statements(app.extensions["casework.engine"], containing) as sent:
        call()
    return [plan_of(db.session.connection(), statement, parameters) for statement, parameters in sent]


def test_the_administrators_list_reads_each_status_in_order_from_its_index(app, session):
    admin = make_user(role=Role.ADMIN)
    some_notifications(make_user())
    as_a_county_outbox()
    [plan] = plans(app, lambda: queue.waiting(admin, per_page=50), "FROM notifications JOIN")
    index_reads = [step for step in plan if step.startswith("SEARCH notifications USING COVERING INDEX")]
    assert (
        index_reads
        == ["SEARCH notifications USING COVERING INDEX ix_notifications_status_next_attempt_at (status=?)"] * 2
    ), plan
    assert not any(step.startswith(("SCAN users", "SCAN notifications")) for step in plan), plan


def test_the_counts_by_status_read_the_status_index_only(app, session):
    admin = make_user(role=Role.ADMIN)
    some_notifications(make_user())
    as_a_county_outbox()
    [plan] = plans(app, lambda: queue.counts(admin), "count(*)")
    reads = [step for step in plan if "notifications" in step]
    assert reads == ["SEARCH notifications USING COVERING INDEX ix_notifications_status_next_attempt_at (status=?)"] * 5


def test_a_users_list_reads_a_page_newest_first_from_their_index(app, session):
    user = make_user()
    some_notifications(user)
    as_a_county_outbox()
    [plan] = plans(app, lambda: inbox.notifications_page(user, page=1, per_page=25), "ORDER BY")
    # The page's ids from the index, in order; then only those rows are read and sorted.
    assert plan[:2] == [
        "MATERIALIZE anon_1",
        "SEARCH notifications USING COVERING INDEX ix_notifications_user_id_created_at (user_id=?)",
    ], plan
    assert "SEARCH notifications USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not any(step.startswith("SCAN notifications") for step in plan), plan
