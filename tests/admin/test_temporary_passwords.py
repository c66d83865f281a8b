"""An administrator sets a temporary password for a user who has forgotten theirs: shown
once, never in a cookie or the audit, every session of the user ended, and a new
password chosen at the next sign-in before anything else."""

import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import BrowserSession, User
from casework.accounts.services.passwords import check_password_rules, verify_password
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.permissions import Role
from tests import factories
from tests.factories import make_agency, make_case, make_user

NOT_ADMINS = [role for role in Role if role is not Role.ADMIN]
TYPED = "a long temporary passphrase"
NEW = "my very own new passphrase"
GENERATED = re.compile(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}")


@pytest.fixture
def home(session):
    return make_agency()


@pytest.fixture
def admin(home):
    return make_user(role=Role.ADMIN, agency=home)


@pytest.fixture
def as_admin(client_as, admin):
    return client_as(admin)


@pytest.fixture
def forgetful(home):
    return make_user(agency=home, name="Frances Forgetful")


def set_temporary(browser, user, password="", version=None):
    stored = db.session.get(User, user.id)
    data = {"temporary-version": stored.version if version is None else version, "temporary-password": password}
    return browser.post(f"/admin/users/{user.id}/temporary-password", data=data)


def shown_password(html):
    match = re.search(r'<code id="temporary-password">([^<]+)</code>', html)
    return match.group(1) if match else None


def sign_in(client, email, password):
    return client.post("/sign-in", data={"email": email, "password": password})


def fresh(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(verb):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb)))


# --- Setting it ---------------------------------------------------------------------------


def test_the_user_page_offers_it_for_others_but_not_oneself(as_admin, admin, forgetful):
    page = as_admin.get(f"/admin/users/{forgetful.id}").text
    assert "Set a temporary password" in page
    assert f'action="/admin/users/{forgetful.id}/temporary-password"' in page
    assert 'name="temporary-password"' in page
    assert "Set a temporary password" not in as_admin.get(f"/admin/users/{admin.id}").text


def test_a_generated_password_is_shown_once_and_works(as_admin, client, forgetful):
    response = set_temporary(as_admin, forgetful)
    assert response.status_code == 200  # shown in the answer to the form
    password = shown_password(response.text)
    assert GENERATED.fullmatch(password)
    check_password_rules(password, email=forgetful.email)
    again = as_admin.get(f"/admin/users/{forgetful.id}/temporary-password")
    assert again.status_code == 200 and shown_password(again.text) is None  # once
    assert not verify_password(fresh(forgetful).password_hash, factories.PASSWORD)
    assert sign_in(client, forgetful.email, password).status_code == 302


def test_each_generated_password_is_new(as_admin, forgetful):
    first = shown_password(set_temporary(as_admin, forgetful).text)
    second = shown_password(set_temporary(as_admin, forgetful).text)
    assert first != second


def test_a_typed_password_is_used_if_it_meets_the_rules(as_admin, client, forgetful):
    assert shown_password(set_temporary(as_admin, forgetful, TYPED).text) == TYPED
    assert sign_in(client, forgetful.email, TYPED).status_code == 302


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("short one", "Password must be 12 characters or more"),
        ("passwordpassword", "Choose a password that is harder to guess"),
    ],
)
def test_a_weak_typed_password_is_refused_on_its_field(as_admin, forgetful, typed, message):
    before = fresh(forgetful).password_hash
    response = set_temporary(as_admin, forgetful, typed)
    assert response.status_code == 400
    assert message in response.text
    assert 'href="#temporary-password"' in response.text
    assert fresh(forgetful).password_hash == before and not fresh(forgetful).must_change_password
    assert events("user.password_reset") == []


def test_a_stale_page_gets_the_conflict_page(as_admin, forgetful):
    old_version = fresh(forgetful).version
    set_temporary(as_admin, forgetful)
    response = set_temporary(as_admin, forgetful, version=old_version)
    assert response.status_code == 409
    assert len(events("user.password_reset")) == 1


def test_an_administrator_cannot_set_their_own(as_admin, admin):
    response = set_temporary(as_admin, admin)
    assert response.status_code == 400
    assert "You cannot set a temporary password for yourself" in response.text
    assert not fresh(admin).must_change_password


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_administrators_may(client_as, home, forgetful, role):
    browser = client_as(make_user(role=role, agency=home))
    assert browser.get(f"/admin/users/{forgetful.id}/temporary-password").status_code == 404
    assert set_temporary(browser, forgetful).status_code == 404
    assert verify_password(fresh(forgetful).password_hash, factories.PASSWORD)


# --- Never in a cookie, never in the audit ----------------------------------------------------


def test_the_password_is_in_no_cookie_and_never_in_a_session(as_admin, forgetful):
    response = set_temporary(as_admin, forgetful)
    assert response.headers["Cache-Control"] == "no-store"
    cookie = as_admin.get_cookie("session").value
    password = shown_password(response.text)
    assert password not in cookie and password.replace("-", "") not in cookie
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", as_admin.get_cookie("session").value)
    # Not even between the form and the page that shows it: it is shown in the answer.
    every_row = " ".join(db.session.scalars(select(BrowserSession.data)))
    assert password not in every_row and password.replace("-", "") not in every_row


def test_it_is_audited_without_the_password(as_admin, admin, forgetful):
    set_temporary(as_admin, forgetful, TYPED)
    [event] = events("user.password_reset")
    assert (event.actor_id, event.object_id) == (admin.id, forgetful.id)
    assert event.detail == {"made": "typed"}
    every_detail = " ".join(repr(detail) for detail in db.session.scalars(select(AuditEvent.detail)))
    assert TYPED not in every_detail
    assert "Set a temporary password" in as_admin.get("/admin/audit").text


def test_every_session_of_the_user_ends(app, as_admin, forgetful):
    laptop = app.test_client()
    sign_in(laptop, forgetful.email, factories.PASSWORD)
    assert laptop.get("/").status_code == 200
    set_temporary(as_admin, forgetful)
    assert laptop.get("/").status_code == 302
    rows = db.session.scalar(
        select(func.count()).select_from(BrowserSession).where(BrowserSession.user_id == forgetful.id)
    )
    assert rows == 0


# --- The next sign-in -------------------------------------------------------------------------


def test_the_user_must_choose_a_new_password_before_anything_else(as_admin, client, home, forgetful):
    case = make_case(lead_agency=home, opened_by=forgetful)
    set_temporary(as_admin, forgetful, TYPED)
    assert sign_in(client, forgetful.email, TYPED).status_code == 302
    for path in ("/", "/cases", f"/cases/{case.reference}", "/actions"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/account/password", path
    refused = client.post(f"/cases/{case.reference}/notes", data={"kind": "note", "body": "Before a new password"})
    assert refused.location == "/account/password"
    page = client.get("/account/password")
    assert page.status_code == 200 and "Choose a new password" in page.text

    same = client.post("/account/password", data={"current_password": TYPED, "password": TYPED})
    assert same.status_code == 400 and "Choose a password different from your current one" in same.text
    changed = client.post("/account/password", data={"current_password": TYPED, "password": NEW})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get(f"/cases/{case.reference}").status_code == 200
    assert not fresh(forgetful).must_change_password
    assert [event.verb for event in db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))] == [
        "case.viewed"
    ]


def test_signing_out_is_allowed_before_a_new_password(as_admin, client, forgetful):
    set_temporary(as_admin, forgetful, TYPED)
    sign_in(client, forgetful.email, TYPED)
    assert client.post("/sign-out").location == "/sign-in"
    assert client.get("/").location.startswith("/sign-in")


def test_a_user_setting_up_a_second_factor_sees_their_recovery_codes_first(home, client_as, client):
    admin = make_user(role=Role.ADMIN, agency=home)
    manager = make_user(role=Role.MANAGER, agency=home)  # always asked for a second factor
    set_temporary(client_as(admin), manager, TYPED)
    assert sign_in(client, manager.email, TYPED).location == "/sign-in/two-factor/setup"
    page = client.get("/sign-in/two-factor/setup").text
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    codes = client.post("/sign-in/two-factor/setup", data={"code": pyotp.TOTP(secret).at(time.time())})
    assert codes.status_code == 200 and 'id="recovery-codes"' in codes.text
    assert 'href="/"' in codes.text  # on from there: the new password first
    assert client.get("/").location == "/account/password"
    assert client.get("/account/recovery-codes").location == "/account/password"
    assert fresh(manager).totp_enrolled_at is not None and fresh(manager).totp_enrolled_at <= utcnow()
