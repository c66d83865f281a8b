"""Signing in and out through the real form, throttling, session timeouts and
changing one's own password."""

import re
import secrets
from datetime import timedelta
from urllib.parse import quote, urljoin, urlsplit

import pytest
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import verify_password
from casework.audit.models import AuditEvent
from casework.clock import timestamp
from casework.permissions import Role
from tests import factories
from tests.factories import make_agency, make_case, make_user

THROTTLED = "Too many failed attempts to sign in. Wait 5 minutes and try again."
TIMED_OUT = "You were signed out because your session timed out"


def sign_in(client, email, password=factories.PASSWORD, *, next=None):
    url = "/sign-in" if next is None else f"/sign-in?next={next}"
    return client.post(url, data={"email": email, "password": password})


def error_summary(html):
    """The GOV.UK error summary of a page, without the parts that differ per request."""
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return match.group(0) if match else ""


def session_cookie(client):
    return client.get_cookie("session").value


def with_cookie(app, value):
    """A second browser holding a copy of someone's session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def audit_verbs(user=None):
    query = select(AuditEvent.verb).order_by(AuditEvent.id)
    if user is not None:
        query = query.where((AuditEvent.actor_id == user.id) | (AuditEvent.object_id == user.id))
    return list(db.session.scalars(query))


# --- Signing in --------------------------------------------------------------------


def test_signing_in_goes_to_my_work(client, session):
    user = make_user(email="ada@example.test")
    response = sign_in(client, "ada@example.test")
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "My work" in page.text
    assert f"Signed in as {user.name}" in page.text
    assert db.session.get(User, user.id).last_signed_in_at is not None


def test_signed_out_visitor_is_returned_to_the_page_they_asked_for(client, session):
    agency = make_agency()
    user = make_user(agency=agency)
    case = make_case(lead_agency=agency, opened_by=user)
    response = client.get(f"/cases/{case.reference}")
    assert response.status_code == 302
    assert response.location == f"/sign-in?next=%2Fcases%2F{case.reference}"
    signed_in = client.post(response.location, data={"email": user.email, "password": factories.PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.location == f"/cases/{case.reference}"
    assert client.get(signed_in.location).status_code == 200


def test_a_query_string_survives_the_trip_through_sign_in(client, session):
    user = make_user()
    response = client.get("/cases?status=closed")
    signed_in = client.post(response.location, data={"email": user.email, "password": factories.PASSWORD})
    assert signed_in.location == "/cases?status=closed"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",  # browsers read a backslash as a slash
        "/\t/evil.example",  # and drop tabs: "/<tab>/evil.example" is "//evil.example"
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_pointing_off_site_is_ignored(client, session, target):
    user = make_user()
    response = sign_in(client, user.email, next=quote(target, safe="/:"))
    assert response.status_code == 302
    # Where a browser would go: it reads a backslash as a slash.
    followed = urljoin("http://localhost/sign-in", response.location.replace("\\", "/"))
    assert urlsplit(followed).netloc == "localhost", response.location


def test_wrong_password_and_unknown_email_get_the_same_answer(client, session):
    user = make_user()
    wrong_password = sign_in(client, user.email, "not the password at all")
    unknown_email = sign_in(client, "nobody@example.test", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert "There is a problem" in wrong_password.text
    assert "Enter a correct email address and password" in wrong_password.text
    assert error_summary(wrong_password.text) == error_summary(unknown_email.text) != ""
    assert client.get("/").status_code == 302  # still signed out


def test_what_was_typed_in_the_email_box_is_kept(client, session):
    response = sign_in(client, "typed@example.test", "wrong password")
    assert 'value="typed@example.test"' in response.text
    assert "wrong password" not in response.text


def test_empty_form_gets_field_errors(client, session):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text


def test_inactive_user_cannot_sign_in(client, session):
    user = make_user(active=False)
    response = sign_in(client, user.email)
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text
    assert client.get("/").status_code == 302
    assert "auth.signed_in" not in audit_verbs(user)


def test_email_is_not_case_sensitive(client, session):
    make_user(email="grace@example.test")
    response = sign_in(client, "  Grace@EXAMPLE.test ")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_signing_in_starts_a_new_session(client, session):
    user = make_user()
    with client.session_transaction() as browser_session:
        browser_session["planted"] = "by someone else"
    sign_in(client, user.email)
    with client.session_transaction() as browser_session:
        assert "planted" not in browser_session
        assert browser_session["_user_id"] == db.session.get(User, user.id).session_token


def test_signed_in_user_visiting_sign_in_goes_to_my_work(client, session):
    user = make_user()
    sign_in(client, user.email)
    response = client.get("/sign-in")
    assert response.status_code == 302
    assert response.location == "/"


def test_sign_in_and_failures_are_audited(client, session):
    user = make_user()
    sign_in(client, user.email, "not the password at all")
    sign_in(client, "nobody@example.test", "not the password at all")
    sign_in(client, user.email)
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [event.verb for event in events] == ["auth.sign_in_failed", "auth.sign_in_failed", "auth.signed_in"]
    assert [event.object_id for event in events] == [user.id, None, user.id]
    assert events[2].actor_id == user.id
    assert all(event.request_id for event in events)
    # The unknown address is not written down: it may be someone's password typed in the wrong box.
    assert "nobody@example.test" not in str(events[1].detail)


# --- Signing out -------------------------------------------------------------------


def test_sign_out_is_post_only(client, session):
    user = make_user()
    sign_in(client, user.email)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_signing_out_ends_the_session_everywhere(app, client, session):
    user = make_user()
    sign_in(client, user.email)
    copied = session_cookie(client)
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert response.location == "/sign-in"
    assert "You have signed out." in client.get("/sign-in").text
    assert client.get("/").status_code == 302
    # The old cookie names a session token that no longer exists.
    replayed = with_cookie(app, copied).get("/")
    assert replayed.status_code == 302
    assert replayed.location.startswith("/sign-in")
    assert audit_verbs(user)[-1] == "auth.signed_out"


# --- Throttling --------------------------------------------------------------------


def test_five_failed_attempts_lock_that_email_for_a_while(app, client, session):
    assert app.config["SIGN_IN_RATE_LIMIT"] == "5 per 5 minutes"
    user = make_user()
    for _attempt in range(5):
        assert sign_in(client, user.email, "wrong guess number x").status_code == 400
    response = sign_in(client, user.email)  # even the right password
    assert response.status_code == 429
    assert THROTTLED in response.text
    assert "There is a problem" in response.text
    assert 'name="password"' in response.text  # the sign-in page, not an error page
    assert client.get("/").status_code == 302


@pytest.fixture
def limit_of_two(app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "2 per 5 minutes")


def test_the_limit_comes_from_configuration(client, session, limit_of_two):
    user = make_user()
    sign_in(client, user.email, "wrong guess number x")
    sign_in(client, user.email, "wrong guess number x")
    assert sign_in(client, user.email).status_code == 429


def test_throttling_counts_the_address_whatever_its_case(client, session, limit_of_two):
    user = make_user()
    sign_in(client, user.email, "wrong guess number x")
    sign_in(client, user.email.upper(), "wrong guess number x")
    assert sign_in(client, f" {user.email.title()} ").status_code == 429


def test_another_email_from_the_same_client_is_not_locked_out(client, session, limit_of_two):
    """Otherwise anyone could lock every user out by guessing at their addresses."""
    target, bystander = make_user(), make_user()
    for _attempt in range(3):
        sign_in(client, target.email, "wrong guess number x")
    assert sign_in(client, target.email).status_code == 429
    response = sign_in(client, bystander.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_successful_sign_ins_do_not_count(app, session):
    user = make_user()
    for _attempt in range(6):
        assert sign_in(app.test_client(), user.email).status_code == 302


def test_a_busy_office_behind_one_address_can_all_sign_in(app, session, monkeypatch):
    """The per-client limit counts failures too, not everyone arriving at 9am."""
    monkeypatch.setitem(app.config, "SIGN_IN_IP_RATE_LIMIT", "2 per 5 minutes")
    for colleague in [make_user() for _number in range(3)]:
        assert sign_in(app.test_client(), colleague.email).status_code == 302


def test_guessing_at_many_addresses_from_one_client_is_limited(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_IP_RATE_LIMIT", "3 per 5 minutes")
    for number in range(3):
        assert sign_in(client, f"guess{number}@example.test", "wrong guess number x").status_code == 400
    assert sign_in(client, "guess9@example.test", "wrong guess number x").status_code == 429


# --- Session timeouts and ending sessions ------------------------------------------


def test_idle_session_times_out(app, client, session):
    user = make_user()
    sign_in(client, user.email)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    assert idle == timedelta(minutes=30)
    with client.session_transaction() as browser_session:
        browser_session["last_seen"] = timestamp() - idle.total_seconds() - 60
    response = client.get("/cases?status=closed&town=March")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")
    assert TIMED_OUT in client.get("/sign-in").text
    assert client.get("/").status_code == 302
    # Signing in again goes back to where the user was.
    again = client.post(response.location, data={"email": user.email, "password": factories.PASSWORD})
    assert again.location == "/cases?status=closed&town=March"


def test_activity_within_the_idle_timeout_keeps_the_session(app, client_as, session):
    browser = client_as(make_user())
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    with browser.session_transaction() as browser_session:
        browser_session["last_seen"] = timestamp() - idle + 60
    assert browser.get("/").status_code == 200
    with browser.session_transaction() as browser_session:
        assert browser_session["last_seen"] > timestamp() - 10


def test_session_ends_after_the_absolute_lifetime_however_busy(app, client_as, session):
    browser = client_as(make_user())
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    assert lifetime == timedelta(hours=12)
    with browser.session_transaction() as browser_session:
        browser_session["signed_in_at"] = timestamp() - lifetime.total_seconds() - 60
    response = browser.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")
    assert TIMED_OUT in browser.get("/sign-in").text
    assert browser.get("/").status_code == 302


def test_deactivating_a_user_ends_their_open_sessions(client_as, session):
    user = make_user()
    browser = client_as(user)
    assert browser.get("/").status_code == 200
    admin = make_user(role=Role.ADMIN)
    response = client_as(admin).post(f"/admin/users/{user.id}/deactivate", data={"version": user.version})
    assert response.status_code == 302
    assert browser.get("/").status_code == 302


def edit_user(browser, user, **changes):
    data = {
        "version": user.version,
        "name": user.name,
        "email": user.email,
        "agency_id": user.agency_id,
        "role": user.role.value,
    }
    return browser.post(f"/admin/users/{user.id}", data={**data, **changes})


def test_changing_a_users_role_ends_their_sessions(client_as, client, session):
    user = make_user(role=Role.PSG_MEMBER)
    browser = client_as(user)
    admin = make_user(role=Role.ADMIN)
    assert edit_user(client_as(admin), user, role="partner").status_code == 302
    assert browser.get("/").status_code == 302
    # Signing in again brings the new rights.
    assert sign_in(client, user.email).status_code == 302
    assert "Partner practitioner" in client.get("/").text


def test_changing_a_users_agency_ends_their_sessions(client_as, session):
    user = make_user()
    browser = client_as(user)
    admin = make_user(role=Role.ADMIN)
    assert edit_user(client_as(admin), user, agency_id=make_agency().id).status_code == 302
    assert browser.get("/").status_code == 302


def test_renaming_a_user_leaves_their_session_alone(client_as, session):
    user = make_user()
    browser = client_as(user)
    admin = make_user(role=Role.ADMIN)
    assert edit_user(client_as(admin), user, name="New Name").status_code == 302
    assert "Signed in as New Name" in browser.get("/").text


# --- Changing one's own password ---------------------------------------------------


def change_password(browser, current, new):
    return browser.post("/account/password", data={"current_password": current, "password": new})


def test_change_password_page_shows_the_form(client_as, session):
    response = client_as(make_user()).get("/account/password")
    assert response.status_code == 200
    assert "Change your password" in response.text


def test_wrong_current_password_is_rejected(client_as, session):
    user = make_user()
    response = change_password(client_as(user), "not my password", "a brand new long passphrase")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Your current password is not correct" in response.text
    assert verify_password(db.session.get(User, user.id).password_hash, factories.PASSWORD)
    assert "user.password_changed" not in audit_verbs(user)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short one", "Password must be 12 characters or more"),
        ("passwordpassword", "Choose a password that is harder to guess"),
        ("PasswordPassword", "Choose a password that is harder to guess"),
        ("aaaaaaaaaaaaaaaa", "Choose a password that is harder to guess"),
        ("x" * 129, "128 characters or fewer"),
    ],
)
def test_weak_new_password_is_rejected(client_as, session, new, message):
    user = make_user()
    response = change_password(client_as(user), factories.PASSWORD, new)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert message in response.text
    assert verify_password(db.session.get(User, user.id).password_hash, factories.PASSWORD)
    assert "user.password_changed" not in audit_verbs(user)


def test_password_equal_to_the_email_is_rejected(client_as, session):
    user = make_user(email="long.address@example.test")
    response = change_password(client_as(user), factories.PASSWORD, "Long.Address@example.test")
    assert "Choose a password that is harder to guess" in response.text


def test_changing_password_signs_out_other_sessions_but_not_this_one(app, client_as, session):
    user = make_user()
    other_browser = client_as(user)
    browser = client_as(user)
    browser.get("/")
    copied = session_cookie(browser)
    response = change_password(browser, factories.PASSWORD, "a brand new long passphrase")
    assert response.status_code == 302
    assert response.location == "/"
    page = browser.get("/")
    assert page.status_code == 200
    assert "Your password has been changed" in page.text
    assert other_browser.get("/").status_code == 302
    assert with_cookie(app, copied).get("/").status_code == 302
    assert audit_verbs(user)[-1] == "user.password_changed"
    stored = db.session.get(User, user.id).password_hash
    assert verify_password(stored, "a brand new long passphrase")
    assert not verify_password(stored, factories.PASSWORD)


# --- Every way of ending sessions: an old cookie stops working at once -------------


def _sign_out(app, user, browser):
    assert browser.post("/sign-out").status_code == 302


def _change_password(app, user, browser):
    assert change_password(browser, factories.PASSWORD, "a brand new long passphrase").status_code == 302


def _admin_post(path):
    def act(app, user, browser):
        admin = make_user(role=Role.ADMIN)
        version = db.session.get(User, user.id).version
        response = app.test_client(user=admin).post(f"/admin/users/{user.id}/{path}", data={"version": version})
        assert response.status_code == 302

    return act


def _enrol(user):
    stored = db.session.get(User, user.id)
    stored.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    stored.totp_enrolled_at = stored.created_at
    db.session.commit()


@pytest.mark.parametrize(
    "end_sessions",
    [
        _sign_out,
        _change_password,
        _admin_post("deactivate"),
        _admin_post("sign-out-everywhere"),
        _admin_post("reset-two-factor"),
    ],
    ids=["sign-out", "password-change", "deactivation", "sign-out-everywhere", "reset-two-factor"],
)
def test_an_old_cookie_stops_working_at_once(app, client, session, end_sessions):
    user = make_user()
    _enrol(user)  # so resetting the second factor has something to reset
    browser = app.test_client(user=db.session.get(User, user.id))
    assert browser.get("/").status_code == 200
    copied = session_cookie(browser)
    assert with_cookie(app, copied).get("/").status_code == 200
    end_sessions(app, user, browser)
    replayed = with_cookie(app, copied).get("/")
    assert replayed.status_code == 302
    assert replayed.location.startswith("/sign-in")


# --- Password hashes are upgraded -------------------------------------------------


def test_a_hash_with_old_parameters_is_rehashed_at_sign_in(client, session):
    from argon2 import PasswordHasher

    from casework.accounts.services.passwords import needs_rehash

    user = make_user()
    old_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(factories.PASSWORD)
    stored = db.session.get(User, user.id)
    stored.password_hash = old_hash
    db.session.commit()
    assert needs_rehash(old_hash)
    version = stored.version
    assert sign_in(client, user.email).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.password_hash != old_hash
    assert not needs_rehash(stored.password_hash)
    assert verify_password(stored.password_hash, factories.PASSWORD)
    assert stored.version == version  # bookkeeping, not an edit of the account


# --- Throttling: audited, and aimed at the attacker -------------------------------


def test_throttled_attempts_are_audited(client, session, limit_of_two):
    user = make_user()
    sign_in(client, user.email, "wrong guess number x")
    sign_in(client, user.email, "wrong guess number x")
    assert sign_in(client, user.email).status_code == 429
    assert sign_in(client, "nobody@example.test", "x" * 12).status_code == 400
    verbs = audit_verbs()
    assert verbs == ["auth.sign_in_failed", "auth.sign_in_failed", "auth.sign_in_throttled", "auth.sign_in_failed"]
    throttled = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "auth.sign_in_throttled"))
    assert throttled.object_id == user.id and throttled.actor_id is None


def test_an_attackers_failures_do_not_block_the_user_from_elsewhere(app, session, limit_of_two):
    user = make_user()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    for _attempt in range(3):
        sign_in(attacker, user.email, "wrong guess number x")
    assert sign_in(attacker, user.email).status_code == 429
    real_user = app.test_client()
    real_user.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert sign_in(real_user, user.email).status_code == 302
    assert real_user.get("/").status_code == 200
    assert audit_verbs(user)[-1] == "auth.signed_in"
    addresses = list(
        db.session.scalars(select(AuditEvent.ip).where(AuditEvent.object_id == user.id).order_by(AuditEvent.id))
    )
    assert addresses == ["203.0.113.66"] * 4 + ["198.51.100.7"]


# --- Timeouts come from the settings ----------------------------------------------


def _config_from_environment(monkeypatch, **env):
    """Config reads these variables when it is imported: look in a fresh interpreter."""
    import subprocess
    import sys

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    script = "import config; c = config.TestConfig(); print(c.SESSION_IDLE_TIMEOUT.total_seconds(), c.PERMANENT_SESSION_LIFETIME.total_seconds())"
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    idle, absolute = output.split()
    return float(idle), float(absolute)


def test_the_timeouts_are_read_from_the_environment(monkeypatch):
    assert _config_from_environment(monkeypatch, SESSION_IDLE_MINUTES="7", SESSION_ABSOLUTE_HOURS="3") == (
        7 * 60,
        3 * 3600,
    )


def test_the_idle_timeout_is_the_configured_one(app, client_as, session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", timedelta(minutes=7))
    browser = client_as(make_user())
    with browser.session_transaction() as browser_session:
        browser_session["last_seen"] = timestamp() - 6 * 60
    assert browser.get("/").status_code == 200
    with browser.session_transaction() as browser_session:
        browser_session["last_seen"] = timestamp() - 8 * 60
    response = browser.get("/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_the_absolute_lifetime_is_the_configured_one(app, client_as, session, monkeypatch):
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(hours=3))
    browser = client_as(make_user())
    with browser.session_transaction() as browser_session:
        browser_session["signed_in_at"] = timestamp() - 2.9 * 3600
    assert browser.get("/").status_code == 200  # busy all along: last_seen is fresh
    with browser.session_transaction() as browser_session:
        browser_session["signed_in_at"] = timestamp() - 3.1 * 3600
    response = browser.get("/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


# --- The production session cookie ------------------------------------------------


def test_production_sign_in_sets_a_host_only_secure_cookie_and_no_remember_me(database_url, session, monkeypatch):
    from casework import create_app

    monkeypatch.setenv("CASEWORK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("REQUIRE_MFA_FOR_ALL", raising=False)
    user = make_user()
    user.mfa_exempt = True  # the cookie after the password step is checked below as well
    db.session.commit()
    bound = db.session.session_factory.kw.get("bind")
    production = create_app()  # from CASEWORK_ENV, as the server starts it
    # create_app pointed the shared session at a new engine: back to this test's transaction.
    production.extensions["casework.engine"].dispose()
    db.session.remove()
    db.session.configure(bind=bound)
    assert production.config["SESSION_COOKIE_NAME"] == "__Host-session"

    browser = production.test_client()
    https = {"base_url": "https://casework.example"}
    form = browser.get("/sign-in", **https)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        "/sign-in",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
        headers={"Referer": "https://casework.example/sign-in"},
        **https,
    )
    assert response.status_code == 302, response.text[:500]
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1  # the session, and no remember-me cookie
    name, *attributes = [part.strip() for part in cookies[0].split(";")]
    assert name.startswith("__Host-session=")
    keys = {attribute.split("=")[0].lower() for attribute in attributes}
    assert {"secure", "httponly", "path"} <= keys
    assert "Path=/" in attributes
    assert "SameSite=Lax" in attributes
    assert "domain" not in keys
    assert browser.get("/", **https).status_code == 200
    assert not any("remember" in cookie.lower() for cookie in browser.get("/", **https).headers.getlist("Set-Cookie"))
