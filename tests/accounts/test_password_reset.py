"""Resetting a forgotten password with a link sent by e-mail: the same answer for every
address, a single-use token kept only as a hash, valid for an hour, every session
ended, throttled like signing in."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import BrowserSession, PasswordResetToken, SignInFailure, User
from casework.accounts.services import password_reset
from casework.accounts.services.passwords import verify_password
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from tests import factories
from tests.factories import make_user

pytestmark = pytest.mark.both_databases

NEW_PASSWORD = "violet kettle mountain parade"
SENT = "If an account uses that address, we have sent a link to reset its password."


def ask(client, email):
    return client.post("/sign-in/forgotten-password", data={"email": email})


def links(user: User) -> list[Notification]:
    query = select(Notification).where(
        Notification.user_id == user.id, Notification.kind == NotificationKind.PASSWORD_RESET
    )
    return list(db.session.scalars(query.order_by(Notification.id)))


def token_of(notification: Notification) -> str:
    assert notification.link.startswith("/sign-in/reset-password/")
    return notification.link.rsplit("/", 1)[1]


def reset(client, token, password=NEW_PASSWORD, again=None):
    return client.post(
        f"/sign-in/reset-password/{token}", data={"password": password, "password_again": again or password}
    )


def verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_sign_in_page_links_here(client, session):
    assert 'href="/sign-in/forgotten-password"' in client.get("/sign-in").text
    page = client.get("/sign-in/forgotten-password")
    assert page.status_code == 200 and "Reset your password" in page.text


@pytest.mark.parametrize("who", ["known", "unknown", "deactivated"])
def test_the_answer_is_the_same_whoever_asks(app, session, who):
    user = make_user(email="ada@example.test", active=who != "deactivated")
    email = "nobody@example.test" if who == "unknown" else "ADA@example.test "
    client = app.test_client()
    response = ask(client, email)
    assert (response.status_code, response.location) == (302, "/sign-in")
    page = html.unescape(client.get("/sign-in").text)
    assert SENT in page
    # The same work either way: a throttling row and an audit event; a link only for the known.
    assert count(SignInFailure) == 1
    assert verbs()[-1] == "auth.password_reset_requested"
    assert len(links(user)) == (1 if who == "known" else 0)
    assert count(PasswordResetToken) == (1 if who == "known" else 0)


def test_only_a_hash_of_the_token_is_stored_and_no_token_is_audited(app, session):
    user = make_user()
    ask(app.test_client(), user.email)
    [notification] = links(user)
    token = token_of(notification)
    assert len(token) >= 43  # 256 bits
    stored = db.session.scalars(select(PasswordResetToken)).one()
    assert stored.token_hash == password_reset.token_hash(token) != token
    assert stored.expires_at - stored.created_at == timedelta(hours=1)
    assert notification.due_at == stored.expires_at
    details = " ".join(str(event.detail) for event in db.session.scalars(select(AuditEvent)))
    assert token not in details


def test_the_link_resets_the_password_ends_every_session_and_tells_the_user(app, session, client_as):
    user = make_user(role=Role.PSG_MEMBER)
    user.must_change_password = True
    db.session.commit()
    elsewhere = client_as(user)  # signed in in another browser
    assert elsewhere.get("/account/password").status_code == 200
    old_token = user.session_token
    ask(app.test_client(), user.email)
    token = token_of(links(user)[0])

    client = app.test_client()
    page = client.get(f"/sign-in/reset-password/{token}")
    assert page.status_code == 200 and "Choose a new password" in page.text
    response = reset(client, token)
    assert (response.status_code, response.location) == (302, "/sign-in")
    assert "Sign in with your new password" in html.unescape(client.get("/sign-in").text)

    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not user.must_change_password
    assert user.session_token != old_token
    assert db.session.scalar(select(func.count()).where(BrowserSession.user_id == user.id)) == 0
    ended = elsewhere.get("/account/password")
    assert ended.status_code == 302 and ended.location.startswith("/sign-in")  # that session has ended
    assert "account.password_reset" in verbs()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "account.password_reset")).one()
    assert token not in str(event.detail)
    told = select(Notification).where(Notification.kind == NotificationKind.ACCOUNT_CHANGED)
    assert [n.user_id for n in db.session.scalars(told)] == [user.id]
    # Signing in with the new password works; the old one does not.
    assert client.post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    other = app.test_client()
    assert other.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD}).status_code == 400


def test_a_second_factor_still_applies_after_a_reset(app, session):
    manager = make_user(role=Role.MANAGER)  # managers always need one
    ask(app.test_client(), manager.email)
    client = app.test_client()
    reset(client, token_of(links(manager)[0]))
    response = client.post("/sign-in", data={"email": manager.email, "password": NEW_PASSWORD})
    assert response.location.startswith("/sign-in/two-factor")


def test_the_link_works_once(app, session):
    user = make_user()
    ask(app.test_client(), user.email)
    token = token_of(links(user)[0])
    assert reset(app.test_client(), token).status_code == 302
    again = app.test_client().get(f"/sign-in/reset-password/{token}")
    assert again.status_code == 404
    assert "has expired or has already been used" in again.text
    assert 'href="/sign-in/forgotten-password"' in again.text
    assert reset(app.test_client(), token, password="another fine password here").status_code == 404
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


@pytest.mark.calendar
def test_the_link_expires_after_an_hour(app, session, time_machine):
    user = make_user()
    ask(app.test_client(), user.email)
    token = token_of(links(user)[0])
    asked_at = utcnow()
    time_machine.move_to(asked_at + timedelta(minutes=59), tick=False)
    assert app.test_client().get(f"/sign-in/reset-password/{token}").status_code == 200
    time_machine.move_to(asked_at + timedelta(hours=1, seconds=1), tick=False)
    assert app.test_client().get(f"/sign-in/reset-password/{token}").status_code == 404
    assert reset(app.test_client(), token).status_code == 404


def test_a_new_link_stops_the_older_ones(app, session):
    user = make_user()
    ask(app.test_client(), user.email)
    ask(app.test_client(), user.email)
    first, second = (token_of(n) for n in links(user))
    assert app.test_client().get(f"/sign-in/reset-password/{first}").status_code == 404
    assert app.test_client().get(f"/sign-in/reset-password/{second}").status_code == 200


def test_unknown_tokens_and_deactivated_accounts_get_the_same_page(app, session):
    user = make_user()
    ask(app.test_client(), user.email)
    token = token_of(links(user)[0])
    assert app.test_client().get("/sign-in/reset-password/made-up-token").status_code == 404
    db.session.get_one(User, user.id).active = False
    db.session.commit()
    assert app.test_client().get(f"/sign-in/reset-password/{token}").status_code == 404


def test_the_new_password_follows_the_rules_and_is_typed_twice(app, session):
    user = make_user()
    ask(app.test_client(), user.email)
    token = token_of(links(user)[0])
    client = app.test_client()
    short = reset(client, token, password="short", again="different")
    assert short.status_code == 400
    text = html.unescape(short.text)
    assert "Password must be 12 characters or more" in text
    assert "Enter the same password twice" in text  # both problems in one round
    common = reset(client, token, password="password1234")
    assert "Choose a password that is harder to guess" in html.unescape(common.text)
    empty = client.post(f"/sign-in/reset-password/{token}", data={"password": "", "password_again": ""})
    assert empty.status_code == 400 and "Enter a new password" in empty.text
    assert password_reset.usable(token) is not None  # nothing used up
    assert "account.password_reset" not in verbs()


def test_asking_needs_an_address(client, session):
    response = client.post("/sign-in/forgotten-password", data={"email": ""})
    assert response.status_code == 400 and "Enter your email address" in response.text
    assert count(PasswordResetToken) == 0 and verbs() == []


def test_asking_is_throttled_per_address_and_client(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RATE_LIMIT", "2 per 15 minutes")
    user = make_user()
    client = app.test_client()
    assert ask(client, user.email).status_code == 302
    assert ask(client, user.email.upper()).status_code == 302
    throttled = ask(client, user.email)
    assert throttled.status_code == 429
    assert "Too many links asked for. Wait 15 minutes and try again." in throttled.text
    assert len(links(user)) == 2
    assert "auth.password_reset_throttled" in verbs()
    # Another address from the same client is not held back by this one.
    assert ask(client, make_user().email).status_code == 302


def test_asking_is_throttled_per_client(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_IP_RATE_LIMIT", "3 per 15 minutes")
    client = app.test_client()
    for number in range(3):
        assert ask(client, f"guess{number}@example.test").status_code == 302
    assert ask(client, "guess9@example.test").status_code == 429


def test_a_signed_in_user_is_sent_to_change_their_password(client_as, session):
    response = client_as(make_user()).get("/sign-in/forgotten-password")
    assert response.location == "/account/password"
