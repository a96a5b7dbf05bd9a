"""Preview in context and review a page at once (issue 15) in a real browser: axe-core (WCAG 2.2
AA) on both, in Spanish and in Arabic (right to left), at 1280 and 320 CSS px, and "Approve
selected" by keyboard alone.

The server is this module's own: the shipped drafts, every reviewed Spanish and Arabic message
approved by one reviewer, then two messages of the infections page changed by a translator, so
that page has exactly two texts waiting in each language.
"""
from __future__ import annotations

import pytest

from portal.people.accounts import create_user, find_user
from portal.review import operations
from portal.translation import units
from portal.translation.identity import message_id
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_staff_accessibility import axe_clean, log_in_by_keyboard
from tests.conftest import PASSWORD, ROOT, close_app, make_app

pytestmark = pytest.mark.browser

PEOPLE = {"tina": [("translator", "es")], "rita": [("reviewer", "es")], "rob": [("reviewer", "es"), ("reviewer", "ar")],
          "tariq": [("translator", "ar")], "amal": [("reviewer", "ar")]}
KEEP_AWAY = "Keep your child away from people who are sick."  # content/infections.md
MASK = "Your child may be told to wear a mask over the nose and mouth."  # content/infections.md
NEW = {"es": {KEEP_AWAY: "Mantenga a su hijo lejos de quien esté enfermo.",
              MASK: "Tal vez le pidan a su hijo que use una mascarilla sobre la nariz y la boca."},
       "ar": {KEEP_AWAY: "أبعد طفلك عن كل شخص مريض.",
              MASK: "ربما يُطلب من طفلك أن يلبس كمامة على الأنف والفم."}}
TRANSLATOR = {"es": "tina", "ar": "tariq"}
REVIEWER = {"es": "rita", "ar": "amal"}
TAG = {"es": "es", "ar": "ar"}


def mid(msgid: str) -> str:
    return message_id(("", msgid, ""))


@pytest.fixture(scope="module")
def preview_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview")
    app = make_app(folder, ROOT / "translations")
    with app.extensions["db"]() as session:
        for username, roles in PEOPLE.items():
            create_user(session, username, PASSWORD, display_name=username.title(), roles=roles)
        session.commit()  # domain code only flushes; this fixture is the unit of work
    for code in ("es", "ar"):
        with app.extensions["db"]() as session:
            outcome = operations.approve_messages(session, code, find_user(session, "rob"), approve_all=True)
            assert not outcome.skipped, outcome.skipped[:3]
        for msgid, text in NEW[code].items():
            with app.extensions["db"]() as session:
                unit = units.find(session, code, msgid)[0]
                units.save(session, code, unit.mid, [text], unit.revision, find_user(session, TRANSLATOR[code]),
                           app.extensions["terms"])
                session.commit()
    yield from serve("preview", app)
    close_app(app)


@pytest.fixture
def person(browser, preview_server):
    contexts = []

    def open_(username: str, width: int = 1280):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": width, "height": 800})
        contexts.append(context)
        page = context.new_page()
        log_in_by_keyboard(page, preview_server, username)
        return page

    yield open_
    for context in contexts:
        context.close()


def reflows(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url}: the page is {width} px wide at 320 px"


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("code", ["es", "ar"])
def test_preview_in_a_real_browser(person, preview_server, code, width):
    page = person(TRANSLATOR[code], width)
    page.goto(f"{preview_server.url}/translate/{code}/m/{mid(MASK)}")
    with page.expect_navigation():
        page.get_by_role("link", name="Preview this text on its family page").click()
    assert page.url.endswith(f"/translate/{code}/preview/{mid(MASK)}")
    assert page.locator("html").get_attribute("dir") == ("rtl" if code == "ar" else "ltr")
    banner = page.get_by_role("status")
    assert "Preview — not what families see" in banner.inner_text()
    mark = page.locator("mark.pending-text")
    assert mark.count() == 1 and NEW[code][MASK] in mark.inner_text()
    assert mark.locator(".pending-label").inner_text() == "Pending text"
    assert mark.locator(".pending-label").is_visible()
    # Another block is what families read now (approved); the pending one is not served yet.
    family = page.context.new_page()
    family.goto(f"{preview_server.url}/{TAG[code]}/infections")
    assert NEW[code][MASK] not in family.locator("main").inner_text()
    family.close()
    axe_clean(page)
    if width == 320:
        reflows(page)


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("code", ["es", "ar"])
def test_page_review_in_a_real_browser(person, preview_server, code, width):
    page = person(REVIEWER[code], width)
    page.goto(f"{preview_server.url}/review/{code}/")
    with page.expect_navigation():
        page.locator(f'a[href="/review/{code}/page/infections"]').first.click()
    assert page.url.endswith(f"/review/{code}/page/infections")
    assert page.locator("input[type=checkbox][name=approve]").count() == 2
    for text in NEW[code].values():
        assert text in page.locator("main").inner_text()
    axe_clean(page)
    if width == 320:
        reflows(page)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("code", ["es", "ar"])
def test_approve_selected_by_keyboard(person, preview_server, code):
    page = person(REVIEWER[code])
    page.goto(f"{preview_server.url}/review/{code}/page/infections")
    tab_to(page, f"#approve-{mid(KEEP_AWAY)}")
    page.keyboard.press("Space")
    tab_to(page, f"#approve-{mid(MASK)}")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit].button")
    assert page.evaluate("document.activeElement.textContent") == "Approve selected"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/review/{code}/page/infections")
    assert "Approved 2 texts and published" in page.get_by_role("status").first.inner_text()
    assert page.locator("input[type=checkbox][name=approve]").count() == 0
    axe_clean(page)
    family = page.context.new_page()
    family.goto(f"{preview_server.url}/{TAG[code]}/infections")
    for text in NEW[code].values():
        assert text in family.locator("main").inner_text()
