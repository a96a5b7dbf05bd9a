"""What no translation platform shows: a family page as it will look with a pending text, a whole
page reviewed at once, and how readable a text and its page are in their language.

* ``/translate/<locale>/preview/<mid>`` (translators) and ``/review/<locale>/preview/<mid>``
  (reviewers): the family page that holds the message, rendered by the families' own code through
  the served catalog with the message's current text laid over it (``portal.families.preview``),
  that text marked "Pending text", under a banner "Preview — not what families see". A content
  message is shown on the page that holds it. Site text (from the families' templates) is shown on
  the first page that shows it: the list of pages, then each page in order. Staff only, never
  cached (``Cache-Control: no-store``), never kept in the families' page cache, never exported
  (``flask export-static`` builds only the families' addresses).
* ``/review/<locale>/page/<slug>``: every message of a page waiting for review (what the queue
  lists), in page order, each with its English, its text, what changed since the last approved
  text, its warnings and a checkbox; "Approve selected" approves each chosen text bound to the
  fingerprint the page showed (``operations.approve_selected``).
* Template helpers for the message pages: ``readability_of`` and ``pages_waiting``.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.db import get_session
from portal.families import views as families
from portal.families.i18n import remember_catalog
from portal.families.preview import PreviewCatalog, is_marked, mark_pending
from portal.forms import ConfirmForm
from portal.locales import by_code
from portal.people import access
from portal.review import operations, rules
from portal.review import queue as review_queue
from portal.translation import readability, units, workspace
from portal.translation.checks import blocking_problems
from portal.translation.identity import message_id
from portal.translation.message_info import text_diff
from portal.translation.models import Unit

bp = Blueprint("pages", __name__)

MAX_SELECTED = 1000  # more than any page holds; a longer list is not from this page


def _content():
    return current_app.extensions["content"]


def page_of(unit: Unit):
    """The content page that holds a message (its first), or None for site text."""
    if unit.msgctxt or unit.msgid_plural:
        return None
    for page in _content().values():
        if any(m.text == unit.msgid for m in page.messages()):
            return page
    return None


# --- Preview in context ------------------------------------------------------------------------

def _candidates(unit: Unit):
    """(template, context, page or None) of each family page the message may be on, best first."""
    page = page_of(unit)
    if page is not None:
        yield (*families.page_context(page), page)
        return
    yield (*families.index_context(), None)
    for page in _content().values():
        yield (*families.page_context(page), page)


def _preview(locale: str, mid: str, back: str):
    loc = by_code(locale)
    unit = units.get(get_session(), loc.code, mid)
    if unit is None or not unit.reviewed:
        abort(404)  # no such message, or a staff-only string (families never read it)
    served = current_app.extensions["served"].get(loc.code)
    forms = unit.forms if unit.translated else []
    g.locale = loc  # the families' templates and url_for read the page's locale from here
    remember_catalog(loc.code, PreviewCatalog(served, loc.code, unit.msgctxt, unit.msgid, unit.msgid_plural, forms))
    problems = blocking_problems(unit.msgid, unit.msgid_plural, unit.forms, loc.code) if unit.translated else []
    context = dict(loc=loc, unit=unit, view=workspace.view(unit), labels=workspace.STATE_LABELS,
                   problems=problems, back=back, shown=True)
    html = None
    for template, family_context, page in _candidates(unit):
        html = render_template("staff/preview.html", family_template=template, preview=dict(context, page=page),
                               **family_context)
        if not forms or is_marked(html):
            break
    else:  # on no page as families see them now (a notice shown only in some states): say so
        template, family_context, page = next(_candidates(unit))
        html = render_template("staff/preview.html", family_template=template,
                               preview=dict(context, page=page, shown=False), **family_context)
    response = current_app.response_class(mark_pending(html), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/translate/<locale>/preview/<mid>")
@access.role("translator")
def translator_preview(locale, mid):
    return _preview(locale, mid, url_for("translate.message", locale=by_code(locale).code, mid=mid))


@bp.route("/review/<locale>/preview/<mid>")
@access.role("reviewer")
def reviewer_preview(locale, mid):
    return _preview(locale, mid, url_for("review.message", locale=by_code(locale).code, mid=mid))


# --- Readability ---------------------------------------------------------------------------------

def _page_texts(locale: str, page, current: Unit | None = None) -> tuple[list[str], list[str]]:
    """A page's blocks in the language (the pending text where one waits, else the served text;
    blocks with neither are left out) and in English. One query: the page's waiting units."""
    english = [m.text for m in page.messages()]
    waiting = {u.msgid: u.forms[0] for u in review_queue.waiting_units(get_session(), locale, english)}
    if current is not None and current.translated and not current.fuzzy:
        waiting[current.msgid] = current.forms[0]
    served = current_app.extensions["served"].get(locale)
    translated = [t for t in (waiting.get(text) or served.lookup(text) for text in english) if t]
    return translated, english


def page_readability(locale: str, page, current: Unit | None = None) -> readability.PageReadability:
    return readability.page_readability(*_page_texts(locale, page, current), locale)


@bp.app_template_global()
def readability_of(loc, unit: Unit) -> dict:
    """For a message page: the message's figures (its current text), the English's, and its page's."""
    text = readability.page_text(form for form in unit.forms if form) if unit.translated else ""
    page = page_of(unit)
    return dict(message=readability.assess(text, loc.code),
                english=readability.assess(readability.block_text(unit.msgid), "en"),
                page=page, page_figures=page_readability(loc.code, page, unit) if page else None)


@bp.app_template_global()
def pages_waiting(code: str) -> list[tuple]:
    """Each content page with messages waiting for review in a locale, and how many (page order)."""
    waiting = {u.msgid for u in review_queue.waiting_units(
        get_session(), code, {m.text for page in _content().values() for m in page.messages()})}
    found = []
    for page in _content().values():
        count = len({m.text for m in page.messages()} & waiting)
        if count:
            found.append((page, count))
    return found


@bp.app_template_global()
def in_context_links(loc, unit: Unit) -> dict:
    """The preview's address for this page's reader (translator or reviewer), and the page review's."""
    endpoint = "pages.reviewer_preview" if request.blueprint == "review" else "pages.translator_preview"
    page = page_of(unit)
    reviewer = current_user.has_role("reviewer", loc.code)
    return dict(preview=url_for(endpoint, locale=loc.code, mid=unit.mid), page=page,
                page_review=url_for("pages.review_page", locale=loc.code, slug=page.slug) if page and reviewer else None)


# --- Review a page at once -------------------------------------------------------------------------

def _entries(loc, page) -> list[dict]:
    """Every waiting message of the page, in order, with what the reviewer needs to decide on it."""
    session = get_session()
    items = review_queue.waiting_on_page(session, loc.code, [m.text for m in page.messages()])
    authorship = rules.Authorship.load_words(session, loc.code, {item.view.unit.words for item in items})
    entries = []
    for item in items:
        unit = item.view.unit
        authors = authorship.authors(unit.key, unit.forms, unit.previous_msgid or "")
        diffs = None
        if item.previous is not None and len(item.previous.forms) == len(unit.forms):
            diffs = [text_diff(old, new) for old, new in zip(item.previous.forms, unit.forms)]
        entries.append(dict(item=item, view=item.view, diffs=diffs,
                            problem=rules.check_approvable(session, unit, current_user, authors),
                            figures=readability.assess(readability.page_text(f for f in unit.forms if f), loc.code)))
    return entries


def _render_page(loc, page, status: int = 200, **extra):
    return render_template("staff/page_review.html", loc=loc, page=page, entries=_entries(loc, page),
                           page_read=page_readability(loc.code, page), form=ConfirmForm(formdata=None),
                           kind_labels=review_queue.KIND_LABELS, **extra), status


@bp.route("/review/<locale>/page/<slug>", methods=["GET", "POST"])
@access.role("reviewer")
def review_page(locale, slug):
    loc = by_code(locale)
    page = _content().get(slug)
    if page is None:
        abort(404)
    if request.method == "GET":
        return _render_page(loc, page)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = list(dict.fromkeys(request.form.getlist("approve")))[:MAX_SELECTED]
    if not chosen:
        return _render_page(loc, page, 400, error="Select at least one message to approve. Nothing was recorded.")
    on_page = {message_id(("", m.text, "")) for m in page.messages()}
    refused = [(mid, "This is not a message of this page.", None) for mid in chosen if mid not in on_page]
    pairs = [(mid, request.form.get(f"seen-{mid}", "")) for mid in chosen if mid in on_page]
    session = get_session()
    outcome = operations.approve_selected(session, loc.code, current_user, pairs) if pairs else \
        operations.SelectedOutcome([], [])
    refused += outcome.refused
    if outcome.approved:
        count = len(outcome.approved)
        done = f"Approved {count} text{'' if count == 1 else 's'}"
        if outcome.publish_error:
            flash(f"{done}. Publishing failed: {outcome.publish_error}. Families still see the previous texts. "
                  "They will publish on the next attempt.", "warning")
        else:
            flash(f"{done} and published: families reading this language see the new text now.")
    if not refused:
        return redirect(url_for("pages.review_page", locale=loc.code, slug=page.slug))
    english = {message_id(("", m.text, "")): m.text for m in page.messages()}
    return _render_page(loc, page, 409, refused=[dict(mid=mid, english=english.get(mid, ""), reason=reason,
                                                      changed=isinstance(error, rules.TextChanged))
                                                 for mid, reason, error in refused],
                        approved_count=len(outcome.approved))
