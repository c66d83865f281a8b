"""Browser fixtures: the app over real HTTP on a real, committed database, driven by Chromium.

The live server has a database of its own on each backend (a new SQLite file, or a new
database on the throwaway PostgreSQL cluster), built by the real migrations and filled
with the demo partnership. Its requests run on other threads and connections, so the
single-connection ``session`` fixture of the other tests cannot serve here: nothing is
rolled back, and the database is thrown away at the end.

Chromium is Debian's (/usr/bin/chromium), launched once per test session.
"""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, sync_playwright
from sqlalchemy.engine import Engine
from werkzeug.serving import WSGIRequestHandler, make_server

from casework import create_app, db
from casework.demo import DEMO_PASSWORD, load_demo
from config import TestConfig
from tests.conftest import IN_CI, alembic_config
from tests.support.databases import fresh_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

MEMBER = "member@demo.test"
ADMIN = "admin@demo.test"
MANAGER = "manager@demo.test"
ANALYST = "analyst@demo.test"


class LiveConfig(TestConfig):
    """The test settings with CSRF protection on: the browser submits the real forms."""

    WTF_CSRF_ENABLED = True


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # a line per page and asset would bury the test output


class LiveServer:
    def __init__(self, url: str, app: Flask, engine: Engine) -> None:
        self.url = url
        self.app = app
        self.engine = engine
        self._signed_in: dict[str, Any] = {}

    def signed_in_state(self, browser: Browser, email: str) -> Any:
        """Cookies of a session signed in through the form, once per account (sign-in is slow on purpose)."""
        if email not in self._signed_in:
            context = browser.new_context(base_url=self.url)
            try:
                page = context.new_page()
                sign_in(page, email)
                self._signed_in[email] = context.storage_state()
            finally:
                context.close()
        return self._signed_in[email]

    def forget(self, email: str) -> None:
        """Signing out rotates the user's session token, which ends every remembered session."""
        self._signed_in.pop(email, None)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My work").wait_for()


def _bound_engine() -> Any:
    return db.session.session_factory.kw.get("bind")


def _bind_session(bind: Any) -> None:
    db.session.remove()
    db.session.configure(bind=bind)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"Chromium is required under CI and is not at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM}; run `make test` to install it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with fresh_database(database_url, tmp_path_factory.mktemp("browser"), prefix="casework_browser") as url:
        command.upgrade(alembic_config(url), "head")
        # create_app points the global db.session at the new engine: put back what
        # the rest of the suite had, and let each browser test bind it for itself.
        previous = _bound_engine()
        app = create_app(LiveConfig(url))
        engine = app.extensions["casework.engine"]
        try:
            with app.app_context():
                load_demo()
                db.session.commit()
        finally:
            _bind_session(previous)

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, engine)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            engine.dispose()


@pytest.fixture(autouse=True)
def _live_database(browser: Browser, live_server: LiveServer) -> Iterator[None]:
    """While a browser test runs, new sessions (the server's request threads, and any the
    test opens to look at what was stored) use the live database; then the suite's own
    binding comes back, whichever tests run before or after.

    (``browser`` comes first so that a machine without Chromium skips before any
    database is built.)"""
    previous = _bound_engine()
    _bind_session(live_server.engine)
    try:
        yield
    finally:
        _bind_session(previous)


class Browsing:
    """Opens pages for a test and collects every JavaScript error and CSP violation they report."""

    def __init__(self, browser: Browser, live: LiveServer) -> None:
        self.browser = browser
        self.live = live
        self.problems: list[str] = []
        self._contexts: list[BrowserContext] = []

    def page(self, *, as_user: str | None = None) -> Page:
        state = self.live.signed_in_state(self.browser, as_user) if as_user else None
        context = self.browser.new_context(base_url=self.live.url, storage_state=state)
        context.set_default_timeout(10_000)
        self._contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self._page_error(page, error))
        return page

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        # CSP violations ("Refused to load/execute ...") and uncaught errors are logged as errors.
        if message.type != "error":
            return
        # A form sent back with errors (400) or a conflict (409) is the page itself, on
        # purpose: Chromium logs its status as a failed load, which says nothing wrong.
        own_status = message.text.startswith("Failed to load resource: the server responded with a status of 4")
        if own_status and message.location.get("url") == page.url:
            return
        self.problems.append(f"{page.url}: console error: {message.text}")

    def _page_error(self, page: Page, error: Error) -> None:
        self.problems.append(f"{page.url}: uncaught {error.name}: {error.message}")

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, live_server: LiveServer) -> Iterator[Browsing]:
    session = Browsing(browser, live_server)
    try:
        yield session
    finally:
        session.close()


UNINITIALISED = """[...document.querySelectorAll('[data-module]')]
    .filter(el => !el.hasAttribute(`data-${el.dataset.module}-init`))
    .map(el => el.dataset.module)"""


def assert_scripts_ran(page: Page) -> None:
    """GOV.UK and MoJ Frontend initialised every component on the page (under the CSP)."""
    # Module scripts run after the page is parsed, and a test may get here as soon as
    # the element it waited for appears: let them finish (a busy machine is slow).
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(f"({UNINITIALISED}).length === 0", timeout=5_000)
    except Error:
        pass  # the assertion below says which components did not start
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')"), (
        "js-enabled script did not run"
    )
    uninitialised = page.evaluate(UNINITIALISED)
    assert uninitialised == [], f"components not initialised: {uninitialised}"
