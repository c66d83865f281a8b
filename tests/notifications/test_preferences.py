"""/account/notifications: each user chooses, per kind, immediately, a daily digest or
not at all; account events are always sent."""

from markupsafe import escape
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.notifications.models import Choice, NotificationKind, NotificationPreference
from casework.notifications.wording import CHOICE_LABELS
from casework.permissions import Role
from tests.factories import make_user

URL = "/account/notifications"


def every(choice: Choice) -> dict[str, str]:
    return {kind.value: choice.value for kind in CHOICE_LABELS}


def stored(user) -> dict[NotificationKind, Choice]:
    rows = db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.choice).where(
            NotificationPreference.user_id == user.id
        )
    )
    return {kind: choice for kind, choice in rows}


def audits() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "notification.preferences_changed")))


def test_every_role_sees_every_kind_with_its_choice(session, client_as):
    for role in Role:
        page = client_as(make_user(role=role)).get(URL)
        assert page.status_code == 200, role
    text = page.get_data(as_text=True)
    for label in CHOICE_LABELS.values():
        assert str(escape(label)) in text
    assert "In a daily digest" in text and "Not at all" in text
    assert "always sent" in text
    assert text.count('value="immediately" checked') == len(CHOICE_LABELS)


def test_choices_are_kept_and_the_change_audited(session, client_as):
    alice = make_user()
    client = client_as(alice)
    form = every(Choice.IMMEDIATELY) | {"action_due_soon": "digest", "referral_made": "off"}
    response = client.post(URL, data=form)
    assert response.status_code == 302 and response.location == URL
    assert stored(alice) == {
        NotificationKind.ACTION_DUE_SOON: Choice.DIGEST,
        NotificationKind.REFERRAL_MADE: Choice.OFF,
    }
    (event,) = audits()
    assert event.detail == {
        "action_due_soon": {"from": "immediately", "to": "digest"},
        "referral_made": {"from": "immediately", "to": "off"},
    }
    page = client.get(URL).get_data(as_text=True)
    assert 'value="digest" checked' in page and 'value="off" checked' in page

    # Back to immediately: the row goes (no row means immediately); an unchanged form audits nothing.
    client.post(URL, data=form | {"action_due_soon": "immediately"})
    assert stored(alice) == {NotificationKind.REFERRAL_MADE: Choice.OFF}
    client.post(URL, data=form | {"action_due_soon": "immediately"})
    assert len(audits()) == 2


def test_missing_and_unknown_choices_are_all_said_at_once_and_nothing_is_written(session, client_as):
    alice = make_user()
    form = every(Choice.OFF)
    del form["clock_due_soon"]
    form["action_overdue"] = "shout"
    response = client_as(alice).post(URL, data=form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Select how to be told about victims&#39; clocks due soon" in text
    assert "Select one of the three choices for actions overdue" in text
    assert text.count('value="off" checked') == len(CHOICE_LABELS) - 2  # what was chosen is kept
    assert stored(alice) == {} and audits() == []


def test_account_events_cannot_be_chosen(session, client_as):
    alice = make_user()
    response = client_as(alice).post(
        URL, data=every(Choice.DIGEST) | {"account_changed": "off", "password_reset": "off"}
    )
    assert response.status_code == 302
    assert NotificationKind.ACCOUNT_CHANGED not in stored(alice)
    assert NotificationKind.PASSWORD_RESET not in stored(alice)


def test_the_account_area_links_to_the_page(session, client_as):
    assert URL in client_as(make_user()).get("/").get_data(as_text=True)
    assert URL in client_as(make_user(role=Role.ANALYST)).get("/").get_data(as_text=True)
