"""Sessions kept on the server: the cookie carries a random id, an old cookie brings
nothing back, the id changes at every step of signing in, and ending a session deletes
it."""

import base64
import re
import time
from datetime import timedelta

import pyotp
import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from sqlalchemy import event, func, insert, select

from casework import db
from casework.accounts.models import BrowserSession, User
from casework.accounts.services.sessions import id_hash
from casework.clock import utcnow
from casework.permissions import Role
from tests import factories
from tests.factories import make_user

pytestmark = pytest.mark.both_databases

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SEARCHED_FOR = "Ashdown Crescent"


def sign_in(client, email, password=factories.PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def cookie(client):
    found = client.get_cookie("session")
    return found.value if found else None


def browser_with(app, value):
    """Another browser, holding a copy of a cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def stored(value):
    return db.session.scalar(select(BrowserSession).where(BrowserSession.id_hash == id_hash(value)))


def rows_of(user):
    return db.session.scalar(select(func.count()).select_from(BrowserSession).where(BrowserSession.user_id == user.id))


def secret_on_page(html):
    return re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")


def codes_on_page(html):
    match = re.search(r'<ul[^>]*id="recovery-codes"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<code>([a-z0-9-]+)</code>", match.group(1)) if match else []


def code_now(secret):
    return pyotp.TOTP(secret).at(time.time())


def enrolled(user):
    user.totp_secret = SECRET
    user.totp_enrolled_at = utcnow()
    db.session.commit()
    return user


def assert_only_an_id(app, value, *secrets):
    """The cookie is 32 random bytes, and nothing Flask's cookie session could read."""
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), value
    assert len(base64.urlsafe_b64decode(value + "=")) == 32
    with pytest.raises(BadSignature):
        SecureCookieSessionInterface().get_signing_serializer(app).loads(value)
    for secret in secrets:
        assert secret.lower() not in value.lower()


# --- What the cookie holds ----------------------------------------------------------


def test_the_cookie_holds_no_secret_no_code_and_no_search(app, client):
    user = make_user(role=Role.ADMIN)
    sign_in(client, user.email)
    secret = secret_on_page(client.get("/sign-in/two-factor/setup").text)
    assert_only_an_id(app, cookie(client), secret)

    codes = codes_on_page(client.post("/sign-in/two-factor/setup", data={"code": code_now(secret)}).text)
    assert len(codes) == 10
    assert_only_an_id(app, cookie(client), secret, *codes, *(code.replace("-", "") for code in codes))

    client.post("/cases/search", data={"text": SEARCHED_FOR})
    assert_only_an_id(app, cookie(client), SEARCHED_FOR, SEARCHED_FOR.replace(" ", "+"))
    # The server has them, the browser does not.
    assert SEARCHED_FOR in stored(cookie(client)).data


# --- "Shown once" means once --------------------------------------------------------


def in_any_session(*secrets):
    """Whether any session row on the server holds one of these, in any spelling."""
    every_row = " ".join(db.session.scalars(select(BrowserSession.data))).lower()
    return [secret for secret in secrets if secret.lower() in every_row or secret.replace("-", "") in every_row]


def test_recovery_codes_are_shown_in_the_answer_and_never_kept_in_a_session(app, client):
    user = make_user(role=Role.ADMIN)
    sign_in(client, user.email)
    secret = secret_on_page(client.get("/sign-in/two-factor/setup").text)
    before_they_were_shown = cookie(client)

    shown = client.post("/sign-in/two-factor/setup", data={"code": code_now(secret)})
    codes = codes_on_page(shown.text)
    assert shown.status_code == 200 and len(codes) == 10
    assert shown.headers["Cache-Control"] == "no-store"
    assert in_any_session(*codes) == []  # not even between the form and a page after it

    assert codes_on_page(client.get("/account/recovery-codes").text) == []
    replayed = browser_with(app, before_they_were_shown).get("/account/recovery-codes")
    assert codes_on_page(replayed.text) == []
    assert codes_on_page(client.get("/account/recovery-codes").text) == []


def test_a_new_set_of_codes_is_never_kept_in_a_session(app, client_as):
    user = enrolled(make_user(role=Role.ADMIN))
    browser = client_as(user)
    copied = cookie(browser)
    shown = browser.post("/account/recovery-codes", data={"password": factories.PASSWORD})
    codes = codes_on_page(shown.text)
    assert shown.status_code == 200 and len(codes) == 10
    assert in_any_session(*codes) == []
    assert codes_on_page(browser.get("/account/recovery-codes").text) == []
    assert codes_on_page(browser_with(app, copied).get("/account/recovery-codes").text) == []


# --- A new id at every step; nothing chosen by the browser is adopted ---------------------


def test_the_id_changes_at_the_password_and_at_the_code(app, client):
    user = enrolled(make_user(role=Role.ADMIN))
    with client.session_transaction() as browser_session:
        browser_session["before_sign_in"] = "kept until then"  # as a form's CSRF token would be
    before = cookie(client)
    assert stored(before) is not None

    assert sign_in(client, user.email).location == "/sign-in/two-factor"
    after_password = cookie(client)
    assert after_password != before
    assert stored(before) is None
    assert stored(after_password).user_id is None  # nobody is signed in yet

    assert client.post("/sign-in/two-factor", data={"code": code_now(SECRET)}).status_code == 302
    after_code = cookie(client)
    assert after_code not in (before, after_password)
    assert stored(after_password) is None
    assert stored(after_code).user_id == user.id
    assert browser_with(app, after_password).get("/").status_code == 302


def test_an_id_planted_in_the_browser_is_never_adopted(client):
    user = make_user()
    planted = "a" * 43
    client.set_cookie("session", planted)
    client.get("/sign-in")
    assert cookie(client) != planted
    sign_in(client, user.email)
    assert cookie(client) != planted
    assert stored(planted) is None


def test_a_cookie_of_the_old_kind_is_a_new_session(client):
    client.set_cookie("session", "eyJfZnJlc2giOmZhbHNlfQ.Z1.not-an-id!")  # Flask's signed cookie
    assert client.get("/").status_code == 302
    sign_in(client, make_user().email)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie(client))
    assert client.get("/").status_code == 200


# --- Ending sessions deletes them ---------------------------------------------------


def test_a_cookie_copied_before_sign_out_is_worthless_after_it(app, client):
    user = make_user()
    sign_in(client, user.email)
    copied = cookie(client)
    assert browser_with(app, copied).get("/").status_code == 200

    client.post("/sign-out")
    assert stored(copied) is None
    replayed = browser_with(app, copied).get("/")
    assert replayed.status_code == 302
    assert replayed.location.startswith("/sign-in")
    assert rows_of(user) == 0


def _admin_post(path):
    def act(app, user):
        admin = make_user(role=Role.ADMIN)
        version = db.session.get(User, user.id).version
        response = app.test_client(user=admin).post(f"/admin/users/{user.id}/{path}", data={"version": version})
        assert response.status_code == 302

    return act


@pytest.mark.parametrize(
    "end_sessions",
    [_admin_post("sign-out-everywhere"), _admin_post("deactivate"), _admin_post("reset-two-factor")],
    ids=["sign-out-everywhere", "deactivation", "reset-two-factor"],
)
def test_ending_a_users_sessions_deletes_every_one_of_them(app, session, end_sessions):
    user = enrolled(make_user())
    laptop, desktop = app.test_client(), app.test_client()
    for browser in (laptop, desktop):
        sign_in(browser, user.email)
        assert browser.post("/sign-in/two-factor", data={"code": code_now(SECRET)}).status_code == 302
        # A code is good once: let the second browser use the same one.
        db.session.get(User, user.id).totp_last_step = None
        db.session.commit()
    assert rows_of(user) == 2
    other = make_user()
    bystander = app.test_client()
    sign_in(bystander, other.email)

    end_sessions(app, user)
    assert rows_of(user) == 0
    assert laptop.get("/").status_code == 302 and desktop.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


# --- Expired sessions ---------------------------------------------------------------


def test_an_expired_session_is_not_used_and_is_removed_at_the_next_sign_in(app, client):
    user = make_user()
    sign_in(client, user.email)
    value = cookie(client)
    db.session.execute(
        BrowserSession.__table__.update()
        .where(BrowserSession.id_hash == id_hash(value))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.execute(
        insert(BrowserSession).values(
            id_hash=id_hash("long-gone"), data="{}", created_at=utcnow(), expires_at=utcnow() - timedelta(days=3)
        )
    )
    db.session.commit()
    assert client.get("/").status_code == 302

    sign_in(app.test_client(), make_user().email)
    assert stored(value) is None and stored("long-gone") is None


def test_a_session_lives_as_long_as_the_absolute_lifetime_from_its_last_write(app, client):
    user = make_user()
    sign_in(client, user.email)
    row = stored(cookie(client))
    assert row.expires_at - utcnow() == pytest.approx(app.permanent_session_lifetime, abs=timedelta(seconds=5))


# --- Written with the request's commit --------------------------------------------------


def commits_during(request):
    count = 0

    def counted(session):
        nonlocal count
        count += not session.in_nested_transaction()  # a form's savepoint is not a commit

    event.listen(db.session, "after_commit", counted)
    try:
        response = request()
    finally:
        event.remove(db.session, "after_commit", counted)
    return response, count


def test_a_sign_in_and_its_new_session_are_one_commit(client):
    user = make_user()
    client.get("/sign-in")
    response, commits = commits_during(lambda: sign_in(client, user.email))
    assert response.status_code == 302
    assert commits == 1
    assert stored(cookie(client)).user_id == user.id


def test_a_saved_form_and_its_confirmation_are_one_commit(client_as):
    browser = client_as(make_user())
    response, commits = commits_during(
        lambda: browser.post(
            "/account/password",
            data={"current_password": factories.PASSWORD, "password": "a brand new long passphrase"},
        )
    )
    assert response.status_code == 302
    assert commits == 1
    assert "Your password has been changed" in browser.get("/").text


def test_pages_within_a_minute_do_not_write_the_session(app, client_as):
    browser = client_as(make_user())
    browser.get("/")
    writes = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "browser_sessions" in statement:
            writes.append(statement)

    engine = app.extensions["casework.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            assert browser.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert writes == []


def test_a_request_that_fails_keeps_no_session_it_had_begun(client, monkeypatch):
    from casework.accounts import views

    def fails_after(user):
        real_start_session(user)
        raise RuntimeError("failure after the session was started")

    real_start_session = views.start_session
    monkeypatch.setattr(views, "start_session", fails_after)
    user = make_user()
    response = sign_in(client, user.email)
    assert response.status_code == 500
    assert rows_of(user) == 0
    monkeypatch.undo()
    assert client.get("/").status_code == 302
