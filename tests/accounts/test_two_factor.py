"""The second factor at sign-in: setting up an authenticator app, codes, recovery codes,
throttling, and who is asked for it."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import RecoveryCode, User
from casework.audit.models import AuditEvent
from casework.audit.services import VERB_LABELS
from casework.clock import utcnow
from casework.permissions import Role
from casework.policy import needs_second_factor
from tests import factories
from tests.factories import make_user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
WRONG_CODE = "Enter the security code your authenticator app shows now, or an unused recovery code"
THROTTLED = "Too many wrong security codes. Wait 5 minutes and try again."


def sign_in(client, email, password=factories.PASSWORD, *, next=None):
    url = "/sign-in" if next is None else f"/sign-in?next={next}"
    return client.post(url, data={"email": email, "password": password})


def code_at(secret, offset_steps=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrolled_user(*, role=Role.ADMIN, secret=SECRET, **kwargs):
    user = make_user(role=role, **kwargs)
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    db.session.commit()
    return user


def audit_verbs(user):
    query = select(AuditEvent.verb).where((AuditEvent.actor_id == user.id) | (AuditEvent.object_id == user.id))
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def secret_on_page(html):
    return re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")


def codes_on_page(html):
    match = re.search(r'<ul[^>]*id="recovery-codes"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<code>([a-z0-9-]+)</code>", match.group(1)) if match else []


def signed_in(client):
    return client.get("/").status_code == 200


def fresh_user(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- Who is asked -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "exempt", "enrolled", "require_for_all", "expected"),
    [
        (Role.ADMIN, False, False, False, True),
        (Role.MANAGER, False, False, False, True),
        (Role.PSG_MEMBER, False, False, False, False),
        (Role.PARTNER, False, False, False, False),
        (Role.PSG_MEMBER, False, False, True, True),
        (Role.ANALYST, False, False, True, True),
        (Role.PSG_MEMBER, False, True, False, True),  # once set up, always used
        (Role.ADMIN, True, False, False, False),
        (Role.ADMIN, True, True, True, False),
    ],
)
def test_who_needs_a_second_factor(role, exempt, enrolled, require_for_all, expected):
    user = User(role=role, mfa_exempt=exempt, totp_enrolled_at=utcnow() if enrolled else None)
    assert needs_second_factor(user, require_for_all) is expected


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_must_set_up_an_authenticator(client, session, role):
    user = make_user(role=role)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.location == "/sign-in/two-factor/setup"
    assert not signed_in(client)  # a password alone is not enough
    assert audit_verbs(user) == ["auth.password_accepted"]


def test_other_roles_sign_in_with_a_password_alone_by_default(client, session):
    user = make_user(role=Role.PSG_MEMBER)
    assert sign_in(client, user.email).location == "/"
    assert signed_in(client)


def test_every_role_needs_it_when_the_setting_is_on(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_MFA_FOR_ALL", True)
    user = make_user(role=Role.PARTNER)
    assert sign_in(client, user.email).location == "/sign-in/two-factor/setup"
    assert not signed_in(client)


def test_exempt_demo_accounts_are_never_asked(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_MFA_FOR_ALL", True)
    user = make_user(role=Role.ADMIN)
    user.mfa_exempt = True
    db.session.commit()
    assert sign_in(client, user.email).location == "/"
    assert signed_in(client)


def test_the_production_default_asks_everyone(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    import config

    assert config.ProductionConfig.REQUIRE_MFA_FOR_ALL is True
    assert config.TestConfig.REQUIRE_MFA_FOR_ALL is False


# --- Setting up -------------------------------------------------------------------


def test_setting_up_an_authenticator_then_seeing_recovery_codes_once(client, session):
    user = make_user(role=Role.ADMIN)
    sign_in(client, user.email, next="/cases")
    page = client.get("/sign-in/two-factor/setup")
    assert page.status_code == 200
    assert "Set up your authenticator app" in page.text
    # The QR code is drawn here, as an image inside the page: no outside service sees the secret.
    assert re.search(
        r'<img src="data:image/svg\+xml;charset=utf-8,%3Csvg[^"]+" alt="QR code to scan with your authenticator app">',
        page.text,
    )
    secret = secret_on_page(page.text)
    assert len(secret) == 32
    assert secret_on_page(client.get("/sign-in/two-factor/setup").text) == secret  # stable while setting up
    assert fresh_user(user).totp_secret is None  # showing the page stored nothing

    # The codes are shown in the answer to the code, not kept for a page after it.
    shown = client.post("/sign-in/two-factor/setup", data={"code": code_at(secret)})
    assert shown.status_code == 200
    codes = codes_on_page(shown.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "This is the only time you will see these codes" in shown.text
    assert 'href="/cases"' in shown.text  # then on to where the user was going
    assert codes_on_page(client.get("/account/recovery-codes").text) == []  # once only
    assert signed_in(client)

    stored = fresh_user(user)
    assert stored.totp_secret == secret and stored.totp_enrolled_at is not None
    hashes = list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10
    assert not any(code in hashes or code.replace("-", "") in hashes for code in codes)  # only hashes kept
    assert audit_verbs(user) == ["auth.password_accepted", "auth.two_factor_enrolled", "auth.signed_in"]


def test_a_wrong_code_at_setup_keeps_the_same_secret_and_stores_nothing(client, session):
    user = make_user(role=Role.MANAGER)
    sign_in(client, user.email)
    secret = secret_on_page(client.get("/sign-in/two-factor/setup").text)
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"
    response = client.post("/sign-in/two-factor/setup", data={"code": wrong})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert WRONG_CODE in response.text
    assert secret_on_page(response.text) == secret
    assert fresh_user(user).totp_enrolled_at is None
    assert not signed_in(client)
    assert audit_verbs(user)[-1] == "auth.two_factor_failed"


@pytest.mark.parametrize("code", ["", "abc", "12345", "1234567"])
def test_malformed_codes_get_a_clear_message(client, session, code):
    user = make_user(role=Role.ADMIN)
    sign_in(client, user.email)
    response = client.post("/sign-in/two-factor/setup", data={"code": code})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert not signed_in(client)


def test_an_enrolled_user_is_not_offered_setup_again(client, session):
    user = enrolled_user()
    assert sign_in(client, user.email).location == "/sign-in/two-factor"
    assert client.get("/sign-in/two-factor/setup").location == "/sign-in/two-factor"


# --- Signing in with a code -------------------------------------------------------


def test_signing_in_with_the_code_from_the_app(client, session):
    user = enrolled_user()
    assert sign_in(client, user.email, next="/cases").location == "/sign-in/two-factor"
    page = client.get("/sign-in/two-factor")
    assert page.status_code == 200
    assert "Enter your security code" in page.text
    response = client.post("/sign-in/two-factor", data={"code": code_at(SECRET)})
    assert response.status_code == 302
    assert response.location == "/cases"
    assert signed_in(client)
    assert audit_verbs(user) == ["auth.password_accepted", "auth.signed_in"]
    assert fresh_user(user).last_signed_in_at is not None


def test_signing_in_starts_a_new_session_without_the_pending_state(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    client.post("/sign-in/two-factor", data={"code": code_at(SECRET)})
    with client.session_transaction() as browser_session:
        assert browser_session["_user_id"] == fresh_user(user).session_token
        assert not any(key.startswith("pending") for key in browser_session)


def test_a_wrong_code_is_refused_and_audited(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    response = client.post("/sign-in/two-factor", data={"code": f"{(int(code_at(SECRET)) + 1) % 1_000_000:06d}"})
    assert response.status_code == 400
    assert WRONG_CODE in response.text
    assert not signed_in(client)
    assert audit_verbs(user)[-1] == "auth.two_factor_failed"


@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (1, True), (-3, False), (3, False)])
def test_one_step_of_clock_drift_is_allowed(client, session, offset, accepted):
    user = enrolled_user()
    sign_in(client, user.email)
    client.post("/sign-in/two-factor", data={"code": code_at(SECRET, offset)})
    assert signed_in(client) is accepted


def test_a_code_cannot_be_used_twice(app, client, session):
    user = enrolled_user()
    code = code_at(SECRET)
    sign_in(client, user.email)
    assert client.post("/sign-in/two-factor", data={"code": code}).status_code == 302
    other = app.test_client()  # someone who saw the code over the user's shoulder
    sign_in(other, user.email)
    response = other.post("/sign-in/two-factor", data={"code": code})
    assert response.status_code == 400
    assert WRONG_CODE in response.text
    assert not signed_in(other)


def test_an_earlier_code_is_refused_after_a_later_one(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    client.post("/sign-in/two-factor", data={"code": code_at(SECRET, 1)})
    client.post("/sign-out")
    sign_in(client, user.email)
    client.post("/sign-in/two-factor", data={"code": code_at(SECRET, 0)})
    assert not signed_in(client)


def test_the_second_factor_pages_need_the_password_first(client, session):
    for url in ("/sign-in/two-factor", "/sign-in/two-factor/setup"):
        assert client.get(url).location == "/sign-in"
        assert client.post(url, data={"code": "123456"}).location == "/sign-in"
    assert not signed_in(client)


def test_nothing_else_opens_half_way_through(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    for url in ("/", "/admin/users", "/account/recovery-codes", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/sign-in"), url


def test_the_half_way_state_expires_after_five_minutes(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    with client.session_transaction() as browser_session:
        browser_session["pending_since"] = time.time() - 5 * 60 - 5
    response = client.post("/sign-in/two-factor", data={"code": code_at(SECRET)})
    assert response.location == "/sign-in"
    assert "You took too long to enter the security code" in client.get("/sign-in").text
    assert not signed_in(client)


def test_the_half_way_state_ends_when_the_account_is_signed_out_everywhere(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    stored = fresh_user(user)
    stored.rotate_session_token()
    db.session.commit()
    assert client.post("/sign-in/two-factor", data={"code": code_at(SECRET)}).location == "/sign-in"
    assert not signed_in(client)


def test_a_user_deactivated_half_way_cannot_finish(client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    stored = fresh_user(user)
    stored.active = False
    db.session.commit()
    assert client.post("/sign-in/two-factor", data={"code": code_at(SECRET)}).location == "/sign-in"
    assert not signed_in(client)


# --- Throttling -------------------------------------------------------------------


def test_wrong_codes_are_throttled_per_account_and_audited(app, client, session):
    user = enrolled_user()
    sign_in(client, user.email)
    wrong = f"{(int(code_at(SECRET)) + 500_000) % 1_000_000:06d}"
    for _attempt in range(5):
        assert client.post("/sign-in/two-factor", data={"code": wrong}).status_code == 400
    response = client.post("/sign-in/two-factor", data={"code": code_at(SECRET)})  # even the right code
    assert response.status_code == 429
    assert THROTTLED in response.text
    assert "There is a problem" in response.text
    assert not signed_in(client)
    # Signing in again, or from another browser, does not start a new count.
    other = app.test_client()
    sign_in(other, user.email)
    assert other.post("/sign-in/two-factor", data={"code": code_at(SECRET)}).status_code == 429
    verbs = audit_verbs(user)
    assert verbs.count("auth.two_factor_failed") == 5
    assert verbs.count("auth.two_factor_throttled") == 2
    assert "auth.signed_in" not in verbs


def test_right_codes_do_not_count_towards_the_limit(client, session):
    user = enrolled_user()
    for offset in range(-1, 2):
        sign_in(client, user.email)
        assert client.post("/sign-in/two-factor", data={"code": code_at(SECRET, offset)}).status_code == 302
        client.post("/sign-out")


def test_another_accounts_wrong_codes_do_not_throttle_mine(app, client, session):
    mine, theirs = enrolled_user(), enrolled_user(secret=pyotp.random_base32())
    attacker = app.test_client()
    sign_in(attacker, theirs.email)
    for _attempt in range(6):
        attacker.post("/sign-in/two-factor", data={"code": "000000"})
    sign_in(client, mine.email)
    assert client.post("/sign-in/two-factor", data={"code": code_at(SECRET)}).status_code == 302


# --- Recovery codes ---------------------------------------------------------------


def set_up_through_the_pages(client, user):
    sign_in(client, user.email)
    secret = secret_on_page(client.get("/sign-in/two-factor/setup").text)
    shown = client.post("/sign-in/two-factor/setup", data={"code": code_at(secret)})
    return secret, codes_on_page(shown.text)


def test_a_recovery_code_signs_in_once(client, session):
    user = make_user(role=Role.ADMIN)
    _secret, codes = set_up_through_the_pages(client, user)
    client.post("/sign-out")

    sign_in(client, user.email)
    typed = f"  {codes[3].upper().replace('-', ' ')} "  # as someone might type it off paper
    response = client.post("/sign-in/two-factor", data={"code": typed})
    assert response.status_code == 302
    assert "You used a recovery code. You have 9 left" in client.get("/").text
    assert audit_verbs(user)[-2:] == ["auth.recovery_code_used", "auth.signed_in"]
    client.post("/sign-out")

    sign_in(client, user.email)
    response = client.post("/sign-in/two-factor", data={"code": codes[3]})
    assert response.status_code == 400
    assert WRONG_CODE in response.text
    assert not signed_in(client)


def test_recovery_codes_of_another_user_do_not_work(client, session):
    user = make_user(role=Role.ADMIN)
    _secret, codes = set_up_through_the_pages(client, user)
    client.post("/sign-out")
    other = enrolled_user()
    sign_in(client, other.email)
    assert client.post("/sign-in/two-factor", data={"code": codes[0]}).status_code == 400
    assert not signed_in(client)


def test_making_new_recovery_codes_needs_the_password_and_ends_the_old_ones(client, session):
    user = make_user(role=Role.ADMIN)
    _secret, old_codes = set_up_through_the_pages(client, user)
    page = client.get("/account/recovery-codes")
    assert "You have 10 unused codes" in page.text

    refused = client.post("/account/recovery-codes", data={"password": "not my password at all"})
    assert refused.status_code == 400
    assert "Your password is not correct" in refused.text
    assert codes_on_page(refused.text) == []

    response = client.post("/account/recovery-codes", data={"password": factories.PASSWORD})
    assert response.status_code == 200
    new_codes = codes_on_page(response.text)
    assert codes_on_page(client.get("/account/recovery-codes").text) == []  # once only
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert (
        db.session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 10
    )
    assert audit_verbs(user)[-1] == "auth.recovery_codes_regenerated"
    client.post("/sign-out")

    sign_in(client, user.email)
    assert client.post("/sign-in/two-factor", data={"code": old_codes[0]}).status_code == 400
    assert client.post("/sign-in/two-factor", data={"code": new_codes[0]}).status_code == 302


def test_a_user_without_an_authenticator_has_no_codes_to_make(client_as, session):
    browser = client_as(make_user(role=Role.PSG_MEMBER))
    page = browser.get("/account/recovery-codes")
    assert page.status_code == 200
    assert "You have not set up an authenticator app" in page.text
    response = browser.post("/account/recovery-codes", data={"password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Set up an authenticator app first" in response.text
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_change_password_page_links_to_recovery_codes(client_as, session):
    page = client_as(make_user()).get("/account/password")
    assert 'href="/account/recovery-codes"' in page.text


def test_every_new_verb_has_a_label():
    for verb in (
        "auth.password_accepted",
        "auth.sign_in_throttled",
        "auth.two_factor_failed",
        "auth.two_factor_throttled",
        "auth.two_factor_enrolled",
        "auth.recovery_code_used",
        "auth.recovery_codes_regenerated",
        "user.signed_out_everywhere",
        "user.two_factor_reset",
    ):
        assert verb in VERB_LABELS, verb


def test_the_pending_lifetime_is_short():
    from casework.accounts.views import PENDING_SECONDS

    assert timedelta(seconds=PENDING_SECONDS) <= timedelta(minutes=5)
