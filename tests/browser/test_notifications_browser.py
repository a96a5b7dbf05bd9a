"""The account page's e-mail notification settings in a real browser: axe-core (WCAG 2.2 AA) at
1280 and 320 CSS px, with a refused address tied to its field, and no sideways scrolling."""
from __future__ import annotations

import pytest

from tests.browser.test_accessibility import NARROW
from tests.browser.test_staff_accessibility import axe_clean, staff_page, staff_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, NARROW["width"]], ids=["wide", "320px"])
def test_the_notification_settings_pass_axe_and_show_a_refused_address(staff_page, staff_server, width):  # noqa: F811
    page = staff_page("browser-translator", width=width)  # translator for es, reviewer for ar: every kind
    assert page.goto(f"{staff_server.url}/account").status == 200
    assert page.locator("#mail-off").count() == 1  # the test server has no mail server
    legends = page.locator("form[action='/account/notifications'] legend").all_inner_texts()
    assert "Comments on texts you wrote" in legends and any("waiting for review" in text for text in legends)
    assert page.locator("input[name=notify-rejection][value=each]").is_checked()
    axe_clean(page)
    page.fill("#email", "not an address")
    with page.expect_navigation():
        page.get_by_role("button", name="Save e-mail settings").click()
    assert "is not an e-mail address" in page.locator("[role=alert]").inner_text()
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    axe_clean(page)
    if width == NARROW["width"]:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the account page scrolls sideways at 320 px by {overflow} px"
