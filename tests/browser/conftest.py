"""Browser fixtures: the app over real HTTP on a real, committed database, driven by Chromium.

The live server has a database of its own on each backend (a new SQLite file, or a new
database on the throwaway PostgreSQL cluster), built by the real migrations and filled
with the demo partnership. Its requests run on other threads and connections, so the
single-connection ``session`` fixture of the other tests cannot serve here: nothing is
rolled back, and the database is thrown away at the end.

Chromium is Debian's (/usr/bin/chromium), launched once per test session (per pytest-xdist
worker), with one signed-in browser context per demo account for the whole run.
"""

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, ViewportSize, sync_playwright
from sqlalchemy.engine import Engine, make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from casework import create_app, db
from casework.demo import DEMO_PASSWORD, load_demo
from config import TestConfig
from tests.conftest import IN_CI, alembic_config
from tests.support.databases import dump_database, fresh_database, restore_database

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

# axe-core, defined (not run) in every page the tests open: the pages' CSP (rightly)
# refuses an injected <script>, and a script added through the DevTools protocol is not
# subject to it. Sent to Chromium once per context rather than once per check, and run
# only on the pages that are checked (tests/support/accessibility.py).
AXE_LOADER = (
    "window.caseworkLoadAxe = function () {\n"
    + (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
    + "\n};"
)

DEFAULT_VIEWPORT: ViewportSize = {"width": 1280, "height": 720}  # Playwright's, for a new page

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
    def __init__(self, url: str, app: Flask, engine: Engine, browser: Browser) -> None:
        self.url = url
        self.app = app
        self.engine = engine
        self._browser = browser
        self._signed_in: dict[str, BrowserContext] = {}
        self._kept_pages: dict[str, Page] = {}

    def new_context(self) -> BrowserContext:
        context = self._browser.new_context(base_url=self.url)
        context.set_default_timeout(10_000)
        context.add_init_script(AXE_LOADER)
        return context

    def signed_in_context(self, email: str) -> BrowserContext:
        """A browser context signed in as ``email``, one per account for the whole run."""
        if email not in self._signed_in:
            context = self.new_context()
            context.add_cookies([{**cookie, "url": self.url} for cookie in self._session_cookies(email)])
            self._signed_in[email] = context
        return self._signed_in[email]

    def kept_page(self, email: str) -> Page:
        """The account's page, kept from test to test: each test navigates it afresh, and
        Chromium draws it in a renderer that has already compiled the GOV.UK scripts and
        axe (a new page is a new renderer process, which compiles them again)."""
        page = self._kept_pages.get(email)
        if page is None or page.is_closed():
            page = self._kept_pages[email] = self.signed_in_context(email).new_page()
        return page

    def _session_cookies(self, email: str) -> list[Any]:
        """The cookies of a session signed in through the sign-in form, posted by the app's
        own test client: the same request as a browser's, without drawing two pages in
        Chromium for each account. Signing in in Chromium is tested in test_journey.py."""
        client = self.app.test_client()
        form = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert token, "no CSRF token on the sign-in page"
        response = client.post("/sign-in", data={"csrf_token": token[1], "email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302 and response.location == "/", f"{email} did not sign in"
        name = self.app.config["SESSION_COOKIE_NAME"]
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no session cookie for {email}"
        return [{"name": name, "value": cookie.value, "httpOnly": cookie.http_only, "sameSite": "Lax"}]

    def forget(self, email: str) -> None:
        """Signing out rotates the user's session token, which ends every remembered session."""
        self._kept_pages.pop(email, None)
        context = self._signed_in.pop(email, None)
        if context is not None:
            context.close()

    def close(self) -> None:
        for email in list(self._signed_in):
            self.forget(email)


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
def live_server(browser: Browser, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with fresh_database(database_url, tmp_path_factory.mktemp("browser"), prefix="casework_browser") as url:
        # create_app points the global db.session at the new engine: put back what
        # the rest of the suite had, and let each browser test bind it for itself.
        previous = _bound_engine()
        shared = _shared_demo(tmp_path_factory, url)
        try:
            with _only_one_worker(shared):
                restored = shared is not None and shared.exists()
                if shared is not None and restored:
                    restore_database(url, shared)
                else:
                    command.upgrade(alembic_config(url), "head")
                app = create_app(LiveConfig(url))
                engine = app.extensions["casework.engine"]
                if not restored:
                    with app.app_context():
                        load_demo()
                        db.session.commit()
                    if shared is not None:
                        dump_database(url, shared)
        finally:
            _bind_session(previous)

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        live = LiveServer(f"http://127.0.0.1:{server.server_port}", app, engine, browser)
        try:
            yield live
        finally:
            live.close()
            server.shutdown()
            thread.join()
            server.server_close()
            engine.dispose()


def _shared_demo(tmp_path_factory: pytest.TempPathFactory, url: str) -> Path | None:
    """Where the first pytest-xdist worker to start a live server leaves a copy of its
    database with the demo loaded, for the other worker to restore: loading the demo on
    PostgreSQL (some 4,400 statements, each a round trip) takes far longer than a
    restore. The workers' temporary directories share a parent for the run."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or make_url(url).get_backend_name() != "postgresql":
        return None
    return tmp_path_factory.getbasetemp().parent / "casework-browser-demo.dump"


@contextlib.contextmanager
def _only_one_worker(shared: Path | None) -> Iterator[None]:
    """Held while a worker loads the demo or restores it, so the other worker waits for
    the copy rather than loading the demo too."""
    if shared is None:
        yield
        return
    with shared.with_name(shared.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.problems: list[str] = []
        self._contexts: list[BrowserContext] = []
        self._pages: list[Page] = []
        self._kept: dict[str, Page] = {}
        self._listeners: list[tuple[Page, str, Any]] = []

    def page(self, *, as_user: str | None = None) -> Page:
        """A page signed in as ``as_user``: the account's kept page the first time in a
        test, a new page in the account's context after that (a test with two tabs). A
        page signed out is a new one, in a fresh context of its own."""
        if as_user and as_user not in self._kept:
            page = self._kept[as_user] = self.live.kept_page(as_user)
        else:
            if as_user:
                context = self.live.signed_in_context(as_user)
            else:
                context = self.live.new_context()
                self._contexts.append(context)
            page = context.new_page()
            self._pages.append(page)
        self._listen(page, "console", lambda message: self._console(page, message))
        self._listen(page, "pageerror", lambda error: self._page_error(page, error))
        return page

    def _listen(self, page: Page, event: str, handler: Any) -> None:
        page.on(event, handler)  # type: ignore[call-overload]
        self._listeners.append((page, event, handler))

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
        for page, event, handler in self._listeners:
            if not page.is_closed():
                page.remove_listener(event, handler)
        for page in self._kept.values():
            if not page.is_closed():
                try:
                    _reset(page, self.live.url)
                except Error:
                    page.close()  # the next test gets a new one
        for page in self._pages:
            if not page.is_closed():
                page.close()
        for context in self._contexts:
            context.close()


def _reset(page: Page, url: str) -> None:
    """Undo what a test may change in a kept page and a new one would not have: the size
    of the window, the printed view, and what GOV.UK Frontend keeps in the tab's storage
    (the sections of an accordion left open)."""
    if page.viewport_size != DEFAULT_VIEWPORT:
        page.set_viewport_size(DEFAULT_VIEWPORT)
    page.emulate_media(media="null")
    if page.url.startswith(url):
        page.evaluate("sessionStorage.clear()")


@pytest.fixture
def browsing(live_server: LiveServer) -> Iterator[Browsing]:
    session = Browsing(live_server)
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
