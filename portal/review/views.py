"""Medical review: the dashboard, each locale's queue, one message, approve / reject / revoke, the trail."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.db import get_session
from portal.forms import ApproveForm, RejectForm, RevokeForm
from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import Approval, utcnow
from portal.people import access
from portal.review import operations, rules, trail
from portal.review import queue as review_queue
from portal.translation import workspace
from portal.translation.catalogs import load_po
from portal.translation.identity import message_id, message_key
from portal.translation.message_info import glossary_for, plural_examples, text_diff, where_used
from portal.web import current_paths, current_terms

bp = Blueprint("review", __name__, url_prefix="/review")

PAGE_SIZE = 50
TRAIL_PAGE_SIZE = 100


def _page_of(items: list, size: int):
    pages = max(1, -(-len(items) // size))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return items[(page - 1) * size: page * size], page, pages


@bp.route("/")
@access.any_role("reviewer")
def dashboard():
    """Per locale: reviewed strings approved, awaiting review, rejected, and the oldest wait."""
    paths, session = current_paths(), get_session()
    rows = [review_queue.summarize(paths.template, paths.po(loc.code), session, loc.code)
            for loc in TRANSLATED_LOCALES]
    return render_template("staff/review_dashboard.html", rows=rows, now=utcnow(), waited=review_queue.waited,
                           locales={loc.code: loc for loc in TRANSLATED_LOCALES})


@bp.route("/<locale>/")
@access.role("reviewer")
def queue(locale):
    loc = by_code(locale)
    paths = current_paths()
    items = review_queue.build(paths.template, paths.po(loc.code), get_session(), loc.code, current_terms())
    show = request.args.get("show") or None
    if show not in (None, *review_queue.FILTERS):
        show = None
    chosen = [item for item in items if item.matches(show)]
    shown, page, pages = _page_of(chosen, PAGE_SIZE)
    return render_template("staff/queue.html", loc=loc, items=items, shown=shown, matching=len(chosen),
                           counts=review_queue.counts(items), filters=review_queue.FILTERS,
                           filter_labels=review_queue.FILTER_LABELS, kind_labels=review_queue.KIND_LABELS,
                           show=show, page=page, pages=pages, now=utcnow(), waited=review_queue.waited)


def _view_or_404(code: str, mid: str) -> workspace.MessageView:
    paths = current_paths()
    try:
        view = workspace.find_message(paths.template, paths.po(code), get_session(), code, current_terms(), mid)
    except workspace.UnknownMessage:
        abort(404)
    if not view.reviewed:
        abort(404)  # staff-only strings are not reviewed
    return view


def _text_seen(code: str, print_: str) -> list[str] | None:
    """The forms of a text by its fingerprint, from the history (for "the text you read")."""
    edit = rules.latest_edit(get_session(), code, print_)
    return edit.forms if edit else None


def _render_message(loc, view, status: int = 200, **extra):
    session, paths = get_session(), current_paths()
    item = review_queue.item_for(paths.template, paths.po(loc.code), session, loc.code, current_terms(), view)
    pages = current_app.extensions["content"]
    previous = item.previous
    diffs = None
    if previous is not None and len(previous.forms) == len(view.forms):
        diffs = [text_diff(old, new) for old, new in zip(previous.forms, view.forms)]
    standing = list(session.scalars(
        select(Approval).where(*rules.same_message(Approval, loc.code, view.key), Approval.revoked_at.is_(None))
        .order_by(Approval.created_at.desc(), Approval.id.desc())))
    current_approval = next((a for a in standing if a.fingerprint == view.fingerprint), None)
    problem = None
    if current_approval is None:
        problem = rules.check_approvable(session, loc.code, view.entry, {view.key}, current_user)
    forms = {"approve": ApproveForm(formdata=None, seen=view.fingerprint),
             "reject": RejectForm(formdata=None, seen=view.fingerprint), "revoke": RevokeForm(formdata=None)}
    forms.update(extra.pop("forms", {}))
    context = dict(
        loc=loc, view=view, item=item, kind_labels=review_queue.KIND_LABELS, diffs=diffs,
        source_diff=text_diff(item.source_before, view.entry.msgid) if item.source_before else None,
        where=where_used(view.entry.occurrences, pages), glossary=glossary_for(view.entry.msgid, pages),
        history=workspace.history(session, loc.code, view.key), trail=trail.events(session, loc.code, view.key),
        standing=standing, current_approval=current_approval, problem=problem, forms=forms,
        labels=workspace.STATE_LABELS, now=utcnow(), waited=review_queue.waited,
        examples=plural_examples(loc.code) if view.entry.msgid_plural else None,
    )
    context.update(extra)
    return render_template("staff/review_message.html", **context), status


@bp.route("/<locale>/m/<mid>")
@access.role("reviewer")
def message(locale, mid):
    loc = by_code(locale)
    return _render_message(loc, _view_or_404(loc.code, mid))


def _nothing_recorded(form) -> str:
    """The summary at the top of a refused form (announced, role=alert): what went wrong."""
    problems = [error for name, errors in form.errors.items() if name != "csrf_token" for error in errors]
    return "Nothing was recorded. " + " ".join(problems)


def _decide(locale: str, mid: str, decision: str):
    loc = by_code(locale)
    view = _view_or_404(loc.code, mid)
    form = ApproveForm() if decision == "approve" else RejectForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.seen.errors:
            abort(400)
        return _render_message(loc, view, 400, forms={decision: form}, error=_nothing_recorded(form))
    text = form.note.data if decision == "approve" else form.reason.data
    try:
        operations.review_message(current_paths(), get_session(), loc.code, view.key, current_user,
                                            form.seen.data, decision, text or "")
    except rules.TextChanged as changed:
        get_session().rollback()
        fresh = _view_or_404(loc.code, mid)
        return _render_message(loc, fresh, 409, changed=changed, seen_forms=_text_seen(loc.code, form.seen.data))
    except rules.ReviewError as error:
        get_session().rollback()
        status = 403 if isinstance(error, (rules.OwnText, rules.NotAReviewer)) else 400
        return _render_message(loc, view, status, error=str(error), forms={decision: form})
    if decision == "approve":
        flash("Approved and published: families reading this language see the new text now.")
    else:
        flash("Rejected. The translator sees your reason in their workspace.")
    return redirect(url_for("review.queue", locale=loc.code))


@bp.route("/<locale>/m/<mid>/approve", methods=["POST"])
@access.role("reviewer")
def approve(locale, mid):
    return _decide(locale, mid, "approve")


@bp.route("/<locale>/m/<mid>/reject", methods=["POST"])
@access.role("reviewer")
def reject(locale, mid):
    return _decide(locale, mid, "reject")


@bp.route("/<locale>/m/<mid>/revoke/<row_id:approval_id>", methods=["POST"])
@access.role("reviewer")
def revoke(locale, mid, approval_id):
    loc = by_code(locale)
    view = _view_or_404(loc.code, mid)
    form = RevokeForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_message(loc, view, 400, forms={"revoke": form}, revoke_id=approval_id,
                               error=_nothing_recorded(form))
    approval = get_session().get(Approval, approval_id)
    if approval is None or (approval.msgctxt, approval.msgid, approval.msgid_plural) != view.key:
        return _render_message(loc, view, 400, error="That approval does not belong to this message.")
    try:
        operations.revoke_approval(current_paths(), get_session(), loc.code, approval_id, current_user,
                                   form.reason.data)
    except rules.ReviewError as error:
        get_session().rollback()
        return _render_message(loc, view, 400, error=str(error))
    flash("Approval revoked and published: families now get the previous approved text of this "
          "message, or English.")
    return redirect(url_for("review.message", locale=loc.code, mid=mid))


@bp.route("/<locale>/trail")
@access.role("reviewer")
def locale_trail(locale):
    """Every approval, rejection and revocation in this locale, newest first."""
    loc = by_code(locale)
    paths = current_paths()
    events = list(reversed(trail.events(get_session(), loc.code)))
    live = set()
    if paths.po(loc.code).exists():
        live = {message_id(message_key(e)) for e in load_po(paths.po(loc.code)) if not e.obsolete}

    def message_link(event: trail.TrailEvent) -> str | None:
        mid = message_id(event.key)
        return url_for("review.message", locale=loc.code, mid=mid) if mid in live else None

    shown, page, pages = _page_of(events, TRAIL_PAGE_SIZE)
    return render_template("staff/review_trail.html", loc=loc, events=shown, total=len(events), page=page,
                           pages=pages, message_link=message_link)
