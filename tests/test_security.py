"""Response headers, cookies, CSRF and error pages: the browser-facing security baseline."""

import re

import pytest
from sqlalchemy import func, select

from casework import db
from casework.agencies.models import Agency
from casework.permissions import Role
from tests import factories
from tests.factories import make_user
from tests.support.security import assert_script_nonces_match, assert_security_headers


@pytest.fixture
def signed_in(client_as, session):
    return client_as(make_user(role=Role.ADMIN))


# --- Headers ------------------------------------------------------------------------


def test_pages_carry_the_security_headers(signed_in):
    response = signed_in.get("/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert_script_nonces_match(response)


def test_sign_in_page_carries_them_too(client):
    response = client.get("/sign-in")
    assert_security_headers(response)
    assert_script_nonces_match(response)


def test_the_nonce_is_new_for_every_response(signed_in):
    assert assert_script_nonces_match(signed_in.get("/")) != assert_script_nonces_match(signed_in.get("/"))


@pytest.mark.parametrize(("url", "status"), [("/no-such-page", 404), ("/admin/users/999999", 404), ("/sign-out", 405)])
def test_error_pages_carry_the_security_headers(signed_in, url, status):
    response = signed_in.get(url)
    assert response.status_code == status
    assert_security_headers(response)
    assert_script_nonces_match(response)


def test_forbidden_page_carries_the_security_headers(client_as, session):
    response = client_as(make_user(role=Role.PSG_MEMBER)).get("/admin/users")
    assert response.status_code == 403
    assert_security_headers(response)
    assert_script_nonces_match(response)


def test_redirects_carry_the_headers(client, session):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client, session):
    with client.get("/static/casework/casework.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- Cookies ------------------------------------------------------------------------


def test_session_cookie_is_http_only_and_same_site_lax(client, session):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


# --- CSRF ---------------------------------------------------------------------------


@pytest.fixture
def csrf_on(app, monkeypatch):
    """The protection as served: the test configuration turns it off for convenience."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def token_on(page):
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    assert match, "the form has a CSRF token"
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def test_post_without_a_token_gets_a_clear_400(client, session, csrf_on):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.text
    assert "Traceback" not in response.text
    assert client.get("/").status_code == 302  # not signed in


def test_refusals_before_the_view_still_get_a_nonce_and_request_id(client, session, csrf_on):
    """CSRF and rate limits refuse a request early; the page must still be complete."""
    response = client.post("/sign-in", data={"email": "a@example.test", "password": "x"})
    assert response.status_code == 400
    assert_security_headers(response)
    assert_script_nonces_match(response)
    assert response.headers["X-Request-Id"]


def test_throttled_sign_in_page_gets_a_nonce(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "1 per 5 minutes")
    client.post("/sign-in", data={"email": "a@example.test", "password": "wrong guess number x"})
    response = client.post("/sign-in", data={"email": "a@example.test", "password": "wrong guess number x"})
    assert response.status_code == 429
    assert_security_headers(response)
    assert_script_nonces_match(response)


def test_post_with_the_token_from_the_form_works(client, session, csrf_on):
    user = make_user()
    token = token_on(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_signed_in_forms_need_the_token_too(signed_in, csrf_on):
    agencies = db.session.scalar(select(func.count(Agency.id)))
    response = signed_in.post("/admin/agencies/new", data={"name": "Forged Agency", "kind": "other"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.text
    assert db.session.scalar(select(func.count(Agency.id))) == agencies
    # Signing out is a form too: a forged sign-out does nothing.
    assert signed_in.post("/sign-out").status_code == 400
    assert signed_in.get("/").status_code == 200
    token = token_on(signed_in.get("/").text)
    assert signed_in.post("/sign-out", data={"csrf_token": token}).status_code == 302


def test_a_token_from_another_session_is_refused(app, client, signed_in, csrf_on):
    stolen = token_on(signed_in.get("/").text)
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": stolen})
    assert response.status_code == 400


# --- Public endpoints and error pages -----------------------------------------------


def test_healthz_answers_without_signing_in(client, session):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
    assert response.mimetype == "text/plain"


def test_unknown_url_gets_the_styled_404_page(signed_in):
    response = signed_in.get("/no-such-page")
    assert response.status_code == 404
    assert "govuk-template" in response.text
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in response.text
    assert "Go to My work" in response.text


def test_unknown_url_sends_a_signed_out_visitor_to_sign_in(client, session):
    """It does not reveal which addresses exist."""
    response = client.get("/no-such-page")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def test_unexpected_error_gets_a_generic_page(signed_in, monkeypatch):
    def broken(_user):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("casework.home.views.my_work", broken)
    response = signed_in.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert_security_headers(response)
