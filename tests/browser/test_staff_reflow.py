"""Every staff page reflows at 320 CSS px (WCAG 1.4.10): the page itself never scrolls sideways.

A table may be wider than the screen; it then scrolls inside its own region, which must be
reachable by keyboard (tabindex="0"). Anything else wider than the screen, even a 1 px
visually hidden label that escaped its table's scroll region, makes the whole page scroll.

PAGES lists every staff page in the states that make it widest (a history table with a restore
button in each row, a preview with every kind of item, review pages with a diff and with revoke
forms). ``test_every_staff_page_has_a_reflow_check`` fails when a staff route or a staff
template has no entry here, so a new page cannot skip this check.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polib
import pytest
from flask import template_rendered

from portal.people.access import access_of
from portal.people.accounts import create_user
from portal.translation import uploads
from tests.browser.conftest import NoBrowser, serve
from tests.browser.test_review_browser import _approve_as, _entry, _mid, _reject_as, _save_as
from tests.browser.test_staff_accessibility import log_in_by_keyboard
from tests.conftest import PASSWORD, ROOT, close_app, make_app

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 320, 640
STAFF_TEMPLATES = ROOT / "portal" / "templates" / "staff"

# Ada does every staff job (admin, translator and reviewer for es), so the navigation bar is as
# long as it gets; Tina and Rob write and approve the texts Ada reviews (four eyes).
PEOPLE = {
    "ada": ("Ada Admin-Translator-Reviewer", True, [("translator", "es"), ("reviewer", "es")]),
    "tina": ("Tina Translator", False, [("translator", "es")]),
    "rob": ("Rob Reviewer", False, [("reviewer", "es")]),
}

# Medical messages of the shipped Spanish drafts, one per state.
HISTORY = "Everyone around your child should wash their hands often. Or they can use hand sanitizer."
HISTORY_SAVES = ["Todas las personas cerca de su hijo deben lavarse las manos muy a menudo, o usar gel.",
                 "Todos los que rodean a su hijo deben lavarse las manos a menudo. O pueden usar gel desinfectante."]
NEW = "But even with a transplant, fewer than 50 out of 100 of these children survive."
NEW_TEXT = "Pero aun con un trasplante, menos de 50 de cada 100 de estos niños sobreviven."
CHANGED = "Targeted therapy uses drugs that aim at certain parts of cancer cells. They may include:"
CHANGED_TEXT = "La terapia dirigida usa medicamentos que atacan ciertas partes de las células del cáncer. Pueden ser:"
APPROVED = "Your child may be told to wear a mask over the nose and mouth."
REJECTED = "An X-ray takes a picture of the inside of your child's chest."
# The upload preview: one item of each kind, the conflict on a message whose English carries a
# long unbreakable link target (it ends up in a fieldset's legend).
UPLOAD_CHANGED = "Constipation"
UPLOAD_CONFLICT = "A drug that is a kind of [immunotherapy](glossary:immunotherapy). It may be used for relapsed ALL."
UPLOAD_FAILED = "The brain and the spinal cord."
UPLOAD_FAILED_TEXT = "El cerebro y la médula espinal 1234."  # a number the source does not have: blocked


@dataclass
class Case:
    endpoint: str               # the route that answers
    template: str               # the staff template that renders the page
    reach: Callable             # reach(page, server): go there (and submit, if the state needs it)
    status: int = 200


def goto(path: str):
    def reach(page, server):
        return page.goto(f"{server.url}{path}")
    return reach


def person_page(username: str):
    """A person's page, by the id the admin pages link with."""
    def reach(page, server):
        from portal.people.accounts import find_user

        with server.app.extensions["db"]() as session:
            person_id = find_user(session, username).id
        return page.goto(f"{server.url}/admin/people/{person_id}")
    return reach


def message_page(prefix: str, msgid: str):
    def reach(page, server):
        return page.goto(f"{server.url}{prefix}/{_mid(server.app, msgid)}")
    return reach


def submit(page, button_text: str):
    with page.expect_navigation() as navigation:
        page.locator("main button", has_text=button_text).first.click()
    return navigation.value


def anonymous_login(page, server):
    page.context.clear_cookies()  # logged out for this one page; the fixture logs in again
    return page.goto(f"{server.url}/login")


def publish_result(page, server):
    page.goto(f"{server.url}/admin/publish")
    return submit(page, "Publish all languages")


def history_after_save_and_restore(page, server):
    """Two saves and a restore of the first, by the browser, so the history table has rows with
    restore buttons (each with a visually hidden date in its label)."""
    url = f"{server.url}/translate/es/m/{_mid(server.app, HISTORY)}"
    page.goto(url)
    if page.locator("table tbody tr").count() < 3:
        for text in HISTORY_SAVES:
            page.fill("#form0", text)
            assert submit(page, "Save").status == 200
        assert submit(page, "Restore this version").status == 200
        assert page.locator(".flash").inner_text().startswith("The earlier version is restored")
    response = page.goto(url)
    assert page.locator("table tbody tr").count() >= 3
    assert page.locator("table tbody button", has_text="Restore this version").count() >= 1
    return response


def upload_preview(page, server):
    """Download (as Tina would), the server changes meanwhile, upload a file with a change,
    a conflict, a failed check and an unknown message: the preview shows every section."""
    app = server.app
    with app.extensions["db"]() as session:
        data = uploads.download(session, "es", app.secret_key)
    server_text = _entry(app, UPLOAD_CONFLICT).msgstr.replace("Un medicamento", "Un fármaco")
    _save_as(app, "tina", UPLOAD_CONFLICT, server_text)
    catalog = polib.pofile(data.decode("utf-8"))
    catalog.find(UPLOAD_CHANGED).msgstr = "Estreñimiento (el intestino se mueve poco y con dificultad)"
    catalog.find(UPLOAD_CONFLICT).msgstr = server_text.replace("Se puede", "Puede")
    catalog.find(UPLOAD_FAILED).msgstr = UPLOAD_FAILED_TEXT
    catalog.append(polib.POEntry(msgid="A sentence the template does not have, and a long one at that.",
                                 msgstr="Una frase que la plantilla no tiene."))
    page.goto(f"{server.url}/translate/es/upload")
    page.set_input_files("#file", files=[{"name": "messages-es-edited-in-poedit.po",
                                          "mimeType": "text/x-gettext-translation",
                                          "buffer": catalog.__unicode__().encode("utf-8")}])
    response = submit(page, "Preview the changes")
    for section in ("Changed translations (1)", "Conflicts (1)", "Not applied: failed checks (1)",
                    "Ignored: not in the template (1)"):
        assert page.locator("main h2", has_text=section).count() == 1, section
    return response


def save_while_the_database_is_down(page, server):
    """A save sent while the database is down: the portal's own page, with the typed text given back."""
    from tests.test_faults import break_database

    page.goto(f"{server.url}/translate/es/m/{_mid(server.app, NEW)}")
    page.fill("#form0", NEW_TEXT + " Un texto más largo que se escribió mientras la base de datos no respondía.")
    mend = break_database(server.app, Path(server.app.instance_path))
    try:
        response = submit(page, "Save")
    finally:
        mend()
        server.app.extensions.pop("db_paused_until", None)
    assert page.locator("main h1").inner_text() == "The database is not answering"
    return response


PAGES = {
    "login": Case("auth.login", "login.html", anonymous_login),
    "staff-home": Case("auth.home", "home.html", goto("/staff/")),
    "account": Case("auth.account", "account.html", goto("/account")),
    "people": Case("admin.people", "people.html", goto("/admin/people")),
    "new-person": Case("admin.new_person", "person.html", goto("/admin/people/new")),
    "edit-person": Case("admin.edit_person", "person.html", person_page("tina")),
    "publish": Case("admin.publish", "publish.html", goto("/admin/publish")),
    "publish-result": Case("admin.publish", "publish.html", publish_result),
    "forbidden": Case("translate.workspace_home", "notice.html", goto("/translate/ar/"), status=403),
    "workspace": Case("translate.workspace_home", "workspace.html", goto("/translate/es/")),
    "workspace-filtered": Case("translate.workspace_home", "workspace.html",
                               goto("/translate/es/?state=awaiting&warnings=1&q=spinal")),
    "message-with-history": Case("translate.message", "message.html", history_after_save_and_restore),
    "upload": Case("translate.upload", "upload.html", goto("/translate/es/upload")),
    "upload-preview": Case("translate.upload", "upload_preview.html", upload_preview),
    "review-dashboard": Case("review.dashboard", "review_dashboard.html", goto("/review/")),
    "review-queue": Case("review.queue", "queue.html", goto("/review/es/")),
    "review-queue-changed": Case("review.queue", "queue.html", goto("/review/es/?show=changed")),
    "review-new": Case("review.message", "review_message.html", message_page("/review/es/m", NEW)),
    "review-changed-with-diff": Case("review.message", "review_message.html",
                                     message_page("/review/es/m", CHANGED)),
    "review-approved-with-revoke": Case("review.message", "review_message.html",
                                        message_page("/review/es/m", APPROVED)),
    "review-rejected": Case("review.message", "review_message.html", message_page("/review/es/m", REJECTED)),
    "review-trail": Case("review.locale_trail", "review_trail.html", goto("/review/es/trail")),
    "database-down": Case("translate.message", "unavailable.html", save_while_the_database_is_down, status=503),
    "translator-preview": Case("pages.translator_preview", "preview.html", message_page("/translate/es/preview", NEW)),
    "reviewer-preview": Case("pages.reviewer_preview", "preview.html", message_page("/review/es/preview", NEW)),
    "page-review": Case("pages.review_page", "page_review.html", goto("/review/es/page/treatment")),
}

# Staff routes that are not a page of their own: a file, or a form target that redirects (or,
# when refused, shows one of the pages above again).
NOT_PAGES = {
    "translate.download": "a .po file",
    "auth.logout": "redirects to the login page",
    "admin.set_active": "redirects to the people page",
    "translate.revert": "redirects to the message page (refused: the message page)",
    "translate.apply_upload": "redirects to the workspace (refused: the upload pages)",
    "review.approve": "redirects to the queue (refused: the review message page)",
    "review.reject": "redirects to the queue (refused: the review message page)",
    "review.revoke": "redirects to the review message page",
    "auth.account_credential": "redirects to the account page (refused: the account page)",
    "review.feedback_handled": "redirects to the queue or the dashboard",
    "translate.comment": "redirects to the message page (refused: the message page)",
    "review.comment": "redirects to the review message page (refused: that page)",
    "auth.account_notifications": "redirects to the account page (refused: the account page)",
}
# Staff templates that are pieces of pages, not pages.
PARTS = {"base.html", "_forms.html", "_comments.html", "_suggestions.html", "_review.html", "_dashboard_pages.html", "_feedback.html", "_in_context.html",
         "_pages_waiting.html", "_readability.html"}


def test_every_staff_page_has_a_reflow_check(app):
    """A new staff route or template needs an entry in PAGES (or NOT_PAGES / PARTS)."""
    staff_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                       if rule.endpoint != "static" and access_of(app, rule.endpoint) != ("public", None)}
    checked = {case.endpoint for case in PAGES.values()}
    assert staff_endpoints - checked - set(NOT_PAGES) == set(), "staff routes without a reflow check"
    assert (checked | set(NOT_PAGES)) - staff_endpoints - {"auth.login"} == set(), "entries for routes that are gone"
    templates = {path.name for path in STAFF_TEMPLATES.glob("*.html")}
    assert templates - PARTS - {case.template for case in PAGES.values()} == set(), \
        "staff templates without a reflow check"


# --- the server and one logged-in browser page at 320 x 640 -------------------------------------

@pytest.fixture(scope="module")
def reflow_server(tmp_path_factory):
    """The shipped Spanish drafts; a message in each review state (new, changed since Rob's
    approval, approved, rejected), so the review pages, the queue and the trail have rows."""
    folder = tmp_path_factory.mktemp("reflow")
    app = make_app(folder, ROOT / "translations")
    app.instance_path = str(folder / "instance")
    with app.extensions["db"]() as session:
        for username, (name, is_admin, roles) in PEOPLE.items():
            create_user(session, username, PASSWORD, display_name=name, is_admin=is_admin, roles=roles)
        session.commit()  # domain code only flushes; this fixture is the unit of work
    _approve_as(app, "rob", CHANGED)
    _save_as(app, "tina", CHANGED, CHANGED_TEXT)
    _save_as(app, "tina", NEW, NEW_TEXT)
    _approve_as(app, "rob", APPROVED)
    _reject_as(app, "rob", REJECTED, "Say «radiografía de tórax», as the glossary does, and keep it short.")
    yield from serve("reflow", app)
    close_app(app)


@pytest.fixture(scope="module")
def rendered(reflow_server):
    """The names of the templates the server renders (cleared by each test)."""
    names: list[str] = []

    def record(_sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, reflow_server.app)
    yield names
    template_rendered.disconnect(record, reflow_server.app)


@pytest.fixture(scope="module")
def ada(browser, reflow_server):
    if isinstance(browser, NoBrowser):
        pytest.fail(browser.reason, pytrace=False)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()

    def log_in():
        log_in_by_keyboard(page, reflow_server, "ada")
        assert page.url.endswith("/staff/"), page.url

    log_in()
    yield page, log_in
    context.close()


# The page's width; the elements that stick out of the viewport and are not clipped by a scrolling
# box (to say what went wrong); boxes that scroll sideways but cannot take the keyboard focus; and
# tables not inside a labelled, focusable scrolling region (.table-wrap), which would overflow as
# soon as their rows are long enough.
MEASURE_JS = """() => {
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const clips = s => ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX);
  const outOfFlow = s => ['absolute', 'fixed'].includes(s.position);
  // Is el clipped by a box that scrolls (or hides) sideways? Only if that box is in its chain of
  // containing blocks: an absolutely positioned element skips every box up to a positioned one.
  const clipped = el => { let skip = outOfFlow(getComputedStyle(el));
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (skip && s.position === 'static') continue;
      if (clips(s)) return true;
      skip = outOfFlow(s);
    }
    return false; };
  const classes = el => typeof el.className === 'string' && el.className.trim()
                          ? '.' + el.className.trim().replace(/\\s+/g, '.') : '';
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el) +
                         ' "' + (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 40) + '"';
  const all = [...document.body.querySelectorAll('*')];
  const sticking = all.filter(el => { const r = el.getBoundingClientRect();
                                      return (r.right > innerWidth + 0.5 || r.left < -0.5) && !clipped(el); })
                      .slice(0, 8).map(el => describe(el) + ' ' + Math.round(el.getBoundingClientRect().left) +
                                       '..' + Math.round(el.getBoundingClientRect().right));
  const unreachable = all.filter(el => scrolls(el) && el.scrollWidth > el.clientWidth + 1 && el.tabIndex < 0)
                         .map(describe);
  const unwrapped = [...document.querySelectorAll('table')]
    .filter(t => !t.parentElement.matches('.table-wrap[role=region][tabindex="0"][aria-labelledby]'))
    .map(describe);
  return {page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
          viewport: innerWidth, sticking, unreachable, unwrapped};
}"""


@pytest.mark.parametrize("case", PAGES.values(), ids=PAGES.keys())
def test_staff_page_reflows_at_320px(ada, reflow_server, rendered, case):
    page, log_in = ada
    rendered.clear()
    try:
        response = case.reach(page, reflow_server)
        assert response is not None and response.status == case.status, \
            f"{page.url}: HTTP {response and response.status}, expected {case.status}"
        assert f"staff/{case.template}" in rendered, f"{page.url} rendered {rendered}, not staff/{case.template}"
        measured = page.evaluate(MEASURE_JS)
    finally:
        if case.reach is anonymous_login:
            log_in()
    assert measured["viewport"] == WIDTH
    assert measured["page"] <= WIDTH and measured["body"] <= WIDTH, \
        f"{page.url} scrolls sideways at {WIDTH} px: {measured}"
    assert not measured["unreachable"], \
        f"{page.url}: boxes that scroll sideways but cannot be reached by keyboard: {measured['unreachable']}"
    assert not measured["unwrapped"], \
        f"{page.url}: tables outside a focusable, labelled .table-wrap region: {measured['unwrapped']}"
