"""Staff pages (login, account, admin, workspace and review shells) in a real browser:
axe-core WCAG 2.2 AA on each, and logging in and working by keyboard alone."""
from __future__ import annotations

import pytest

from portal.people import accounts
from tests.browser.test_accessibility import AXE_OPTIONS, _axe, describe_violations
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

STAFF = {"browser-admin": dict(is_admin=True, roles=[]),
         "browser-translator": dict(is_admin=False, roles=[("translator", "es"), ("reviewer", "ar")])}


@pytest.fixture(scope="session")
def staff_server(approved_server):
    with approved_server.app.extensions["db"]() as session:
        for username, options in STAFF.items():
            if accounts.find_user(session, username) is None:
                accounts.create_user(session, username, PASSWORD, display_name=username.title(), **options)
        session.commit()  # domain code only flushes; this fixture is the unit of work
    return approved_server


def axe_clean(page):
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe on {page.url}:\n{describe_violations(violations)}"


def log_in_by_keyboard(page, server, username, password=PASSWORD):
    """Tab from the top of the login page, type, and press Enter: no mouse."""
    page.goto(f"{server.url}/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # site name
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def staff_page(browser, staff_server):
    contexts = []

    def open_(username: str | None = None, width: int = 1280):
        from tests.browser.conftest import NoBrowser

        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": width, "height": 800})
        contexts.append(context)
        page = context.new_page()
        if username:
            log_in_by_keyboard(page, staff_server, username)
            assert page.url.endswith("/staff/"), page.url
        return page

    yield open_
    for context in contexts:
        context.close()


def test_login_page_and_its_error_state(staff_page, staff_server):
    page = staff_page()
    page.goto(f"{staff_server.url}/login")
    axe_clean(page)
    log_in_by_keyboard(page, staff_server, "browser-admin", "not the password")
    alert = page.locator("[role=alert]")
    assert alert.count() == 1 and "do not match" in alert.inner_text()
    axe_clean(page)


def test_keyboard_login_reaches_staff_home(staff_page):
    page = staff_page("browser-translator")
    assert page.locator("h1").inner_text().startswith("Hello")
    axe_clean(page)


ADMIN_PAGES = ["/staff/", "/account", "/admin/people", "/admin/people/new", "/admin/people/{browser-translator}",
               "/admin/publish"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_pass_axe(staff_page, staff_server, path):
    page = staff_page("browser-admin")
    if "{" in path:  # a person's page is addressed by id
        with staff_server.app.extensions["db"]() as session:
            path = f"/admin/people/{accounts.find_user(session, path.split('{')[1].rstrip('}')).id}"
    response = page.goto(f"{staff_server.url}{path}")
    assert response.status == 200
    axe_clean(page)


@pytest.mark.parametrize("path", ["/translate/es/", "/review/ar/", "/account"])
def test_translator_and_reviewer_pages_pass_axe(staff_page, staff_server, path):
    page = staff_page("browser-translator")
    assert page.goto(f"{staff_server.url}{path}").status == 200
    axe_clean(page)


def test_forbidden_page_passes_axe(staff_page, staff_server):
    page = staff_page("browser-translator")
    assert page.goto(f"{staff_server.url}/admin/people").status == 403
    axe_clean(page)


def test_form_errors_pass_axe_and_are_tied_to_their_fields(staff_page, staff_server):
    page = staff_page("browser-admin")
    page.goto(f"{staff_server.url}/admin/people/new")
    page.fill("#username", "browser-admin")
    page.fill("#display_name", "Duplicate")
    page.fill("#password", "long enough password")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "taken" in page.locator("[role=alert]").inner_text()
    axe_clean(page)
    page.goto(f"{staff_server.url}/account")
    with page.expect_navigation():
        page.click("main button[type=submit]")  # everything empty
    field = page.locator("#current")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby")
    assert "Enter your current password." in page.locator(f"#{described}").inner_text()
    axe_clean(page)


def test_publish_result_table_passes_axe(staff_page, staff_server):
    page = staff_page("browser-admin")
    page.goto(f"{staff_server.url}/admin/publish")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("table caption").inner_text() == "What families now see"
    axe_clean(page)


def test_log_out_by_keyboard(staff_page, staff_server):
    page = staff_page("browser-translator")
    button = page.locator("button.link-button", has_text="Log out")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login")
    assert page.goto(f"{staff_server.url}/staff/").url.startswith(f"{staff_server.url}/login")


def test_staff_pages_reflow_at_320px(staff_page, staff_server):
    page = staff_page("browser-admin", width=320)
    for path in ("/staff/", "/account", "/admin/people/new"):
        page.goto(f"{staff_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_the_database_is_not_answering_page_passes_axe_with_the_typed_text(staff_page, staff_server, tmp_path):
    """The portal's own page when a save cannot reach the database: WCAG 2.2 AA, the typed text in
    a labelled field, and its button sends the save again once the database is back."""
    from tests.test_faults import break_database

    app = staff_server.app
    with app.extensions["db"]() as session:
        from portal.translation import units

        unit = units.find(session, "es", "Infections")[0]
    page = staff_page("browser-translator")
    page.goto(f"{staff_server.url}/translate/es/m/{unit.mid}")
    typed = page.input_value("#form0") + " (a)"
    page.fill("#form0", typed)
    mend = break_database(app, tmp_path)
    try:
        with page.expect_navigation() as navigation:
            page.locator("main button", has_text="Save").first.click()
        assert navigation.value.status == 503
        assert page.title().startswith("Error:")
        assert page.input_value("#typed-form0") == typed
        axe_clean(page)
    finally:
        mend()
        app.extensions.pop("db_paused_until", None)
    with page.expect_navigation() as navigation:
        page.locator("main button", has_text="Try to save again").click()
    assert navigation.value.status == 200  # the save, then the message page
    with app.extensions["db"]() as session:
        from portal.translation import units

        assert units.find(session, "es", "Infections")[0].forms == [typed]
