"""Delivering the outbox to a real SMTP server on loopback: what is claimed, what is
checked again at the moment of sending, retries with back-off, permanent failures, and
what each outcome leaves in the row and the audit trail."""

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import CaseAgency
from casework.clock import utcnow
from casework.notifications import sender
from casework.notifications.backends import SmtpBackend
from casework.notifications.models import (
    Choice,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
)
from casework.notifications.outbox import notify
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_premises, make_user
from tests.support.mail import BASE_URL, free_port, smtp_settings

pytestmark = pytest.mark.both_databases  # the claim, the visibility re-checks, the counts

K, S = NotificationKind, NotificationStatus
SETTINGS = sender.Settings(base_url=BASE_URL, max_attempts=3, retry_seconds=60)


def send(mailbox, *, limit=1000, batch_size=10, settings=SETTINGS, **smtp) -> sender.Counts:
    backend = SmtpBackend(smtp_settings(mailbox, **smtp))
    return sender.send_pending(backend, settings, limit=limit, batch_size=batch_size, after_batch=db.session.commit)


def told(user, kind=K.ACTION_ASSIGNED, **fields) -> Notification:
    fields.setdefault("link", "/actions/1")
    fields.setdefault("reference", "ACT-1")
    (row,) = notify([user], kind, **fields)
    db.session.commit()
    return row


def verbs(row: Notification) -> list[str]:
    query = select(AuditEvent.verb).where(AuditEvent.object_type == "notification", AuditEvent.object_id == row.id)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_pending_rows_are_sent_once_with_their_message_id(session, mailbox):
    alice, bob = make_user(), make_user()
    rows = [told(alice), told(bob, K.REFERRAL_MADE, link="/referrals/4", reference="REF-4")]
    counts = send(mailbox)
    assert (counts.claimed, counts.sent) == (2, 2)
    by_id = {item.message["Message-ID"]: item for item in mailbox.received}
    for row, user in zip(rows, (alice, bob), strict=True):
        db.session.refresh(row)
        assert (row.status, row.attempts) == (S.SENT, 1) and row.sent_at is not None
        got = by_id[f"<casework-notification-{row.id}@casework.example.test>"]
        assert got.recipients == [user.email]
        assert got.message["Subject"] == {K.ACTION_ASSIGNED: "An action has been assigned"}.get(
            row.kind, "A referral has been made to the partnership"
        )
        assert f"{BASE_URL}{row.link}" in got.text
        assert abs(parsedate_to_datetime(got.message["Date"]) - row.sent_at) < timedelta(seconds=5)  # the app's clock
        assert verbs(row) == ["notification.sent"]
    assert send(mailbox).claimed == 0  # nothing twice
    assert len(mailbox.received) == 2


def test_the_audit_of_a_delivery_names_the_notification_and_its_kind_only(session, mailbox):
    row = told(make_user())
    send(mailbox)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "notification.sent"))
    assert (event.actor_id, event.object_id, event.detail) == (None, row.id, {"kind": "action_assigned"})


def test_rows_not_yet_due_and_rows_already_settled_are_left_alone(session, mailbox):
    user = make_user()
    later = told(user)
    later.next_attempt_at = utcnow() + timedelta(minutes=5)
    done = told(user)
    done.status = S.SENT
    db.session.commit()
    assert send(mailbox).claimed == 0
    assert mailbox.received == []


def test_a_batch_at_a_time_up_to_the_limit(session, mailbox):
    user = make_user()
    for _ in range(7):
        told(user)
    assert send(mailbox, limit=5, batch_size=2).sent == 5
    assert send(mailbox, batch_size=2).sent == 2
    assert len(set(mailbox.message_ids())) == 7


def test_rows_for_the_digest_are_left_pending_but_account_events_are_sent(session, mailbox):
    user = make_user()
    for kind in (K.ACTION_ASSIGNED, K.ACCOUNT_CHANGED):
        db.session.add(NotificationPreference(user_id=user.id, kind=kind, choice=Choice.DIGEST))
    gathered = told(user, K.ACTION_ASSIGNED)
    account = told(user, K.ACCOUNT_CHANGED, link="/account")
    digest = told(user, K.DIGEST, link="/notifications", reference="")
    counts = send(mailbox)
    assert counts.claimed == 2
    assert [db.session.get(Notification, row.id).status for row in (gathered, account, digest)] == [
        S.PENDING,
        S.SENT,
        S.SENT,
    ]


def test_a_digest_lists_what_it_gathered_that_its_recipient_may_still_see(session, mailbox):
    lead, partner = make_agency(), make_agency()
    kept, dropped = make_case(lead_agency=partner), make_case(lead_agency=lead, involved=[partner])
    user = make_user(agency=partner)
    db.session.add(NotificationPreference(user_id=user.id, kind=K.CLOCK_DUE_SOON, choice=Choice.DIGEST))
    due = utcnow() + timedelta(hours=4)
    items = [
        told(
            user,
            K.CLOCK_DUE_SOON,
            link=f"/cases/{case.reference}",
            reference=case.reference,
            case_id=case.id,
            due_at=due,
        )
        for case in (kept, dropped)
    ]
    digest = told(user, K.DIGEST, link="/notifications", reference="")
    for item in items:
        item.digest_id, item.status = digest.id, S.DIGESTED
    db.session.execute(
        CaseAgency.__table__.delete().where(CaseAgency.case_id == dropped.id, CaseAgency.agency_id == partner.id)
    )
    db.session.commit()

    assert send(mailbox).sent == 1
    text = mailbox.received[0].text
    assert f"{kept.reference}, due " in text and f"{BASE_URL}/cases/{kept.reference}" in text
    assert dropped.reference not in text


def test_a_digest_with_nothing_left_to_tell_is_not_sent(session, mailbox):
    lead, partner = make_agency(), make_agency()
    case = make_case(lead_agency=lead, involved=[partner])
    user = make_user(agency=partner)
    item = told(user, K.CLOCK_OVERDUE, link=f"/cases/{case.reference}", reference=case.reference, case_id=case.id)
    digest = told(user, K.DIGEST, link="/notifications", reference="")
    item.digest_id, item.status = digest.id, S.DIGESTED
    db.session.execute(
        CaseAgency.__table__.delete().where(CaseAgency.case_id == case.id, CaseAgency.agency_id == partner.id)
    )
    db.session.commit()
    assert (send(mailbox).withdrawn, mailbox.received) == (1, [])


def test_a_kind_turned_off_is_withdrawn_and_kept(session, mailbox):
    user = make_user()
    db.session.add(NotificationPreference(user_id=user.id, kind=K.ACTION_OVERDUE, choice=Choice.OFF))
    row = told(user, K.ACTION_OVERDUE)
    assert send(mailbox).withdrawn == 1
    db.session.refresh(row)
    assert (row.status, row.last_error) == (S.WITHDRAWN, "The recipient turned this kind of notification off.")
    assert mailbox.received == []
    assert verbs(row) == ["notification.withdrawn"]


def test_a_user_deactivated_since_gets_nothing(session, mailbox):
    user = make_user()
    row = told(user)
    user.active = False
    db.session.commit()
    send(mailbox)
    db.session.refresh(row)
    assert (row.status, row.last_error) == (S.WITHDRAWN, "The recipient's account is deactivated.")
    assert mailbox.received == []


def test_a_case_the_recipient_no_longer_sees_in_full_is_withdrawn(session, mailbox):
    lead, partner = make_agency(), make_agency()
    case = make_case(lead_agency=lead, involved=[partner])
    stays, leaves = make_user(agency=lead), make_user(agency=partner)
    rows = [told(user, K.CLOCK_DUE_SOON, link=f"/cases/{case.reference}", case_id=case.id) for user in (stays, leaves)]
    db.session.execute(
        CaseAgency.__table__.delete().where(CaseAgency.case_id == case.id, CaseAgency.agency_id == partner.id)
    )
    db.session.commit()
    assert (send(mailbox).sent, len(mailbox.received)) == (1, 1)
    assert mailbox.received[0].recipients == [stays.email]
    db.session.refresh(rows[1])
    assert (rows[1].status, rows[1].last_error) == (S.WITHDRAWN, "The recipient no longer sees the case in full.")


def test_premises_are_checked_against_who_may_see_them(session, mailbox):
    premises = make_premises()
    officer, member = make_user(role=Role.LICENSING_OFFICER), make_user(role=Role.PSG_MEMBER)
    rows = [
        told(user, K.PREMISES_DEADLINE_DUE_SOON, link=f"/premises/{premises.id}", premises_id=premises.id)
        for user in (officer, member)
    ]
    send(mailbox)
    assert [db.session.get(Notification, row.id).status for row in rows] == [S.SENT, S.WITHDRAWN]


def test_a_password_resets_link_is_not_kept_once_sent(session, mailbox):
    row = told(make_user(), K.PASSWORD_RESET, link="/sign-in/reset/one-time-token", reference="")
    send(mailbox)
    assert "/sign-in/reset/one-time-token" in mailbox.received[0].text
    db.session.refresh(row)
    assert row.link == "/sign-in/forgotten-password"


def test_a_temporary_refusal_is_retried_with_growing_waits_then_fails(session, mailbox, time_machine):
    user = make_user()
    mailbox.refuse[user.email] = "451 4.3.0 Try again later"
    row = told(user)
    waits = []
    for attempt in (1, 2):
        started = utcnow()
        assert send(mailbox).retrying == 1
        db.session.refresh(row)
        assert (row.status, row.attempts, row.last_error) == (S.PENDING, attempt, "SMTP recipient refused: 451")
        waits.append(row.next_attempt_at - started)
        assert send(mailbox).claimed == 0  # not before its time
        time_machine.move_to(row.next_attempt_at + timedelta(seconds=1))
    assert waits[0] >= timedelta(seconds=60) and waits[1] >= timedelta(seconds=120) > waits[0] - timedelta(seconds=1)
    assert send(mailbox).failed == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == (S.FAILED, 3)
    assert verbs(row) == ["notification.failed"]


def test_a_relay_that_cannot_be_reached_is_a_temporary_failure(session):
    row = told(make_user())
    closed = type("Closed", (), {"host": "127.0.0.1", "port": free_port()})()
    assert send(closed).retrying == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == (S.PENDING, 1)
    assert row.last_error.startswith("SMTP relay unreachable")


def test_a_recipient_refused_for_good_fails_at_once_and_the_rest_still_go(session, mailbox):
    refused, fine = make_user(), make_user()
    mailbox.refuse[refused.email] = "550 5.1.1 No such mailbox"
    bad, good = told(refused), told(fine)
    counts = send(mailbox)
    assert (counts.failed, counts.sent) == (1, 1)
    db.session.refresh(bad)
    assert (bad.status, bad.attempts, bad.last_error) == (S.FAILED, 1, "SMTP recipient refused: 550")
    assert db.session.get(Notification, good.id).status is S.SENT
    assert event_detail(bad) == {"kind": "action_assigned", "attempts": 1}


def event_detail(row: Notification) -> dict:
    return db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.verb == "notification.failed", AuditEvent.object_id == row.id)
    )
