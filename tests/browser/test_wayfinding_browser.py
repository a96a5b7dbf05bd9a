"""Finding the way in a real browser (issue 14): the glossary with its letter index, a page with
"On this page" and previous/next topic, and search results, in every language (Arabic right to left),
with axe-core (the same WCAG tags as test_accessibility.py) at 320 CSS px, and searching with the
keyboard alone."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from portal.locales import LOCALES
from tests.browser.test_accessibility import (
    AXE_OPTIONS,
    FALLBACK_TAGS,
    NARROW,
    _axe,
    assert_no_horizontal_scroll,
    describe_violations,
)

pytestmark = pytest.mark.browser

TAGS = [loc.tag for loc in LOCALES]
SERVERS = ["approved", "fallback"]


def first_word(page) -> str:
    """A word the page's own title shows (for Chinese, its first two characters): found by search."""
    title = page.locator("main h1").inner_text().strip()
    word = title.split()[0].strip("¿?:,.")
    return word[:2] if any("\u4e00" <= c <= "\u9fff" for c in word) else word


def assert_axe_clean(page):
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        report = describe_violations(violations)
        pytest.fail(f"axe found {len(violations)} violation(s) on {page.url}:\n{report}", pytrace=False)


# English pages read no catalog: the same on both servers, checked once (on "approved").
# On the untranslated server the pages are the same English words in every language but <html lang>:
# left to right (es) and right to left (ar), as in test_accessibility.
CASES = [(server, tag) for server in SERVERS for tag in TAGS if server != "fallback" or tag in FALLBACK_TAGS]


@pytest.mark.parametrize("server, tag", CASES, indirect=["server"], ids=[f"{s}-{t}" for s, t in CASES])
def test_glossary_page_and_search_pass_axe_at_320_px(open_page, server, tag):
    glossary = open_page(f"{server.url}/{tag}/glossary", **NARROW)
    assert glossary.locator("nav.glossary-index a").count() > 3
    assert glossary.evaluate("document.documentElement.dir") == ("rtl" if tag == "ar" else "ltr")
    assert_axe_clean(glossary)
    assert_no_horizontal_scroll(glossary)

    page = open_page(f"{server.url}/{tag}/treatment", **NARROW)
    assert page.locator("nav.on-this-page a").count() >= 3
    assert page.locator("nav.topic-nav a[rel=prev]").count() == 1
    assert page.locator("nav.topic-nav a[rel=next]").count() == 1
    assert_axe_clean(page)
    assert_no_horizontal_scroll(page)

    results = open_page(f"{server.url}/{tag}/search?q={quote(first_word(page))}", **NARROW)
    assert results.locator("ol.search-results li").count() >= 1
    assert results.locator("ol.search-results mark").count() >= 1
    assert_axe_clean(results)
    assert_no_horizontal_scroll(results)

    nothing = open_page(f"{server.url}/{tag}/search?q=zzqqxx", **NARROW)
    assert nothing.locator("ol.search-results").count() == 0
    assert_axe_clean(nothing)
    assert_no_horizontal_scroll(nothing)


@pytest.mark.parametrize("tag", ["en", "ar", "zh-Hans"])
def test_search_with_the_keyboard_alone(open_page, approved_server, tag):
    page = open_page(f"{approved_server.url}/{tag}/outlook")
    word = first_word(page)
    for _ in range(20):  # Tab through the header to the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site-search":
            break
    else:
        pytest.fail("Tab never reached the search box")
    page.keyboard.type(word)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"/{tag}/search?q=" in page.url
    first = page.locator("ol.search-results a").first
    assert first.count() == 1
    first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    target = page.evaluate("location.hash")
    if target:  # a block of the page: it exists there
        assert page.locator(target).count() == 1
