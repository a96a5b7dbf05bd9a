"""The About page and the urgent-help box in a real browser (issue 14): axe-core (WCAG 2.2 A/AA) in
every locale, at full width and at 320 CSS px, no sideways scrolling, right to left in Arabic, and
the box named by its heading and told apart by a thick border, not by colour alone."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.locales import LOCALES
from tests.browser.conftest import publish_everything, serve
from tests.browser.test_accessibility import AXE_OPTIONS, NARROW, assert_no_horizontal_scroll, describe_violations
from tests.conftest import close_app, make_app

pytestmark = pytest.mark.browser

TAGS = [loc.tag for loc in LOCALES]
SLUGS = ["about", "infections"]
# Long values, as an organisation may give them: they must wrap at 320 px too.
ORGANISATION = {
    "ORGANISATION_NAME": "Children's Hematology and Oncology Family Resource Programme",
    "ORGANISATION_ADDRESS": "Building 7, 1234 Very Long Hospital Campus Road\nSpringfield, ST 00000",
    "ORGANISATION_PHONE": "+1 555 010 0100",
    "ORGANISATION_EMAIL": "family.information.and.resources@children-hospital.example.org",
    "ORGANISATION_WEBSITE": "https://children-hospital.example.org/family-resources/relapsed-leukemia-guide",
}
SERVERS = ["approved", "organisation"]

_axe = Axe()


@pytest.fixture(scope="module")
def organisation_server(tmp_path_factory, empty_catalogs):
    """Untranslated catalogs (English blocks labelled lang="en") and a publisher with every detail set."""
    app = make_app(tmp_path_factory.mktemp("organisation"), empty_catalogs, **ORGANISATION)
    publish_everything(app)
    yield from serve("organisation", app)
    close_app(app)


@pytest.fixture
def server(request):
    return request.getfixturevalue(f"{request.param}_server")


def check_axe(page) -> None:
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        report = describe_violations(violations)
        pytest.fail(f"axe found {len(violations)} violation(s) on {page.url}:\n{report}", pytrace=False)


# The organisation server has no translation: in Spanish, Vietnamese and Chinese its pages are the
# same English words, only <html lang> differs; English, left to right (es) and right to left (ar).
ORGANISATION_TAGS = ("en", "es", "ar")
CASES = [(server, tag, slug) for server in SERVERS for tag in TAGS for slug in SLUGS
         if server != "organisation" or tag in ORGANISATION_TAGS]
IDS = [f"{s}-{t}-{p}" for s, t, p in CASES]


# At full width the approved server's infections page is checked by test_accessibility already.
WIDE_CASES = [(server, tag, slug) for server, tag, slug in CASES if not (server == "approved" and slug == "infections")]


@pytest.mark.parametrize("server, tag, slug", WIDE_CASES, indirect=["server"], ids=[f"{s}-{t}-{p}" for s, t, p in WIDE_CASES])
def test_axe_finds_no_wcag_violations(open_page, server, tag, slug):
    page = open_page(f"{server.url}/{tag}/{slug}")
    check_axe(page)


@pytest.mark.parametrize("server, tag, slug", CASES, indirect=["server"], ids=IDS)
def test_at_320_px_no_sideways_scroll_and_no_wcag_violations(open_page, server, tag, slug):
    page = open_page(f"{server.url}/{tag}/{slug}", **NARROW)
    assert page.evaluate("window.innerWidth") == 320
    assert_no_horizontal_scroll(page)
    check_axe(page)


BOX_JS = """(box) => {
  const s = getComputedStyle(box), r = box.getBoundingClientRect();
  const m = document.querySelector('.wrap').getBoundingClientRect();
  return {border: ['Top', 'Right', 'Bottom', 'Left'].map(side => parseFloat(s['border' + side + 'Width'])),
          style: s.borderTopStyle, left: r.left, right: r.right, width: window.innerWidth,
          direction: s.direction};
}"""


@pytest.mark.parametrize("tag", TAGS)
def test_the_urgent_box_is_a_named_note_with_a_thick_border(open_page, organisation_server, tag):
    page = open_page(f"{organisation_server.url}/{tag}/infections", **NARROW)
    notes = page.get_by_role("note", name="Get help fast")
    assert notes.count() == 2, "near the top of the infections page, and in the footer"
    for index in range(2):
        box = notes.nth(index)
        assert box.is_visible()
        found = box.evaluate(BOX_JS)
        assert found["style"] == "solid" and min(found["border"]) >= 3, found
        assert 0 <= found["left"] and found["right"] <= found["width"], found
        assert found["direction"] == ("rtl" if tag == "ar" else "ltr")
    # The one in the page comes before the page's first section.
    first = page.locator("main .urgent-help").bounding_box()
    section = page.locator("main h2:not(.urgent-help-heading)").first.bounding_box()
    assert first["y"] < section["y"]


def test_the_contact_links_work_in_a_browser(open_page, organisation_server):
    page = open_page(f"{organisation_server.url}/ar/about", **NARROW)
    link = page.locator("main .publisher-contact a[href^='mailto:']").first
    assert link.get_attribute("href") == f"mailto:{ORGANISATION['ORGANISATION_EMAIL']}"
    footer_about = page.locator("footer a[href='/ar/about']")
    assert footer_about.count() == 1 and footer_about.is_visible()
