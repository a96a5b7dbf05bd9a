"""Working fast by keyboard (issue 15, "Flow") in a real browser:

* the keyboard flow with static/staff-keys.js (Ctrl+Enter: save and next; Alt+arrows: previous
  and next) and without JavaScript at all (Tab and Enter reach "Save and next");
* focus on the error summary after a refused save;
* English and translation side by side at 1280 px, no sideways scrolling at 320 px;
* axe-core (WCAG 2.2 AA) on the changed pages;
* the keystrokes of one approval and of one save-and-next, counted the same way as before the change.

How keystrokes are counted (``fewest_keys_to``): from a freshly loaded page, the fewer of (a) Tab
pressed until the wanted element has focus, and (b) Tab and Enter on the "Skip to main content" link,
then Tab until it has focus; plus one key for the Enter (or Ctrl+Enter) that acts. Typing the
translation itself is not counted; every Tab, Shift+Tab and Enter is.

Before this change (measured on commit fb496d9 with the same method, same messages):
one approval from the queue page = 18 keys (12 to open the first message, 6 to approve), and the
reviewer then stood on the queue again; one save and getting to the next message = 28 keys (7 to
save, then 21: back to the list, which lost its filter, and Tab down to the next message).
"""
from __future__ import annotations

import re

import pytest

from portal.people.accounts import create_user
from portal.translation import units
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_staff_accessibility import axe_clean
from tests.conftest import PASSWORD, ROOT, close_app, make_app

pytestmark = pytest.mark.browser

BEFORE = {"approval": 18, "save_and_next": 28}
# The first approval costs 4 keys more than before: the "Next message" link on the review page, the
# queue's "What families said" jump link, and the two links of "On the family page" (preview in
# context, review the whole page) that stand before the decision, as a reviewer reads them. Every
# approval after it costs 9 instead of 18, the reviewer being on the next message already. The queue
# lists its messages before the "Review a page at once" list, so that list costs no keys here.
# Save and next: "Save" stays the first button, "Save and next" is one Tab after it (9 keys), or
# Ctrl+Enter in the box (6 keys).
AFTER = {"approval": 22, "next_approval": 9, "save_and_next_no_js": 9, "save_and_next_with_js": 6}

PEOPLE = {"fl-rita": [("reviewer", "es")], "fl-tina": [("translator", "es"), ("translator", "ar")]}


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory):
    """The shipped drafts (nothing approved, so the queue is full), a reviewer and a translator."""
    folder = tmp_path_factory.mktemp("flow")
    app = make_app(folder, ROOT / "translations")
    app.instance_path = str(folder / "instance")
    with app.extensions["db"]() as session:
        for username, roles in PEOPLE.items():
            create_user(session, username, PASSWORD, display_name=username, roles=roles)
        session.commit()  # domain code only flushes; this fixture is the unit of work
    yield from serve("flow", app)
    close_app(app)


@pytest.fixture
def person(browser, flow_server):
    """``person(username, width=1280, js=True)``: a fresh context, logged in."""
    contexts = []

    def open_(username: str, width: int = 1280, js: bool = True):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=js)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{flow_server.url}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        assert page.url.endswith("/staff/"), page.url
        return page

    yield open_
    for context in contexts:
        context.close()


def _list(app, code: str = "es", **options) -> list:
    with app.extensions["db"]() as session:
        shown, _ = units.page(session, code, limit=50, **options)
        return [(unit.mid, unit.msgid, unit.forms) for unit in shown]


def tabs_until(page, condition: str, limit: int = 300) -> int:
    for count in range(1, limit):
        page.keyboard.press("Tab")
        if page.evaluate(condition):
            return count
    raise AssertionError(f"never reached by Tab: {condition}")


def fewest_keys_to(page, condition: str) -> int:
    """Keys to focus what ``condition`` names from a fresh load of this page (see the module's
    docstring); the page is left with that element focused."""
    url = page.url.split("#")[0]
    direct = tabs_until(page, condition)
    page.goto(url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    via_skip = 2 + tabs_until(page, condition)
    if direct <= via_skip:
        page.goto(url)
        tabs_until(page, condition)
        return direct
    return via_skip


FOCUS_FIRST_MESSAGE = "document.activeElement.matches('ol.message-list a')"
FOCUS_APPROVE = "document.activeElement.matches('button.button-approve')"
FOCUS_BOX = "document.activeElement.id == 'form0'"
FOCUS_SAVE_NEXT = "document.activeElement.matches('button[name=then][value=next]')"


def test_keystrokes_for_one_approval(person, flow_server):
    page = person("fl-rita")
    page.goto(f"{flow_server.url}/review/es/")
    keys = fewest_keys_to(page, FOCUS_FIRST_MESSAGE)
    first = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keys += 1
    keys += fewest_keys_to(page, FOCUS_APPROVE)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keys += 1
    assert "Approved and published" in page.locator(".flash").inner_text()
    assert "/review/es/m/" in page.url and first.split("?")[0] not in page.url  # on the next message
    # The next approval starts where the last ended: on its message.
    page.goto(page.url.split("#")[0])
    following = fewest_keys_to(page, FOCUS_APPROVE) + 1
    print(f"\nkeystrokes, one approval from the queue: before {BEFORE['approval']}, after {keys}; "
          f"each next approval: {following} (before: {BEFORE['approval']}, back on the queue each time)")
    assert keys == AFTER["approval"] and following == AFTER["next_approval"]


def test_keystrokes_for_one_save_and_next(person, flow_server):
    listed = _list(flow_server.app)
    (first, english, forms), (second, _, _) = listed[0], listed[1]
    counts = {}
    for js in (False, True):
        page = person("fl-tina", js=js)
        page.goto(f"{flow_server.url}/translate/es/m/{first}")
        keys = fewest_keys_to(page, FOCUS_BOX)
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(forms[0] or english)  # the translation: not counted
        with page.expect_navigation():
            if js:
                page.keyboard.press("Control+Enter")
            else:
                keys += tabs_until(page, FOCUS_SAVE_NEXT)
                page.keyboard.press("Enter")
        keys += 1
        assert f"/translate/es/m/{second}" in page.url, page.url
        assert "Saved." in page.locator(".flash").inner_text()
        counts[js] = keys
    print(f"\nkeystrokes, one save and the next message: before {BEFORE['save_and_next']}, after "
          f"{counts[False]} without JavaScript, {counts[True]} with Ctrl+Enter")
    assert counts[False] == AFTER["save_and_next_no_js"] and counts[True] == AFTER["save_and_next_with_js"]


def test_alt_arrows_go_to_previous_and_next_and_keep_the_filter(person, flow_server):
    listed = _list(flow_server.app, query="child")
    page = person("fl-tina")
    page.goto(f"{flow_server.url}/translate/es/m/{listed[2][0]}?q=child")
    page.keyboard.press("Alt+ArrowRight")
    page.wait_for_url(re.compile(rf"/translate/es/m/{listed[3][0]}\?q=child$"))
    page.keyboard.press("Alt+ArrowLeft")
    page.wait_for_url(re.compile(rf"/translate/es/m/{listed[2][0]}\?q=child$"))
    # Not while the box has unsaved changes: nothing typed is lost.
    page.focus("#form0")
    page.keyboard.type(" cambio")
    page.keyboard.press("Alt+ArrowRight")
    page.wait_for_timeout(300)
    assert f"/m/{listed[2][0]}" in page.url
    assert page.locator("details.key-hint summary").inner_text() == "Keyboard shortcuts"
    # The reviewer has navigation shortcuts only: Ctrl+Enter in a reason box records nothing.
    rita = person("fl-rita")
    rita.goto(f"{flow_server.url}/review/es/")
    with rita.expect_navigation():
        rita.locator("ol.message-list a").nth(1).click()
    rita.wait_for_load_state("load")
    at = rita.url
    rita.keyboard.press("Alt+ArrowRight")
    rita.wait_for_url(lambda url: url != at)
    rita.keyboard.press("Alt+ArrowLeft")
    rita.wait_for_url(at)
    rita.focus("#reject-reason")
    rita.keyboard.type("Una razón")
    rita.keyboard.press("Control+Enter")
    rita.wait_for_timeout(300)
    assert rita.url == at and rita.locator(".flash").count() == 0


def test_without_javascript_tab_and_enter_save_and_go_next(person, flow_server):
    listed = _list(flow_server.app, query="leukemia")
    page = person("fl-tina", js=False)
    page.goto(f"{flow_server.url}/translate/es/m/{listed[0][0]}?q=leukemia")
    tabs_until(page, FOCUS_BOX)
    tabs_until(page, FOCUS_SAVE_NEXT)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/translate/es/m/{listed[1][0]}?q=leukemia")
    tabs_until(page, "document.activeElement.matches('a[rel=prev]')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/translate/es/m/{listed[0][0]}?q=leukemia")


@pytest.mark.parametrize("js", [True, False])
def test_a_refused_save_puts_the_focus_on_the_error_summary(person, flow_server, js):
    with flow_server.app.extensions["db"]() as session:
        unit = next(u for u in session.scalars(units.live("es").where(units.Unit.msgid_plural == ""))
                    if re.search(r"\b\d{2}\b", u.msgid) and "](" not in u.msgid and "%" not in u.msgid)
    number = re.search(r"\b\d{2}\b", unit.msgid).group()
    page = person("fl-tina", js=js)
    page.goto(f"{flow_server.url}/translate/es/m/{unit.mid}")
    page.fill("#form0", unit.msgid.replace(number, str(int(number) + 1)))
    with page.expect_navigation():
        page.click("button[data-key=save]")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "Use the same number." in page.locator("#error-summary").inner_text()
    assert page.get_attribute("#form0", "aria-invalid") == "true"
    if js:
        axe_clean(page)
        page.keyboard.press("Tab")  # the summary's link leads to the box
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#form0"


def test_side_by_side_wide_and_no_sideways_scroll_narrow(person, flow_server):
    listed = _list(flow_server.app, query="treatment")
    page = person("fl-tina")
    page.goto(f"{flow_server.url}/translate/es/m/{listed[0][0]}")
    english = page.locator("#english-heading").bounding_box()
    translation = page.locator("#translation-heading").bounding_box()
    assert translation["x"] > english["x"] + 300 and abs(translation["y"] - english["y"]) < 5
    assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1000
    rita = person("fl-rita")
    rita.goto(f"{flow_server.url}/review/es/")
    with rita.expect_navigation():
        rita.locator("ol.message-list a").first.click()
    english = rita.locator("#english-heading").bounding_box()
    translation = rita.locator("#translation-heading").bounding_box()
    assert translation["x"] > english["x"] + 300 and abs(translation["y"] - english["y"]) < 5
    review_url = rita.url
    for who, url in ((person("fl-tina", width=320), f"{flow_server.url}/translate/es/m/{listed[0][0]}"),
                     (person("fl-tina", width=320), f"{flow_server.url}/translate/es/?q=treatment"),
                     (person("fl-rita", width=320), review_url),
                     (person("fl-rita", width=320), f"{flow_server.url}/review/es/")):
        who.goto(url)
        assert who.evaluate("document.documentElement.scrollWidth") <= 320, url
        stacked = who.locator("#english-heading")
        if stacked.count():
            assert who.locator("#translation-heading").bounding_box()["y"] > stacked.bounding_box()["y"]


def test_axe_on_the_changed_pages(person, flow_server):
    listed = _list(flow_server.app)
    tina = person("fl-tina")
    for url in (f"/translate/es/m/{listed[5][0]}?q=", "/translate/es/?state=awaiting",
                f"/translate/ar/m/{_list(flow_server.app, 'ar', query='%(date)s')[0][0]}"):
        tina.goto(flow_server.url + url)
        axe_clean(tina)
    rita = person("fl-rita")
    rita.goto(f"{flow_server.url}/review/es/?show=new")
    axe_clean(rita)
    with rita.expect_navigation():
        rita.locator("ol.message-list a").nth(3).click()
    axe_clean(rita)
    with rita.expect_navigation():
        rita.click("button.button-reject")  # no reason: the app's own message, not the browser's bubble
    assert rita.title().startswith("Error: ")
    assert "Give a reason" in rita.locator("#error-summary").inner_text()
    assert rita.get_attribute("#reject-reason", "aria-invalid") == "true"
    axe_clean(rita)
    gap = rita.evaluate("""() => {
      const a = document.querySelector('.decision-approve'), r = document.querySelector('.decision-reject');
      if (!a || !r) return 999;
      const x = a.getBoundingClientRect(), y = r.getBoundingClientRect();
      return Math.max(y.left - x.right, y.top - x.bottom, x.left - y.right, x.top - y.bottom);
    }""")
    assert gap >= 24
    page = person("fl-tina")
    page.goto(f"{flow_server.url}/account")
    page.click("main button[type=submit]")
    assert page.title().startswith("Error: ") and page.evaluate("document.activeElement.id") == "error-summary"
    axe_clean(page)
