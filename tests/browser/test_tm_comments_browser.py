"""Translation memory and comments in a real browser: axe-core (WCAG 2.2 AA) on the message pages
with suggestions and comments, in Spanish and Arabic, at 1280 and 320 px; a suggestion copied
by keyboard alone (with the script, in place; without it, by reloading), never saved."""
from __future__ import annotations

import pytest

from portal.translation.identity import message_id
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_staff_accessibility import axe_clean, log_in_by_keyboard
from tests.conftest import PASSWORD, Workflow, close_app, make_app, person
from tests.test_translation_memory import EVENING, NIGHT, PILL, TARGET, WATER, add_messages

pytestmark = pytest.mark.browser

TARGET_MID = message_id(("", TARGET, ""))
TEXTS = {
    "es": {EVENING: "Dele esta medicina a su hijo con comida cada tarde.",
           WATER: "Dele esta medicina a su hijo con agua cada mañana.",
           NIGHT: "Dele esta medicina a su hijo con comida cada noche.",
           PILL: "Dele esta pastilla a su hijo con comida cada mañana."},
    "ar": {EVENING: "أعط هذا الدواء لطفلك مع الطعام كل مساء.",
           WATER: "أعط هذا الدواء لطفلك مع الماء كل صباح.",
           NIGHT: "أعط هذا الدواء لطفلك مع الطعام كل ليلة.",
           PILL: "أعط هذه الحبة لطفلك مع الطعام كل صباح."},
}
COMMENTS = {"es": "¿«Medicina» o «medicamento»?\n<script>alert(1)</script>",
            "ar": "هل «الدواء» واضح؟\nنعم."}


@pytest.fixture(scope="module")
def tm_server(tmp_path_factory, empty_catalogs):
    app = make_app(tmp_path_factory.mktemp("tm"), empty_catalogs)
    work = Workflow(app)
    person(work, "tm-tina", [("translator", "es"), ("translator", "ar")], display_name="Tina Torres")
    person(work, "tm-tom", [("translator", "es"), ("translator", "ar")], display_name="Tom Tran")
    person(work, "tm-rita", [("reviewer", "es"), ("reviewer", "ar")], display_name="Rita Reyes")
    add_messages(work)
    from portal.review import comments
    from portal.translation import units

    for code, texts in TEXTS.items():
        for english, text in texts.items():
            work.translate(code, english, text, author="tm-tom")
        work.translate(code, TARGET, texts[EVENING], author="tm-tom")  # to review and comment on
        work.approve(code, EVENING, "tm-rita")
        with work.session() as session:
            from portal.people.accounts import find_user

            comments.post(session, units.find(session, code, TARGET)[0], find_user(session, "tm-rita"),
                          COMMENTS[code])
            session.commit()
    yield from serve("tm", app)
    close_app(app)


@pytest.fixture
def open_page(browser, tm_server):
    contexts = []

    def open_(username="tm-tina", width=1280, javascript=True):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        if javascript:
            log_in_by_keyboard(page, tm_server, username)
        else:  # page.evaluate (which log_in_by_keyboard uses) cannot run where scripts are off
            page.goto(f"{tm_server.url}/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.press("#password", "Enter")
        return page

    yield open_
    for context in contexts:
        context.close()


def reflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("code", ["es", "ar"])
@pytest.mark.parametrize("width", [1280, 320])
def test_message_page_with_suggestions_and_comments_passes_axe(open_page, tm_server, code, width):
    page = open_page(width=width)
    assert page.goto(f"{tm_server.url}/translate/{code}/m/{TARGET_MID}").status == 200
    assert page.locator(".suggestion").count() == 3
    assert page.locator(".suggestion mark").count() >= 3
    assert page.locator(".comment").count() == 1
    assert page.locator(".comment-body").get_attribute("dir") == "auto"
    assert page.locator(".suggestion .version").first.get_attribute("dir") == ("rtl" if code == "ar" else "ltr")
    axe_clean(page)
    assert reflows(page)


@pytest.mark.parametrize("code", ["es", "ar"])
@pytest.mark.parametrize("width", [1280, 320])
def test_review_page_with_comments_and_a_refused_comment_passes_axe(open_page, tm_server, code, width):
    page = open_page("tm-rita", width=width)
    assert page.goto(f"{tm_server.url}/review/{code}/m/{TARGET_MID}").status == 200
    assert "Rita Reyes" in page.locator(".comment-meta").inner_text()
    axe_clean(page)
    assert reflows(page)
    page.fill("#comment-body", "   ")
    with page.expect_navigation() as navigation:
        page.locator("main button", has_text="Post comment").click()
    assert navigation.value.status == 400
    field = page.locator("#comment-body")
    assert field.get_attribute("aria-invalid") == "true"
    assert "Write a comment" in page.locator("#comment-body-error").inner_text()
    axe_clean(page)
    assert reflows(page)


def test_the_comment_shows_escaped_with_its_line_break(open_page, tm_server):
    page = open_page()
    page.goto(f"{tm_server.url}/translate/es/m/{TARGET_MID}")
    body = page.locator(".comment-body")
    assert body.inner_text() == COMMENTS["es"]  # the <script> is text, the line break a <br>
    assert body.locator("br").count() == 1 and body.locator("script").count() == 0


def _unit_forms(app, code):
    from portal.translation import units

    with app.extensions["db"]() as session:
        unit = units.find(session, code, TARGET)[0]
        return unit.forms, unit.revision


@pytest.mark.parametrize("code", ["es", "ar"])
def test_copy_a_suggestion_by_keyboard_in_place(open_page, tm_server, code):
    before = _unit_forms(tm_server.app, code)
    page = open_page()
    page.goto(f"{tm_server.url}/translate/{code}/m/{TARGET_MID}")
    page.fill("#form0", "")
    url = page.url
    second = page.locator(".suggestion").nth(1)
    wanted = second.locator(".version").inner_text()
    button = second.locator("button", has_text="Copy into the box")
    button.focus()
    page.keyboard.press("Enter")
    assert page.input_value("#form0") == wanted
    assert page.evaluate("document.activeElement.id") == "form0"
    assert page.url == url  # copied in place: no reload
    assert "not saved" in page.locator("#suggestion-status").inner_text()
    assert _unit_forms(tm_server.app, code) == before  # never saved
    axe_clean(page)


def test_copy_a_suggestion_by_keyboard_without_javascript(open_page, tm_server):
    before = _unit_forms(tm_server.app, "es")
    page = open_page(javascript=False)
    page.goto(f"{tm_server.url}/translate/es/m/{TARGET_MID}")
    first = page.locator(".suggestion").first
    wanted = first.locator(".version").inner_text()
    first.locator("button", has_text="Copy into the box").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "use=" in page.url and page.url.endswith("#form0")
    assert page.input_value("#form0") == wanted
    assert "It is not saved" in page.locator(".suggestions [role=status]").first.inner_text()
    assert _unit_forms(tm_server.app, "es") == before
    # (axe needs scripts to run: the same page is checked with them on above)
