"""'Was this page clear?' in a real browser: a family sends the form by keyboard alone (no
JavaScript), in Arabic (right to left) and Spanish; axe-core (WCAG 2.2 AA, the tags of
test_accessibility.py) on the form, the "please check" and thank-you pages, and the reviewer's
dashboard and queue showing the answer, at 1280 and 320 CSS px; the reviewer marks it handled by
keyboard.

The server is this module's own (Arabic and Spanish approved and published), so the answers sent
here reach no other test's database, and all from 127.0.0.1 without meeting the per-address limit.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.feedback.models import FamilyFeedback
from portal.people.accounts import create_user
from portal.review.operations import approve_messages
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_accessibility import NARROW
from tests.browser.test_staff_accessibility import axe_clean, log_in_by_keyboard
from tests.conftest import PASSWORD, ROOT, close_app, make_app

pytestmark = pytest.mark.browser

LOCALES = {"ar": ("ar", "treatment", "لم أفهم الجزء عن زرع الخلايا الجذعية."),
           "es": ("es", "glossary", "No entendí qué es la ERM.")}
WIDTHS = {"wide": {"width": 1280, "height": 800}, "narrow": NARROW}


@pytest.fixture(scope="module")
def feedback_server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("feedback"), ROOT / "translations", FEEDBACK_PER_ADDRESS=1000)
    with app.extensions["db"]() as session:
        for code in ("ar", "es"):
            reviewer = create_user(session, f"reviewer-{code}", PASSWORD, display_name=f"Reviewer {code}",
                                   roles=[("reviewer", code)])
            outcome = approve_messages(session, code, reviewer, approve_all=True)
            # The form's own strings have no drafts yet (skipped): they show in English until then.
            assert outcome.approved
    yield from serve("feedback", app)
    close_app(app)


@pytest.fixture
def new_page(browser):
    contexts = []

    def open_(width="wide"):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport=WIDTHS[width])
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def fits(page) -> None:
    """Reflow (WCAG 1.4.10): nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def answers(server, code: str) -> list[tuple[str, str, str]]:
    with server.app.extensions["db"]() as session:
        return [(r.page, r.choice, r.text) for r in session.scalars(
            select(FamilyFeedback).where(FamilyFeedback.locale == code).order_by(FamilyFeedback.id))]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("code", LOCALES)
def test_a_family_sends_the_form_by_keyboard(feedback_server, new_page, code, width):
    tag, slug, text = LOCALES[code]
    page = new_page(width)
    response = page.goto(f"{feedback_server.url}/{tag}/{slug}")
    assert response.status == 200
    assert page.get_attribute("html", "dir") == ("rtl" if code == "ar" else "ltr")
    form = page.locator("section.page-feedback")
    assert form.count() == 1
    assert page.evaluate("document.scripts.length") == 0  # no JavaScript
    axe_clean(page)
    fits(page)
    before = answers(feedback_server, code)

    tab_to(page, "#feedback-yes")  # the first choice of the group
    page.keyboard.press("ArrowDown")  # the next choice: "Some parts were not clear", now checked
    assert page.evaluate("document.activeElement.id") == "feedback-partly"
    assert page.is_checked("#feedback-partly")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "feedback-text"
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/{tag}/{slug}/feedback")
    assert page.locator("h1").count() == 1
    assert page.get_attribute("html", "lang") == tag
    assert page.locator(f"main a[href='/{tag}/{slug}']").count() == 1  # back to the page
    axe_clean(page)
    fits(page)
    assert answers(feedback_server, code) == before + [(slug, "partly", text)]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_please_check_page_passes_axe(feedback_server, new_page, width):
    """No choice made: the browser's own check (``required``) is taken off, as an old browser would
    not have it, so the portal's page asking again is shown."""
    page = new_page(width)
    page.goto(f"{feedback_server.url}/ar/outlook")
    page.evaluate("document.querySelectorAll('[name=choice]').forEach((e) => e.removeAttribute('required'))")
    tab_to(page, "#feedback-text")
    page.keyboard.type("نص")
    page.keyboard.press("Tab")
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 400
    assert page.locator("#feedback-choice-error").count() == 1
    assert page.input_value("#feedback-text") == "نص"
    axe_clean(page)
    fits(page)


@pytest.fixture
def reviewer_page(new_page, feedback_server):
    def open_(code: str, width: str = "wide"):
        page = new_page(width)
        log_in_by_keyboard(page, feedback_server, f"reviewer-{code}")
        return page

    return open_


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("code", LOCALES)
def test_the_reviewer_reads_the_answers_on_the_dashboard_and_in_the_queue(feedback_server, reviewer_page,
                                                                          new_page, code, width):
    tag, slug, text = LOCALES[code]
    family = new_page()
    family.goto(f"{feedback_server.url}/{tag}/{slug}")
    family.check("#feedback-no")
    family.fill("#feedback-text", f"<b>{text}</b>")
    with family.expect_navigation():
        family.click(".page-feedback button[type=submit]")
    page = reviewer_page(code, width)
    for url in ("/review/", f"/review/{code}/", f"/review/{code}/?feedback=all"):
        page.goto(f"{feedback_server.url}{url}")
        shown = page.locator(".feedback-text", has_text=f"<b>{text}</b>")  # escaped: the tags are text
        assert shown.count() >= 1, url
        assert shown.first.get_attribute("dir") == "auto"
        other = "es" if code == "ar" else "ar"
        assert page.locator(".feedback-text", has_text=LOCALES[other][2]).count() == 0, url
        axe_clean(page)
        fits(page)


def test_the_reviewer_marks_an_answer_handled_by_keyboard(feedback_server, reviewer_page, new_page):
    family = new_page()
    family.goto(f"{feedback_server.url}/es/tests")
    family.check("#feedback-partly")
    family.fill("#feedback-text", "¿Qué es una punción lumbar?")
    with family.expect_navigation():
        family.click(".page-feedback button[type=submit]")
    page = reviewer_page("es")
    page.goto(f"{feedback_server.url}/review/es/")
    item = page.locator(".feedback-list li", has_text="¿Qué es una punción lumbar?")
    assert item.count() == 1
    tab_to(page, f"#{item.get_attribute('id')} button")
    assert page.evaluate("document.activeElement.textContent").startswith("Mark as handled")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".flash", has_text="Marked as handled.").count() == 1
    assert page.locator(".feedback-list li", has_text="¿Qué es una punción lumbar?").count() == 0
    axe_clean(page)
