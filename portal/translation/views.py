"""The translator's workspace for one locale: progress, the message list, one message, Poedit files."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal import db, message_page
from portal.current import current_terms
from portal.db import get_session
from portal.forms import ConfirmForm
from portal.locales import by_code
from portal.people import access
from portal.review import comment_views
from portal.translation import memory, units, uploads, workspace
from portal.translation.bidi import isolate_ltr
from portal.translation.message_info import source_diff
from portal.translation.models import STATES, Unit

bp = Blueprint("translate", __name__, url_prefix="/translate")

PAGE_SIZE = workspace.PAGE_SIZE

# Staff templates show right-to-left translations with placeholders and Latin words isolated.
bp.add_app_template_filter(isolate_ltr, "isolate_ltr")


def _unit_or_404(code: str, mid: str) -> Unit:
    found = units.get(get_session(), code, mid)
    if found is None:
        abort(404)
    return found


@bp.route("/<locale>/")
@access.role("translator")
def workspace_home(locale):
    loc = by_code(locale)
    session = get_session()
    chosen = workspace.ListFilter.from_args(request.args)
    page = chosen.page

    def read(page: int):
        return units.page(session, loc.code, state=chosen.state, warnings_only=chosen.warnings_only,
                          query=chosen.query, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)

    shown, matching = read(page)
    last, pages = workspace.clamp_page(page, matching, PAGE_SIZE)
    if last != page:  # past the end: the last page
        page = last
        shown, matching = read(page)
    chosen = workspace.ListFilter(chosen.state, chosen.warnings_only, chosen.query, page)
    return render_template(
        "staff/workspace.html", loc=loc, progress=units.progress(session, loc.code), states=STATES,
        labels=workspace.STATE_LABELS, shown=[workspace.view(u) for u in shown], matching=matching, page=page,
        pages=pages, state=chosen.state, warnings_only=chosen.warnings_only, query=chosen.query, chosen=chosen,
        revision=units.current_revision(session, loc.code))


@dataclass
class Neighbours:
    """The links of a message page within the list it was opened from (its filter, search and page)."""

    chosen: workspace.ListFilter
    list_url: str
    previous_url: str | None
    next_url: str | None


def _neighbours(loc, unit: Unit) -> Neighbours:
    """Previous and next in the same filtered list, in the list's order, each link carrying the list
    page it stands on; the way back goes to the page this message is on (or the page it came from,
    when a save took it out of the list)."""
    session = get_session()
    chosen = workspace.ListFilter.from_args(request.args)
    options = dict(state=chosen.state, warnings_only=chosen.warnings_only, query=chosen.query)
    before, after = units.neighbours(session, loc.code, unit, **options)
    index, listed = units.index_in(session, loc.code, unit, **options)
    here = chosen.page_of(index) if listed else chosen.page

    def link(mid: str | None, at: int) -> str | None:
        return url_for("translate.message", locale=loc.code, mid=mid, **chosen.params(chosen.page_of(at))) \
            if mid else None

    return Neighbours(chosen=workspace.ListFilter(chosen.state, chosen.warnings_only, chosen.query, here),
                      list_url=url_for("translate.workspace_home", locale=loc.code, **chosen.params(here)),
                      previous_url=link(before, index - 1), next_url=link(after, index + (1 if listed else 0)))


def _message_context(loc, unit: Unit):
    """The translator's message page: what both message pages show (``portal.message_page``), and
    the box's own parts."""
    context = message_page.shared_context(loc, unit, "translate.comment")
    entry, history = context["entry"], context["history"]
    # The newest save is this person's: say it was kept, so a save whose answer never reached them
    # (a lost connection, a worker that was stopped) is not typed again, or feared lost.
    last_save = history[0] if history and history[0].author_id == current_user.id else None
    context.update(
        diff=source_diff(entry.previous_msgid, entry.msgid) if entry.previous_msgid else None,
        last_save=last_save, objections=[e for e in reversed(context["trail"]) if e.kind != "approved"],
        form=ConfirmForm(), nav=_neighbours(loc, unit), term_policy=current_terms().for_locale(loc.code).policy,
        suggestions=translation_memory().suggestions(get_session(), unit))
    return context


def translation_memory() -> memory.TranslationMemory:
    """This process's translation memory (its indexes follow each locale's units version)."""
    return current_app.extensions.setdefault("translation_memory", memory.TranslationMemory())


def _copied_suggestion(loc, unit: Unit) -> tuple[list[str] | None, bool]:
    """``?use=<message id>``: the translator chose a suggestion to copy into the box (without
    JavaScript). Its text is only put in the box, never saved; (forms or None, refused)."""
    chosen = request.args.get("use", "")[:32]
    if not chosen:
        return None, False
    source = units.get(get_session(), loc.code, chosen)
    usable = source is not None and source.mid != unit.mid and source.translated and not source.fuzzy \
        and len(source.forms) == len(unit.forms)
    return (source.forms, False) if usable else (None, True)


def _not_saved(loc, mid: str, error: units.WorkspaceError, mine: list[str] | None = None):
    """The message page again after a refused save: a conflict (409, both versions) or a
    problem the translator can fix (400), with what they typed kept."""
    session = get_session()
    session.rollback()
    context = _message_context(loc, _unit_or_404(loc.code, mid))
    if isinstance(error, units.Conflict):
        return render_template("staff/message.html", conflict=error, mine=mine or error.mine, **context), 409
    return render_template("staff/message.html", error=str(error), problems=_problems(error), mine=mine,
                           **context), 400


def _problems(error: units.WorkspaceError) -> list[tuple[str | None, str]]:
    """Each problem of a refused save with the box it is about (``form<n>``; None: no one box),
    so the error summary links to the box and the box names its problem."""
    if not isinstance(error, units.BlockedByChecks):
        return [(None, str(error))]
    found = []
    for problem in error.problems:
        plural = re.match(r"Plural form (\d+): ", problem)
        found.append((f"form{plural.group(1)}" if plural else "form0", problem))
    return found


def _submitted_forms(unit: Unit) -> list[str]:
    if unit.msgid_plural:
        return [request.form.get(f"form{index}", "") for index in range(len(unit.forms))]
    return [request.form.get("form0", "")]


def _base() -> int:
    """The unit revision the page was based on; a page that sent none (or nonsense) is stale."""
    raw = request.form.get("base", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else -1


@bp.route("/<locale>/m/<mid>", methods=["GET", "POST"])
@access.role("translator")
def message(locale, mid):
    loc = by_code(locale)
    unit = _unit_or_404(loc.code, mid)
    if request.method == "GET":
        copied, copy_refused = _copied_suggestion(loc, unit)
        return render_template("staff/message.html", mine=copied, copied=bool(copied), copy_refused=copy_refused,
                               **_message_context(loc, unit))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mine = [text.replace("\r\n", "\n") for text in _submitted_forms(unit)]
    session = get_session()
    try:
        units.save(session, loc.code, mid, mine, _base(), current_user, current_terms(),
                   fuzzy=request.form.get("fuzzy") == "1")  # committed with the request (portal.web)
    except units.WorkspaceError as error:
        return _not_saved(loc, mid, error, mine)
    saved = "Saved." + (" It waits for review before families see it." if unit.kind else "")
    nav = _neighbours(loc, _unit_or_404(loc.code, mid))
    if request.form.get("then") == "next":
        if nav.next_url:
            flash(f"{saved} This is the next message of your list.")
            return redirect(nav.next_url)
        flash(f"{saved} That was the last message of your list.")
    else:
        flash(saved)
    return redirect(url_for("translate.message", locale=loc.code, mid=mid, **nav.chosen.params()))


@bp.route("/<locale>/m/<mid>/comments", methods=["POST"])
@access.role("translator")
def comment(locale, mid):
    """Post a comment in the message's thread; refused: the page again, with the reason at the field."""
    loc = by_code(locale)
    unit = _unit_or_404(loc.code, mid)
    form, error = comment_views.post_comment(unit)
    if error:
        context = _message_context(loc, unit)
        context.update(comment_views.thread_context(unit, "translate.comment", form, error))
        return render_template("staff/message.html", **context), 400
    flash("Your comment is posted.")
    return redirect(url_for("translate.message", locale=loc.code, mid=mid) + "#comments")


@bp.route("/<locale>/m/<mid>/revert/<row_id:edit_id>", methods=["POST"])
@access.role("translator")
def revert(locale, mid, edit_id):
    loc = by_code(locale)
    _unit_or_404(loc.code, mid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        units.revert(session, loc.code, mid, edit_id, _base(), current_user, current_terms())
    except units.WorkspaceError as error:
        return _not_saved(loc, mid, error)
    flash("The earlier version is restored, as a new save by you.")
    return redirect(url_for("translate.message", locale=loc.code, mid=mid,
                            **workspace.ListFilter.from_args(request.args).params()))


@bp.route("/<locale>/download")
@access.role("translator")
def download(locale):
    loc = by_code(locale)
    data = uploads.download(get_session(), loc.code, current_app.secret_key)
    return Response(data, mimetype="text/x-gettext-translation",
                    headers={"Content-Disposition": f'attachment; filename="messages-{loc.code}.po"'})


def _pending(code: str) -> uploads.PendingUploads:
    return uploads.PendingUploads(get_session(), code)


def _preview(code: str, data: bytes, filename: str) -> uploads.Preview:
    catalog = uploads.read_upload(data, filename, code)
    return uploads.preview(get_session(), code, catalog, current_terms(), current_app.secret_key)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    """A file over the request limit: the upload page says so, in the staff's words."""
    if request.endpoint != "translate.upload":
        return render_template("staff/notice.html", title="Too large",
                               message="That request was too large. Nothing was saved."), 413
    loc = by_code(request.view_args.get("locale", ""))
    limit = uploads.MAX_BYTES // (1024 * 1024)
    return render_template("staff/upload.html", loc=loc, form=ConfirmForm(formdata=None),
                           error=f"The file is larger than the limit of {limit} MB. Nothing was saved. Upload "
                                 "only the catalog (messages.po), not a zip or a compiled .mo file."), 413


@bp.route("/<locale>/upload", methods=["GET", "POST"])
@access.role("translator")
def upload(locale):
    loc = by_code(locale)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("staff/upload.html", loc=loc, form=form)
    if not form.validate_on_submit():
        abort(400)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return render_template("staff/upload.html", loc=loc, form=form, error="Choose a .po file to upload."), 400
    try:
        data = sent.read(uploads.MAX_BYTES + 1)  # one byte over is enough to refuse
    finally:
        sent.close()  # large uploads spool to a temporary file
    try:
        result = _preview(loc.code, data, sent.filename)
    except uploads.UploadError as error:
        return render_template("staff/upload.html", loc=loc, form=form, error=str(error)), 400
    seen = result.seen_json()
    token = _pending(loc.code).store(current_user.id, data, sent.filename, seen)  # committed with the request
    return render_template("staff/upload_preview.html", loc=loc, form=form, result=result, token=token,
                           filename=sent.filename, digest=uploads.seen_digest(seen))


def _show_again(loc, form, token: str, filename: str, result: uploads.Preview, error: str):
    """A pending file's preview shown again (409) with what to do: from now on, its apply compares
    with what this page shows."""
    seen = result.seen_json()
    _pending(loc.code).remember(current_user.id, token, seen)
    # Kept though the request is refused (409): from now on the apply compares with this preview.
    db.commit(get_session())
    return render_template("staff/upload_preview.html", loc=loc, form=form, result=result, token=token,
                           filename=filename, digest=uploads.seen_digest(seen), error=error), 409


# A token is token_hex(16); a longer one names no upload (and past 255 bytes, no file at all).
@bp.route("/<locale>/upload/<string(maxlength=32):token>", methods=["POST"])
@access.role("translator")
def apply_upload(locale, token):
    loc = by_code(locale)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    session, pending = get_session(), _pending(loc.code)
    row = pending.load(current_user.id, token)
    if row is None:
        flash("That upload has expired, was already applied, or is someone else's. Upload the file again.")
        return redirect(url_for("translate.upload", locale=loc.code))
    data, filename, seen_json = row.data, row.filename, row.seen_json
    try:  # read as when it was previewed (its own name may have been cut to fit the table)
        catalog = uploads.read_upload(data, "messages.po", loc.code)
    except uploads.UploadError as error:
        return render_template("staff/upload.html", loc=loc, form=form, error=str(error)), 400
    seen = uploads.read_seen(seen_json)
    if seen is None or request.form.get("digest") != uploads.seen_digest(seen_json):
        result = uploads.preview(session, loc.code, catalog, current_terms(), current_app.secret_key)
        return _show_again(loc, form, token, filename, result, "This preview is out of date (the file was previewed "
                           "again since, or before the portal was updated), so nothing was applied. Check the "
                           "preview below, then apply again.")
    take_mine = {key[len("conflict-"):] for key, value in request.form.items()
                 if key.startswith("conflict-") and value == "mine"}
    try:
        done = uploads.apply_as_previewed(session, loc.code, catalog, seen, take_mine=take_mine,
                                          as_fuzzy=request.form.get("mode") == "fuzzy", author=current_user,
                                          terms=current_terms(), secret=current_app.secret_key)
        pending.discard(current_user.id, token)
        session.flush()  # a database refusal is caught here; the request commits it (portal.web)
    except uploads.NothingApplied as error:
        session.rollback()
        return _show_again(loc, form, token, filename, error.preview, str(error))
    except units.WorkspaceError as error:
        session.rollback()
        result = uploads.preview(session, loc.code, catalog, current_terms(), current_app.secret_key)
        return _show_again(loc, form, token, filename, result, str(error))
    applied = len(done.applied)
    if applied:
        flash(f"Applied {applied} translation{'' if applied == 1 else 's'} from the file "
              f"(catalog revision {done.revision}). {uploads.not_applied_note(done.not_applied)}".strip())
    else:
        flash("Nothing was applied: since your preview, the same texts as in your file were saved (by you in "
              "another tab, or by someone else).")
    return redirect(url_for("translate.workspace_home", locale=loc.code))
