"""The translator workspace in a real browser: filtering and editing by keyboard alone with
visible focus, conflicting saves in two browsers, the Poedit download/upload round trip,
the Arabic editor's direction, and axe-core (WCAG 2.2 AA) on every workspace page."""
from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from portal.people.accounts import create_user, find_user
from portal.translation import units, uploads
from portal.translation.checks import Terms
from portal.translation.files import entry_of
from portal.translation.identity import message_id, message_key
from portal.translation.models import STATES
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_staff_accessibility import axe_clean, log_in_by_keyboard
from tests.conftest import PASSWORD, ROOT, close_app, make_app

pytestmark = pytest.mark.browser

USERS = {"ws-ana": ("Ana Translator", [("translator", "es"), ("translator", "ar")]),
         "ws-ben": ("Ben Translator", [("translator", "es")])}

# Messages each test works on (distinct, so the tests do not step on each other).
EDIT = "Chaplain"
KEEP_MINE, KEEP_THEIRS = "Anxiety", "Depression"
UPLOADED = "Constipation"
NEW, CHANGED, CONFLICTING = "Donor", "Early relapse", "Etoposide"
FUZZY, FUZZY_BEFORE = "Bone marrow biopsy", "Bone marrow sample"
WARNED = {"The brain and the spinal cord.": "El cerebro y la médula espinal",  # no full stop: a warning
          "A test that checks a small sample of blood in a lab.":
          "Una prueba que revisa una pequeña muestra de sangre en un laboratorio"}
LINKED = "A drug that is a kind of [immunotherapy](glossary:immunotherapy). It may be used for relapsed ALL."
# The translation of LINKED with its link left out: blocked.
UNLINKED = "Un medicamento que es un tipo de inmunoterapia. Se puede usar para la ALL en recaída."
PLURAL_START = "%(num)s part of this page"


# --- the server, its catalogs, and reading them back ------------------------------------------

def _unit(app, msgid: str, code: str = "es"):
    with app.extensions["db"]() as session:
        for unit in session.scalars(units.live(code)):
            if unit.msgid == msgid or (msgid == PLURAL_START and unit.msgid.startswith(PLURAL_START)):
                return unit
    raise AssertionError(f"{msgid!r} is not a message of the {code} units")


def _entry(app, msgid: str, code: str = "es") -> polib.POEntry:
    return entry_of(_unit(app, msgid, code))


def _write(app, code: str, msgid: str, *, text=None, fuzzy=None, previous_msgid=None) -> None:
    """Change a unit directly, as an import of a file edited outside the portal would (no checks)."""
    unit = _unit(app, msgid, code)
    with app.extensions["db"]() as session:
        units.apply_changes(session, code, [units.Change(unit.mid, [text] if text is not None else unit.forms, None,
                                                         unit.fuzzy if fuzzy is None else fuzzy)],
                            None, app.extensions["terms"], origin="import", check=False)
        if previous_msgid is not None:
            found = units.get(session, code, unit.mid)
            found.previous_msgid = previous_msgid
        session.commit()


def _snapshot(app, code: str = "es") -> dict:
    with app.extensions["db"]() as session:
        return {unit.key: (unit.forms, unit.fuzzy) for unit in session.scalars(units.live(code))}


@pytest.fixture(scope="module")
def ws_server(tmp_path_factory):
    """The committed drafts, two es translators (one also ar), and a few messages set up so that
    every kind of message page exists: fuzzy with a previous source, and with warnings."""
    folder = tmp_path_factory.mktemp("workspace")
    app = make_app(folder, ROOT / "translations")
    app.instance_path = str(folder / "instance")  # uploads wait here, not in the repository's instance/
    with app.extensions["db"]() as session:
        for username, (name, roles) in USERS.items():
            create_user(session, username, PASSWORD, display_name=name, roles=roles)
        session.commit()  # domain code only flushes; this fixture is the unit of work

    _write(app, "es", FUZZY, fuzzy=True, previous_msgid=FUZZY_BEFORE)
    for msgid, text in WARNED.items():
        _write(app, "es", msgid, text=text)
    yield from serve("workspace", app)
    close_app(app)


def _mid(app, msgid: str, code: str = "es") -> str:
    return message_id(message_key(_entry(app, msgid, code)))


def _message_url(server, msgid: str, code: str = "es") -> str:
    return f"{server.url}/translate/{code}/m/{_mid(server.app, msgid, code)}"


def _expected_status(app, state=None, warnings_only=False, query="") -> str:
    """The list's status line, computed from the catalog as it is now."""
    with app.extensions["db"]() as session:
        _, n = units.page(session, "es", state=state, warnings_only=warnings_only, query=query)
    pages = max(1, -(-n // 50))
    return f"{n} message{'' if n == 1 else 's'} match{'; page 1 of %d' % pages if pages > 1 else ''}."


@pytest.fixture
def ws_page(browser, ws_server):
    """``ws_page(username)``: a fresh browser context, logged in by keyboard."""
    contexts = []

    def open_(username: str):
        if isinstance(browser, NoBrowser):
            pytest.fail(browser.reason, pytrace=False)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        log_in_by_keyboard(page, ws_server, username)
        assert page.url.endswith("/staff/"), f"{username} did not log in: {page.url}"
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def ana_page(browser, ws_server):
    """One logged-in page for the axe checks of pages that only need a GET."""
    if isinstance(browser, NoBrowser):
        pytest.fail(browser.reason, pytrace=False)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_by_keyboard(page, ws_server, "ws-ana")
    assert page.url.endswith("/staff/"), page.url
    yield page
    context.close()


# --- keyboard: Tab until an element has focus, checking the focus is visible on every stop ----

FOCUSED_JS = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id || '', name: el.name || '', type: el.type || '',
          text: (el.innerText || el.value || '').trim().slice(0, 80), outline: s.outlineStyle,
          width: parseFloat(s.outlineWidth) || 0};
}"""


def tab_to(page, wanted, limit: int = 120) -> dict:
    """Press Tab until ``wanted(focused)`` is true; after every Tab the focused element must show
    a visible outline (WCAG 2.4.7)."""
    trail = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        trail.append(f"{focused['tag']}#{focused['id']} {focused['text'][:30]!r}")
        assert focused["tag"] != "body", f"focus fell off the page after: {trail}"
        assert focused["outline"] != "none" and focused["width"] > 0, \
            f"no visible focus on {focused} (Tab stops: {trail})"
        if wanted(focused):
            return focused
    raise AssertionError(f"never reached the element by Tab; stops: {trail}")


def by_id(id_: str):
    return lambda f: f["id"] == id_


def by_text(tag: str, text: str):
    return lambda f: f["tag"] == tag and f["text"] == text


def press_and_wait(page, key: str = "Enter"):
    with page.expect_navigation() as navigation:
        page.keyboard.press(key)
    return navigation.value


def status_line(page) -> str:
    return page.locator("main p[role=status]").inner_text().strip()


# --- 1. filtering by keyboard -------------------------------------------------------------------

def test_filter_the_list_by_keyboard_alone(ws_page, ws_server):
    app = ws_server.app
    page = ws_page("ws-ana")
    tab_to(page, by_text("a", "Translate es"))
    press_and_wait(page)
    assert page.url == f"{ws_server.url}/translate/es/"
    seen = [status_line(page)]
    assert seen[-1] == _expected_status(app)

    tab_to(page, by_id("state"))
    for _ in range(len(STATES) + 1):  # arrow keys change a closed select's choice
        if page.evaluate("document.activeElement.value") == "awaiting":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "awaiting"
    tab_to(page, by_text("button", "Show messages"))
    press_and_wait(page)
    assert "state=awaiting" in page.url
    seen.append(status_line(page))
    assert seen[-1] == _expected_status(app, "awaiting")

    tab_to(page, by_id("warnings"))
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked") is True
    tab_to(page, by_text("button", "Show messages"))
    press_and_wait(page)
    assert "warnings=1" in page.url and page.locator("#state").input_value() == "awaiting"
    seen.append(status_line(page))
    assert seen[-1] == _expected_status(app, "awaiting", True)

    tab_to(page, by_id("q"))
    page.keyboard.type("spinal cord")
    press_and_wait(page)  # Enter in the search field submits the form
    seen.append(status_line(page))
    assert seen[-1] == _expected_status(app, "awaiting", True, "spinal cord")
    assert page.locator("#warnings").is_checked() and page.locator("#q").input_value() == "spinal cord"
    shown = page.locator(".message-list li a").all_inner_texts()
    assert "The brain and the spinal cord." in shown
    assert "A test that checks a small sample of blood in a lab." not in shown  # a warning, but no match
    assert len(set(seen)) == len(seen), f"the status did not change with every filter: {seen}"


# --- 2 and 7. editing by keyboard alone, focus visible throughout ----------------------------

def test_edit_and_save_a_message_by_keyboard_alone(ws_page, ws_server):
    app = ws_server.app
    page = ws_page("ws-ana")
    tab_to(page, by_text("a", "Translate es"))
    press_and_wait(page)
    tab_to(page, by_id("q"))
    page.keyboard.type(EDIT)
    press_and_wait(page)
    tab_to(page, by_text("a", EDIT))
    press_and_wait(page)
    assert page.url == _message_url(ws_server, EDIT) + f"?q={EDIT}"  # the link keeps the search

    new_text = "Capellán del hospital"
    tab_to(page, by_id("form0"))
    page.keyboard.press("Control+A")
    page.keyboard.type(new_text)
    tab_to(page, by_text("button", "Save"))
    press_and_wait(page)

    assert page.url == _message_url(ws_server, EDIT) + f"?q={EDIT}"
    assert page.locator(".flash[role=status]").inner_text().startswith("Saved.")
    assert page.locator("#form0").input_value() == new_text
    first = page.locator("table tbody tr").first.locator("td").all_inner_texts()
    assert first[1:4] == ["Ana Translator", "web", new_text] and first[4].strip() == "current", first
    assert _entry(app, EDIT).msgstr == new_text


# --- 3. two people save the same message ------------------------------------------------------

def _save(page, text: str):
    page.fill("#form0", text)
    with page.expect_navigation() as navigation:
        page.click("form.edit-form button[type=submit]")
    return navigation.value


def test_conflict_then_save_mine_over_theirs(ws_page, ws_server):
    app = ws_server.app
    first, second = ws_page("ws-ana"), ws_page("ws-ben")
    url = _message_url(ws_server, KEEP_MINE)
    first.goto(url)
    second.goto(url)
    assert _save(first, "Ansiedad (de Ana)").status == 200
    assert first.locator(".flash").inner_text().startswith("Saved.")

    response = _save(second, "Ansiedad (de Ben)")
    assert response.status == 409
    conflict = second.locator("section.conflict")
    assert conflict.get_attribute("role") == "alert"
    assert conflict.locator(".version").all_inner_texts() == ["Ansiedad (de Ana)", "Ansiedad (de Ben)"]
    assert "saved by ws-ana" in conflict.inner_text()
    assert _entry(app, KEEP_MINE).msgstr == "Ansiedad (de Ana)"  # nothing saved yet
    axe_clean(second)

    with second.expect_navigation() as navigation:
        second.click("button:has-text('Save my version over theirs')")
    assert navigation.value.status == 200 and second.url == url
    assert second.locator(".flash").inner_text().startswith("Saved.")
    assert second.locator("section.conflict").count() == 0
    assert _entry(app, KEEP_MINE).msgstr == "Ansiedad (de Ben)"
    who = second.locator("table tbody tr td:nth-child(2)").all_inner_texts()
    # newest first; the shipped draft it started from came in as a file edited outside the portal
    assert who == ["Ben Translator", "Ana Translator", "unknown (outside the portal)"]
    axe_clean(second)  # the message page with a flash, a history table and a restore button


def test_conflict_then_keep_theirs(ws_page, ws_server):
    app = ws_server.app
    first, second = ws_page("ws-ben"), ws_page("ws-ana")
    url = _message_url(ws_server, KEEP_THEIRS)
    first.goto(url)
    second.goto(url)
    assert _save(first, "Depresión (de Ben)").status == 200
    assert _save(second, "Depresión (de Ana)").status == 409
    with second.expect_navigation() as navigation:
        second.click("a:has-text('Keep their version')")
    assert navigation.value.status == 200
    assert second.locator("section.conflict").count() == 0
    assert second.locator("#form0").input_value() == "Depresión (de Ben)"
    assert _entry(app, KEEP_THEIRS).msgstr == "Depresión (de Ben)"
    assert second.locator("table tbody tr td:nth-child(2)").all_inner_texts() == \
        ["Ben Translator", "unknown (outside the portal)"]


# --- 4. Poedit round trip -------------------------------------------------------------------

def _upload(page, server, name: str, data: bytes):
    page.goto(f"{server.url}/translate/es/upload")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/x-gettext-translation",
                                          "buffer": data}])
    with page.expect_navigation() as navigation:
        page.click("main button[type=submit]")
    return navigation.value


def _section_counts(page) -> dict:
    counts = {}
    for heading in page.locator("main h2").all_inner_texts():
        match = re.fullmatch(r"(.*) \((\d+)\)", heading.strip())
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


def test_download_edit_upload_and_apply_one_message(ws_page, ws_server):
    app = ws_server.app
    page = ws_page("ws-ana")
    page.goto(f"{ws_server.url}/translate/es/")
    with page.expect_download() as download:
        page.click("a:has-text('Download .po for Poedit')")
    assert download.value.suggested_filename == "messages-es.po"
    data = Path(download.value.path()).read_bytes()
    catalog = polib.pofile(data.decode("utf-8"))
    assert uploads.stamped_revision(app.secret_key, "es", catalog.metadata[uploads.REVISION_HEADER]) is not None
    catalog.find(UPLOADED).msgstr = "Estreñimiento (editado en Poedit)"
    before = _snapshot(app)

    response = _upload(page, ws_server, "messages-es.po", catalog.__unicode__().encode("utf-8"))
    assert response.status == 200
    assert _section_counts(page) == {"New translations": 0, "Changed translations": 1, "Conflicts": 0,
                                     "Kept: changed only on the server since your download": 0,
                                     "Not applied: failed checks": 0, "Ignored: not in the template": 0}
    assert "Estreñimiento (editado en Poedit)" in page.locator(".preview-list").inner_text()
    assert _snapshot(app) == before  # a preview changes nothing
    axe_clean(page)

    with page.expect_navigation():
        page.click("button:has-text('Apply all of these')")
    assert page.url == f"{ws_server.url}/translate/es/"
    assert page.locator(".flash").inner_text().startswith("Applied 1 translation")
    after = _snapshot(app)
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {message_key(_entry(app, UPLOADED))}
    assert after[message_key(_entry(app, UPLOADED))] == (["Estreñimiento (editado en Poedit)"], False)


def test_upload_page_and_a_refused_file(ws_page, ws_server):
    app = ws_server.app
    page = ws_page("ws-ana")
    page.goto(f"{ws_server.url}/translate/es/upload")
    axe_clean(page)
    before = _snapshot(app)
    response = _upload(page, ws_server, "notes.txt", b'msgid "Donor"\nmsgstr "Donante nuevo"\n')
    assert response.status == 400
    alert = page.locator("main [role=alert]")
    assert alert.count() == 1 and "is not a .po file" in alert.inner_text()
    assert _snapshot(app) == before
    axe_clean(page)


def test_preview_with_every_kind_of_item(ws_page, ws_server):
    """New, changed, a conflict, a failed check and an unknown message in one file; the conflict
    resolved as "mine" by keyboard; only the new, changed and chosen ones are applied."""
    app = ws_server.app
    terms = Terms.load(Path(app.config["CONTENT_DIR"]))
    _write(app, "es", NEW, text="")
    with app.extensions["db"]() as session:
        data = uploads.download(session, "es", app.secret_key)
    # After the download, Ben changes a message on the server.
    unit = _unit(app, CONFLICTING)
    with app.extensions["db"]() as session:
        units.save(session, "es", unit.mid, ["Etopósido (servidor)"], unit.revision, find_user(session, "ws-ben"),
                   terms)
        session.commit()
    catalog = polib.pofile(data.decode("utf-8"))
    catalog.find(NEW).msgstr = "Donante (archivo)"
    catalog.find(CHANGED).msgstr = "Recaída precoz"
    catalog.find(CONFLICTING).msgstr = "Etopósido (archivo)"
    catalog.find(LINKED).msgstr = UNLINKED
    catalog.append(polib.POEntry(msgid="A sentence the template does not have.", msgstr="Una frase."))
    before = _snapshot(app)

    page = ws_page("ws-ana")
    assert _upload(page, ws_server, "messages.po", catalog.__unicode__().encode("utf-8")).status == 200
    assert _section_counts(page) == {"New translations": 1, "Changed translations": 1, "Conflicts": 1,
                                     "Kept: changed only on the server since your download": 0,
                                     "Not applied: failed checks": 1, "Ignored: not in the template": 1}
    axe_clean(page)

    mine = page.locator("fieldset input[value=mine]")
    page.locator("fieldset input[value=theirs]").focus()  # checked; an arrow key moves the choice
    page.keyboard.press("ArrowDown")
    assert mine.is_checked()
    with page.expect_navigation():
        page.click("button:has-text('Apply all of these')")
    assert page.locator(".flash").inner_text().startswith("Applied 3 translations")
    after = _snapshot(app)
    changed = {key: after[key][0] for key in after if after[key] != before.get(key)}
    assert changed == {message_key(_entry(app, NEW)): ["Donante (archivo)"],
                       message_key(_entry(app, CHANGED)): ["Recaída precoz"],
                       message_key(_entry(app, CONFLICTING)): ["Etopósido (archivo)"]}


# --- 5. axe-core on every other workspace page ------------------------------------------------

LISTS = {"unfiltered": "", "filtered": "?state=awaiting&warnings=1", "no-results": "?q=zzzz-no-such-text"}


@pytest.mark.parametrize("query", LISTS.values(), ids=LISTS.keys())
def test_message_lists_pass_axe(ana_page, ws_server, query):
    response = ana_page.goto(f"{ws_server.url}/translate/es/{query}")
    assert response.status == 200
    count = ana_page.locator(".message-list li").count()
    assert (count == 0) == (query == LISTS["no-results"]), count
    axe_clean(ana_page)


MESSAGES = {"plain": EDIT, "plural": PLURAL_START, "fuzzy-with-diff": FUZZY, "warnings": next(iter(WARNED))}


@pytest.mark.parametrize("msgid", MESSAGES.values(), ids=MESSAGES.keys())
def test_message_pages_pass_axe(ana_page, ws_server, msgid):
    assert ana_page.goto(_message_url(ws_server, msgid)).status == 200
    if msgid == PLURAL_START:
        # Two forms to translate (the comment box below them is a third textarea).
        assert ana_page.locator("textarea[name^=form]").count() == 2
        assert ana_page.locator("#form1").get_attribute("aria-describedby") == "form1-hint"
    elif msgid == FUZZY:
        assert ana_page.locator("h1 .state").inner_text() == "Needs edit (fuzzy)"
        assert ana_page.locator(".diff del").count() and ana_page.locator(".diff ins").count()
        assert ana_page.locator("#fuzzy").is_checked()
    elif msgid in WARNED:
        assert ana_page.locator(".warnings li").count() >= 1
    axe_clean(ana_page)


def test_blocked_save_shows_the_error_and_passes_axe(ana_page, ws_server):
    before = _entry(ws_server.app, LINKED).msgstr
    ana_page.goto(_message_url(ws_server, LINKED))
    text = UNLINKED
    assert _save(ana_page, text).status == 400
    alert = ana_page.locator("main [role=alert]")
    assert "was not saved" in alert.inner_text() and "links" in alert.inner_text()
    assert ana_page.locator("#form0").input_value() == text  # the translator's text is kept
    assert _entry(ws_server.app, LINKED).msgstr == before
    axe_clean(ana_page)


# --- 6. Arabic ---------------------------------------------------------------------------

def test_arabic_editor_is_right_to_left(ana_page, ws_server):
    assert ana_page.goto(_message_url(ws_server, EDIT, "ar")).status == 200
    textarea = ana_page.locator("#form0")
    assert textarea.get_attribute("dir") == "rtl" and textarea.get_attribute("lang") == "ar"
    assert ana_page.evaluate("getComputedStyle(document.querySelector('#form0')).direction") == "rtl"
    assert ana_page.locator("html").get_attribute("dir") == "ltr"  # the staff interface stays English
    axe_clean(ana_page)
