"""GOV.UK Notify through its official client, against a local HTTP server that checks
the requests the client sends and answers as Notify would."""

import pytest

from casework import db
from casework.notifications import backends, sender
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.notifications.outbox import notify
from tests.factories import make_user
from tests.support.mail import BASE_URL, NOTIFY_API_KEY

TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
DIGEST_TEMPLATE = "0d2f7b3c-6f6e-4a7e-9d3e-6d0f1c2b3a4d"
SETTINGS = sender.Settings(base_url=BASE_URL, max_attempts=3, retry_seconds=60)


def send(api) -> sender.Counts:
    backend = backends.NotifyBackend(
        api_key=NOTIFY_API_KEY,
        templates=backends.template_ids(f"digest={DIGEST_TEMPLATE}", TEMPLATE),
        base_url=api.url,
    )
    return sender.send_pending(backend, SETTINGS, limit=100, batch_size=10, after_batch=db.session.commit)


def told(kind=NotificationKind.CLOCK_OVERDUE, **fields) -> tuple[Notification, str]:
    user = make_user()
    (row,) = notify([user], kind, link=fields.pop("link", "/cases/ASB-2026-00042"), **fields)
    db.session.commit()
    return row, user.email


def test_the_client_posts_the_email_with_its_template_personalisation_and_reference(session, notify_api):
    row, email = told(reference="ASB-2026-00042")
    assert send(notify_api).sent == 1
    (request,) = notify_api.requests
    assert request["path"] == "/v2/notifications/email"
    assert request["headers"]["Authorization"].startswith("Bearer ey")  # a JWT, signed with the key
    body = request["json"]
    assert (body["email_address"], body["template_id"]) == (email, TEMPLATE)
    assert body["reference"] == f"casework-notification-{row.id}"
    personalisation = body["personalisation"]
    assert set(personalisation) == {"subject", "body", "reference", "link", "due"}
    assert personalisation["subject"] == "A victim's SLA clock is overdue"
    assert personalisation["link"] == f"{BASE_URL}/cases/ASB-2026-00042"
    assert personalisation["reference"] == "ASB-2026-00042"
    assert db.session.get(Notification, row.id).status is NotificationStatus.SENT


def test_each_kind_uses_its_own_template(session, notify_api):
    told(NotificationKind.DIGEST, link="/notifications")
    send(notify_api)
    assert notify_api.requests[0]["json"]["template_id"] == DIGEST_TEMPLATE


@pytest.mark.parametrize("status", [500, 503, 429])
def test_notify_errors_and_rate_limits_are_retried(session, notify_api, status):
    row, _ = told()
    notify_api.answers = [status]
    assert send(notify_api).retrying == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert row.last_error == f"GOV.UK Notify {status}: answered {status}"


@pytest.mark.parametrize("status", [400, 403])
def test_a_request_notify_refuses_fails_at_once(session, notify_api, status):
    row, _ = told()
    notify_api.answers = [status]
    assert send(notify_api).failed == 1
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (
        NotificationStatus.FAILED,
        1,
        f"GOV.UK Notify {status}: answered {status}",
    )


def test_a_kind_without_a_template_fails_with_the_reason(session, notify_api):
    row, _ = told()
    backend = backends.NotifyBackend(api_key=NOTIFY_API_KEY, templates={}, base_url=notify_api.url)
    sender.send_pending(backend, SETTINGS, limit=10, batch_size=10, after_batch=db.session.commit)
    db.session.refresh(row)
    assert (row.status, row.last_error) == (NotificationStatus.FAILED, "No GOV.UK Notify template for clock_overdue")
    assert notify_api.requests == []


def test_template_ids_are_read_per_kind_over_the_default():
    templates = backends.template_ids(" digest = d-1 , clock_due_soon=c-1", "all")
    assert templates[NotificationKind.DIGEST] == "d-1"
    assert templates[NotificationKind.CLOCK_DUE_SOON] == "c-1"
    assert templates[NotificationKind.ACTION_ASSIGNED] == "all"
    with pytest.raises(ValueError, match="names no kind of notification: 'clocks'"):
        backends.template_ids("clocks=x", "")


def test_the_backend_is_chosen_by_configuration():
    config = {"NOTIFY_BACKEND": "console"}
    assert isinstance(backends.from_config(config), backends.ConsoleBackend)
    with pytest.raises(ValueError, match="NOTIFY_BACKEND must be one of console, smtp, notify"):
        backends.from_config({"NOTIFY_BACKEND": "pigeon"})
