"""The translator's workspace for one locale: progress, the message list, one message, Poedit files."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.db import get_session
from portal.forms import ConfirmForm
from portal.locales import by_code
from portal.people import access
from portal.review import trail
from portal.translation import uploads, workspace
from portal.translation.message_info import glossary_for, plural_examples, source_diff, where_used
from portal.web import current_paths, current_terms

bp = Blueprint("translate", __name__, url_prefix="/translate")

PAGE_SIZE = 50


def _views(code: str):
    paths = current_paths()
    return workspace.messages(paths.template, paths.po(code), get_session(), code, current_terms())


def _message_or_404(code: str, mid: str) -> workspace.MessageView:
    paths = current_paths()
    try:
        return workspace.find_message(paths.template, paths.po(code), get_session(), code, current_terms(), mid)
    except workspace.UnknownMessage:
        abort(404)


@bp.route("/<locale>/")
@access.role("translator")
def workspace_home(locale):
    loc = by_code(locale)
    views = _views(loc.code)
    state = request.args.get("state") or None
    if state not in (None, *workspace.STATES):
        state = None
    warnings_only = request.args.get("warnings") == "1"
    query = request.args.get("q", "")[:200]
    chosen = workspace.select_messages(views, state, warnings_only, query)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template(
        "staff/workspace.html", loc=loc, progress=workspace.progress(views), states=workspace.STATES,
        labels=workspace.STATE_LABELS, shown=chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
        matching=len(chosen), page=page, pages=pages, state=state, warnings_only=warnings_only, query=query,
        revision=workspace.current_revision(get_session(), loc.code))


def _message_context(loc, view):
    session = get_session()
    pages = current_app.extensions["content"]
    entry = view.entry
    diff = source_diff(entry.previous_msgid, entry.msgid) if entry.previous_msgid else None
    return dict(loc=loc, view=view, where=where_used(entry.occurrences, pages),
                glossary=glossary_for(entry.msgid, pages), diff=diff,
                history=workspace.history(session, loc.code, view.key),
                objections=workspace.objections(session, loc.code, view.key),
                trail=trail.events(session, loc.code, view.key),
                examples=plural_examples(loc.code) if entry.msgid_plural else None,
                labels=workspace.STATE_LABELS, form=ConfirmForm())


def _not_saved(loc, view, error: workspace.WorkspaceError, mine: list[str] | None = None):
    """The message page again after a refused save: a conflict (409, both versions) or a
    problem the translator can fix (400), with what they typed kept."""
    get_session().rollback()
    context = _message_context(loc, view)
    if isinstance(error, workspace.Conflict):
        return render_template("staff/message.html", conflict=error, mine=mine or error.mine, **context), 409
    return render_template("staff/message.html", error=str(error), mine=mine, **context), 400


def _submitted_forms(view) -> list[str]:
    if view.entry.msgid_plural:
        return [request.form.get(f"form{index}", "") for index in range(len(view.forms))]
    return [request.form.get("form0", "")]


@bp.route("/<locale>/m/<mid>", methods=["GET", "POST"])
@access.role("translator")
def message(locale, mid):
    loc = by_code(locale)
    view = _message_or_404(loc.code, mid)
    context = _message_context(loc, view)
    if request.method == "GET":
        return render_template("staff/message.html", **context)
    if not context["form"].validate_on_submit():
        abort(400)
    mine = [text.replace("\r\n", "\n") for text in _submitted_forms(view)]
    try:
        workspace.save(current_paths().po(loc.code), get_session(), loc.code, view.key, mine,
                       request.form.get("base", ""), current_user, current_terms(),
                       fuzzy=request.form.get("fuzzy") == "1")
    except workspace.WorkspaceError as error:
        return _not_saved(loc, view, error, mine)
    flash("Saved." + (" It waits for review before families see it." if view.reviewed else ""))
    return redirect(url_for("translate.message", locale=loc.code, mid=mid))


@bp.route("/<locale>/m/<mid>/revert/<row_id:edit_id>", methods=["POST"])
@access.role("translator")
def revert(locale, mid, edit_id):
    loc = by_code(locale)
    view = _message_or_404(loc.code, mid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        workspace.revert(current_paths().po(loc.code), get_session(), loc.code, view.key, edit_id,
                         request.form.get("base", ""), current_user, current_terms())
    except workspace.WorkspaceError as error:
        return _not_saved(loc, view, error)
    flash("The earlier version is restored, as a new save by you.")
    return redirect(url_for("translate.message", locale=loc.code, mid=mid))


@bp.route("/<locale>/download")
@access.role("translator")
def download(locale):
    loc = by_code(locale)
    data = uploads.download(current_paths().po(loc.code), get_session(), loc.code, current_app.secret_key)
    return Response(data, mimetype="text/x-gettext-translation",
                    headers={"Content-Disposition": f'attachment; filename="messages-{loc.code}.po"'})


def _pending(code: str) -> uploads.PendingUploads:
    return uploads.PendingUploads(Path(current_app.config["UPLOAD_DIR"]) / code)


def _preview(code: str, data: bytes, filename: str) -> uploads.Preview:
    catalog = uploads.read_upload(data, filename, code)
    return uploads.preview(current_paths().po(code), get_session(), code, catalog, current_terms(),
                           current_app.secret_key)


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
    token = _pending(loc.code).store(current_user.id, data)
    return render_template("staff/upload_preview.html", loc=loc, form=form, result=result, token=token,
                           filename=sent.filename)


# A token is token_hex(16); a longer one names no upload (and past 255 bytes, no file at all).
@bp.route("/<locale>/upload/<string(maxlength=32):token>", methods=["POST"])
@access.role("translator")
def apply_upload(locale, token):
    loc = by_code(locale)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    pending = _pending(loc.code)
    data = pending.load(current_user.id, token)
    if data is None:
        flash("That upload has expired, was already applied, or is someone else's. Upload the file again.")
        return redirect(url_for("translate.upload", locale=loc.code))
    filename = "messages.po"
    result = _preview(loc.code, data, filename)
    if result.digest() != request.form.get("digest"):
        return render_template("staff/upload_preview.html", loc=loc, form=form, result=result, token=token,
                               filename=filename, error="The catalog changed since this preview. Check the "
                               "new preview below, then apply again."), 409
    take_mine = {key[len("conflict-"):] for key, value in request.form.items()
                 if key.startswith("conflict-") and value == "mine"}
    try:
        revision = uploads.apply(current_paths().po(loc.code), get_session(), loc.code, result,
                                 as_fuzzy=request.form.get("mode") == "fuzzy", take_mine=take_mine,
                                 author=current_user, terms=current_terms())
    except workspace.WorkspaceError as error:
        get_session().rollback()
        return render_template("staff/upload_preview.html", loc=loc, form=form, result=result, token=token,
                               filename=filename, error=str(error)), 409
    pending.discard(current_user.id, token)
    applied = len(result.new) + len(result.changed) + len(take_mine & {i.id for i in result.conflicts})
    flash(f"Applied {applied} translation{'' if applied == 1 else 's'} from the file "
          f"(catalog revision {revision}).")
    return redirect(url_for("translate.workspace_home", locale=loc.code))
