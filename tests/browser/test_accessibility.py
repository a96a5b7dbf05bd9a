"""What families' browsers do with the pages: axe-core (WCAG 2.2 A/AA), right-to-left
layout, reflow at 320 CSS px, text spacing, keyboard, target size, fonts and print.

Run just these with ``pytest -m browser``; leave them out with ``-m "not browser"``.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.families.content import load_pages
from portal.locales import LOCALES
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SLUGS = list(load_pages(ROOT / "content"))
TAGS = [loc.tag for loc in LOCALES]
MISSING = "no-such-page"
PAGES = [""] + SLUGS + [MISSING]  # the index, every content page (glossary too), a 404 page
SERVERS = ["approved", "fallback"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
NARROW = {"width": 320, "height": 640}

# The WCAG 1.4.12 text-spacing bookmarklet's values.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""

_axe = Axe()


def page_id(slug: str) -> str:
    return {"": "index", MISSING: "404"}.get(slug, slug)


def url_of(server, tag: str, slug: str) -> str:
    return f"{server.url}/{tag}/{slug}"


def status_of(slug: str) -> int:
    return 404 if slug == MISSING else 200


def open_family_page(open_page, server, tag, slug, **kwargs):
    return open_page(url_of(server, tag, slug), status=status_of(slug), **kwargs)


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"]:
            lines.append(f"    target {node['target']}: {(node.get('failureSummary') or '').strip()!r}")
            lines.append(f"      html: {node.get('html', '')[:200]}")
    return "\n".join(lines)


# --- axe-core on every page, every locale, both servers ------------------------------------

# The "approved" server: every page in every language. The "fallback" server has no translation at
# all, so its pages in Spanish, Vietnamese and Chinese are the same English blocks and notice and
# differ only in <html lang>, which the approved server's run checks in every language: there it is
# checked left to right (es) and right to left (ar). English reads no catalog: checked once.
FALLBACK_TAGS = ("es", "ar")
AXE_CASES = ([("approved", tag, slug) for tag in TAGS for slug in PAGES]
             + [("fallback", tag, slug) for tag in FALLBACK_TAGS for slug in PAGES])


@pytest.mark.parametrize("server, tag, slug", AXE_CASES, indirect=["server"],
                         ids=[f"{s}-{t}-{page_id(p)}" for s, t, p in AXE_CASES])
def test_axe_finds_no_wcag_violations(open_page, server, tag, slug):
    page = open_family_page(open_page, server, tag, slug)
    if server.name == "fallback" and tag != "en" and slug != MISSING:
        # The untranslated server really shows English blocks, labelled, with the notice.
        assert page.locator("main [lang='en']").count() > 0
        assert page.locator("main .notice").count() == 1
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        report = describe_violations(violations)
        print(f"{page.url}\n{report}")
        pytest.fail(f"axe found {len(violations)} violation(s) on {page.url}:\n{report}", pytrace=False)


# --- right to left ------------------------------------------------------------------------

LINES_JS = """(selector) => {
  const el = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(el);
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const inner = {left: box.left + parseFloat(style.paddingLeft), right: box.right - parseFloat(style.paddingRight)};
  const lines = [...range.getClientRects()].filter(r => r.width > 1);
  return {box: inner, left: Math.min(...lines.map(r => r.left)), right: Math.max(...lines.map(r => r.right)),
          main: (() => { const m = document.querySelector('main'); const r = m.getBoundingClientRect();
                         const s = getComputedStyle(m);
                         return {left: r.left + parseFloat(s.paddingLeft), right: r.right - parseFloat(s.paddingRight)}; })()};
}"""


@pytest.mark.parametrize("slug", ["", "outlook", "glossary"], ids=page_id)
def test_arabic_is_right_to_left_and_mirrored(open_page, approved_server, slug):
    page = open_page(url_of(approved_server, "ar", slug))
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    h1 = page.evaluate(LINES_JS, "h1")
    # The heading starts at the right edge of the content column and leaves room on the left.
    assert abs(h1["box"]["right"] - h1["main"]["right"]) <= 1, h1
    assert abs(h1["right"] - h1["box"]["right"]) <= 2, f"h1 text is not aligned right: {h1}"
    assert h1["left"] - h1["box"]["left"] > 10, f"h1 text fills or starts at the left: {h1}"


def test_english_heading_is_aligned_left_for_comparison(open_page, approved_server):
    page = open_page(url_of(approved_server, "en", ""))
    h1 = page.evaluate(LINES_JS, "h1")
    assert abs(h1["left"] - h1["box"]["left"]) <= 2, h1
    assert h1["box"]["right"] - h1["right"] > 10, h1


LIST_JS = """(selector) => {
  const list = document.querySelector(selector);
  const item = list.querySelector('li');
  const s = getComputedStyle(list);
  const l = list.getBoundingClientRect(), i = item.getBoundingClientRect();
  return {paddingLeft: parseFloat(s.paddingLeft), paddingRight: parseFloat(s.paddingRight),
          gapLeft: i.left - l.left, gapRight: l.right - i.right, position: getComputedStyle(item).listStylePosition};
}"""


@pytest.mark.parametrize("tag, start", [("ar", "Right"), ("en", "Left")])
def test_list_bullets_sit_at_the_start_side(open_page, approved_server, tag, start):
    page = open_page(url_of(approved_server, tag, "outlook"))
    lst = page.evaluate(LIST_JS, "main article ul")
    end = "Left" if start == "Right" else "Right"
    assert lst[f"padding{start}"] >= 16 and lst[f"padding{end}"] == 0, lst
    assert lst[f"gap{start}"] >= 16 and lst[f"gap{end}"] <= 1, lst  # room for the bullet at the start
    assert lst["position"] == "outside"


def test_english_items_in_an_arabic_list_keep_their_bullets_on_the_page(open_page, fallback_server):
    page = open_page(url_of(fallback_server, "ar", "outlook"), **NARROW)
    gaps = page.evaluate("""() => [...document.querySelectorAll('main ul > li[dir="ltr"], main ol > li[dir="ltr"]')]
        .map(li => li.getBoundingClientRect().left - li.parentElement.getBoundingClientRect().left)""")
    assert gaps and min(gaps) >= 16, f"no room for the bullet on the left of English items: {gaps}"


def test_arabic_notice_border_is_on_the_right(open_page, fallback_server):
    page = open_page(url_of(fallback_server, "ar", "outlook"))
    widths = page.evaluate("""() => { const s = getComputedStyle(document.querySelector('.notice'));
                                      return [parseFloat(s.borderRightWidth), parseFloat(s.borderLeftWidth)]; }""")
    assert widths == [6, 0]


# --- reflow (1.4.10) and text spacing (1.4.12) --------------------------------------------

OVERFLOW_JS = """() => {
  const doc = document.documentElement, width = window.innerWidth;
  const wide = [];  // boxes outside the viewport, or content running out of its box sideways
  for (const el of document.querySelectorAll('body *')) {
    if (el.classList.contains('skip-link')) continue;
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    const outside = r.width && (r.right > width + 0.5 || r.left < -0.5);
    const spills = s.display !== 'inline' && s.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1;
    if (outside || spills) wide.push(el);
  }
  const innermost = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  return {scrollWidth: doc.scrollWidth, innerWidth: width, culprits: innermost.slice(0, 10).map(el => {
    const r = el.getBoundingClientRect();
    return `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} [${Math.round(r.left)}, ` +
           `${Math.round(r.right)}] scrollWidth ${el.scrollWidth}: ${el.textContent.trim().slice(0, 40)}`; })};
}"""

# Reflow (WCAG 1.4.10) and text spacing (1.4.12) at 320 CSS px, on one load of each page: first as
# it comes, then with the text-spacing bookmarklet's styles. The untranslated Arabic pages (English
# blocks inside right-to-left text) get the reflow check too.
SPACING_CASES = [(tag, slug) for tag in ("en", "ar", "zh-Hans") for slug in PAGES]
REFLOW_ONLY_CASES = [("fallback", "ar", slug) for slug in PAGES]


def assert_no_horizontal_scroll(page):
    result = page.evaluate(OVERFLOW_JS)
    assert result["scrollWidth"] <= result["innerWidth"], (
        f"{page.url} scrolls sideways at {result['innerWidth']}px: scrollWidth {result['scrollWidth']}; "
        f"wider elements: {result['culprits'] or 'none; look at list markers and pseudo-elements'}")


@pytest.mark.parametrize("server, tag, slug", REFLOW_ONLY_CASES, indirect=["server"],
                         ids=[f"{s}-{t}-{page_id(p)}" for s, t, p in REFLOW_ONLY_CASES])
def test_reflow_at_320_css_pixels(open_page, server, tag, slug):
    page = open_family_page(open_page, server, tag, slug, **NARROW)
    assert page.evaluate("window.innerWidth") == 320
    assert_no_horizontal_scroll(page)


CLIPPED_JS = """() => {
  const clipped = [];
  const hides = v => v === 'hidden' || v === 'clip';
  for (const el of document.querySelectorAll('body *')) {
    const hasText = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const s = getComputedStyle(el);
    if (!hasText || s.display === 'none' || s.display === 'inline' || s.display === 'contents') continue;
    const spillsY = el.scrollHeight > el.clientHeight + 1, spillsX = el.scrollWidth > el.clientWidth + 1;
    const clips = (hides(s.overflowY) && spillsY) || (hides(s.overflowX) && spillsX)
                  || s.textOverflow === 'ellipsis' && spillsX;
    // Text running out of its box (a fixed height with visible overflow) overlaps what follows.
    const spills = !clips && spillsY && s.overflowY === 'visible';
    if (clips || spills)
      clipped.push(`${el.tagName.toLowerCase()}.${el.className} scroll ${el.scrollWidth}x${el.scrollHeight} ` +
                   `client ${el.clientWidth}x${el.clientHeight} overflow ${s.overflowX}/${s.overflowY}: ` +
                   el.textContent.trim().slice(0, 40));
  }
  return clipped;
}"""

# The user's own style sheet is not the site's to forbid: a constructed style sheet (CSSOM) is
# not subject to the page's Content Security Policy, so the page keeps its CSP while it applies.
ADD_USER_STYLES_JS = """(css) => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                                   document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }"""


@pytest.mark.parametrize("tag, slug", SPACING_CASES, ids=[f"{t}-{page_id(p)}" for t, p in SPACING_CASES])
def test_reflow_and_text_spacing_at_320_css_pixels(open_page, approved_server, tag, slug):
    page = open_family_page(open_page, approved_server, tag, slug, **NARROW)
    assert page.evaluate("window.innerWidth") == 320
    assert_no_horizontal_scroll(page)
    page.evaluate(ADD_USER_STYLES_JS, TEXT_SPACING)
    spacing = page.evaluate("""() => { const s = getComputedStyle(document.querySelector('main p'));
                                       return [parseFloat(s.letterSpacing), parseFloat(s.fontSize)]; }""")
    assert spacing[0] == pytest.approx(0.12 * spacing[1], abs=0.05), "the text-spacing styles did not apply"
    assert_no_horizontal_scroll(page)
    clipped = page.evaluate(CLIPPED_JS)
    assert not clipped, f"{page.url}: text is cut off with the text-spacing styles: {clipped}"


# --- keyboard -----------------------------------------------------------------------------

FOCUSED_JS = """() => {
  const el = document.activeElement;
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, href: el.getAttribute('href'),
          inMain: !!el.closest('main'), box: {left: r.left, top: r.top, right: r.right, bottom: r.bottom},
          viewport: {width: innerWidth, height: innerHeight},
          outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth)};
}"""


def assert_visible_focus(focused):
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, f"no visible focus ring: {focused}"


@pytest.mark.parametrize("tag, slug, width", [("en", "treatment", 1280), ("ar", "treatment", 1280),
                                              ("ar", "", 320), ("zh-Hans", "glossary", 320)])
def test_skip_link_is_first_visible_and_moves_focus_to_main(open_page, approved_server, tag, slug, width):
    page = open_page(url_of(approved_server, tag, slug), width=width, height=640)
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED_JS)
    assert "skip-link" in focused["cls"] and focused["href"] == "#main", f"Tab went to {focused}"
    box, view = focused["box"], focused["viewport"]
    assert box["left"] >= 0 and box["top"] >= 0 and box["right"] <= view["width"] \
        and box["bottom"] <= view["height"], f"focused skip link is off screen: {focused}"
    assert_visible_focus(focused)
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'", timeout=5000)
    # The next Tab continues inside the main content, with a visible focus ring.
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED_JS)
    assert focused["inMain"] and focused["tag"] == "a", f"Tab after the skip link went to {focused}"
    assert_visible_focus(focused)


# --- target size (2.5.8) ------------------------------------------------------------------

@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("tag", TAGS)
def test_switcher_and_topic_links_are_at_least_24px(open_page, approved_server, tag, width):
    page = open_page(url_of(approved_server, tag, "treatment"), width=width, height=800)
    boxes = page.evaluate("""() => [...document.querySelectorAll('.languages a, .topics a')].map(a => {
        const r = a.getBoundingClientRect(); return {text: a.textContent.trim(), width: r.width, height: r.height}; })""")
    assert len(boxes) == len(LOCALES) + len(SLUGS)
    small = [b for b in boxes if b["width"] < 24 or b["height"] < 24]
    assert not small, f"targets under 24x24 CSS px: {small}"


# --- fonts --------------------------------------------------------------------------------

@pytest.mark.parametrize("tag, font", [("zh-Hans", "Noto Sans CJK SC"), ("ar", "Noto Naskh Arabic")])
def test_script_has_a_suitable_font_stack(open_page, approved_server, fallback_server, tag, font):
    page = open_page(url_of(approved_server, tag, "treatment"))
    families = page.evaluate("""() => ['body', 'main h1', 'main p', '.site-footer p']
        .map(sel => getComputedStyle(document.querySelector(sel)).fontFamily)""")
    assert all(font in family for family in families), families
    # English shown inside such a page (not yet reviewed) gets the Latin stack, not the script's.
    page = open_page(url_of(fallback_server, tag, "treatment"))
    english = page.evaluate("getComputedStyle(document.querySelector('main p[lang=\"en\"]')).fontFamily")
    assert font not in english and english.startswith("system-ui"), english


def test_english_font_stack_has_no_cjk_or_arabic_first(open_page, approved_server):
    page = open_page(url_of(approved_server, "en", "treatment"))
    family = page.evaluate("getComputedStyle(document.querySelector('main p')).fontFamily")
    assert family.startswith("system-ui") and "CJK" not in family and "Arabic" not in family


# --- print --------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["en", "ar"])
def test_print_hides_navigation_and_keeps_the_questions(open_page, approved_server, tag):
    page = open_page(url_of(approved_server, tag, "questions"))
    page.emulate_media(media="print")
    display = page.evaluate("""() => Object.fromEntries(
        ['.skip-link', '.site-header nav.languages', '.site-footer nav'].map(sel =>
            [sel, getComputedStyle(document.querySelector(sel)).display]))""")
    assert display == {".skip-link": "none", ".site-header nav.languages": "none", ".site-footer nav": "none"}
    questions = page.locator("main article ol > li")
    assert questions.count() >= 10
    assert questions.first.is_visible() and questions.last.is_visible()
    assert page.locator("main h1").is_visible()
    page.emulate_media(media="screen")
    assert page.locator(".site-header nav.languages").is_visible()
