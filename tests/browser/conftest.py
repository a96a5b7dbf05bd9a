"""Real-browser fixtures: two live portals on 127.0.0.1 and one headless Debian Chromium.

``approved_server`` serves the committed draft translations with every reviewed
message approved by a per-locale reviewer (in its own temporary database), so
families' pages are fully translated. ``fallback_server`` serves untranslated
catalogs, so every page shows English blocks (lang="en") and the notice.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.locales import TRANSLATED_LOCALES
from portal.people.accounts import create_user, find_user
from portal.review.operations import approve_messages, publish_locale
from tests.conftest import ROOT, close_app, make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test in tests/browser is a browser test (``-m "not browser"`` leaves them out)."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    name: str
    app: Flask
    url: str


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs):
        pass


def serve(name: str, app: Flask):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{name}", daemon=True)
    thread.start()
    try:
        yield LiveServer(name, app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def approve_everything(app: Flask) -> None:
    """A reviewer per locale approves every reviewed message, through the domain code,
    into this app's test database only."""
    for loc in TRANSLATED_LOCALES:
        username = f"browser-reviewer-{loc.code}"
        with app.extensions["db"]() as session:
            reviewer = find_user(session, username) or create_user(
                session, username, "correct horse battery", roles=[("reviewer", loc.code)])
            outcome = approve_messages(session, loc.code, reviewer, approve_all=True)
            assert not outcome.skipped, f"{loc.code}: approvals refused: {outcome.skipped[:5]}"
            if not outcome.approved:  # already approved (a shared TEST_DATABASE_URL): publish anyway
                publish_locale(session, loc.code)


def publish_everything(app: Flask) -> None:
    for loc in TRANSLATED_LOCALES:
        with app.extensions["db"]() as session:
            publish_locale(session, loc.code)


@pytest.fixture(scope="session")
def approved_server(tmp_path_factory):
    """The committed draft translations, every reviewed message (medical and site text) approved and
    published."""
    app = make_app(tmp_path_factory.mktemp("approved"), ROOT / "translations")
    assert Path(app.config["TRANSLATIONS_DIR"]) != ROOT / "translations"
    approve_everything(app)
    yield from serve("approved", app)
    close_app(app)


@pytest.fixture(scope="session")
def fallback_server(tmp_path_factory, empty_catalogs):
    """Untranslated catalogs: pages in English blocks with lang="en" and the notice."""
    app = make_app(tmp_path_factory.mktemp("fallback"), empty_catalogs)
    publish_everything(app)
    yield from serve("fallback", app)
    close_app(app)


@pytest.fixture
def server(request) -> LiveServer:
    """``approved`` or ``fallback``, chosen by an indirect parameter."""
    return request.getfixturevalue(f"{request.param}_server")


@dataclass
class NoBrowser:
    """Chromium could not be started; every test that opens a page fails with ``reason``."""

    reason: str


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session (or a NoBrowser that makes tests fail, not skip)."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        yield NoBrowser(f"Chromium is not installed at {CHROMIUM}. The browser tests need Debian's "
                        "chromium: run `make test` (it installs it), not `playwright install`.")
        return
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as error:
            yield NoBrowser(f"Chromium at {CHROMIUM} would not start: {error}\nRun `make test` to "
                            "(re)install Debian's chromium.")
            return
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_page(browser):
    """``open_page(url, width=..., height=..., bypass_csp=...)``: a fresh context and page.

    Fails if the page's stylesheet (or anything else but the page itself) fails to load.
    """
    contexts = []

    def open_(url: str, width: int = 1280, height: int = 800, bypass_csp: bool = False,
              status: int = 200):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        failures = []
        page.on("requestfailed", lambda req: failures.append(f"{req.url}: {req.failure}"))
        page.on("response", lambda res: res.status >= 400 and res.url != url
                and failures.append(f"{res.url}: HTTP {res.status}"))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == status, \
            f"{url}: HTTP {response and response.status}, expected {status}"
        assert not failures, f"{url}: resources failed to load: {failures}"
        assert page.evaluate("document.styleSheets.length && document.styleSheets[0].cssRules.length") > 0, \
            f"{url}: the stylesheet did not load"
        return page

    yield open_
    for context in contexts:
        context.close()
