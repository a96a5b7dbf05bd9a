"""Medical review: the dashboard, each locale's queue, one message, approve / reject / revoke, the trail."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import false, select

from portal import message_page
from portal.db import get_session, utcnow
from portal.feedback import staff as feedback
from portal.feedback.operations import CHOICE_LABELS
from portal.forms import ApproveForm, RejectForm, RevokeForm
from portal.locales import TRANSLATED_LOCALES, by_code
from portal.notify import setup as notify_setup
from portal.people import access
from portal.review import comment_views, gate, operations, rules, trail
from portal.review import queue as review_queue
from portal.review.models import Approval
from portal.translation import units, workspace
from portal.translation.identity import message_id
from portal.translation.message_info import text_diff
from portal.translation.models import WAITING, Unit

bp = Blueprint("review", __name__, url_prefix="/review")

PAGE_SIZE = 50
TRAIL_PAGE_SIZE = 100


def _page_number(total: int, size: int) -> tuple[int, int]:
    """The page asked for (1 if none or nonsense, the last one if past the end), and how many."""
    return workspace.clamp_page(workspace.page_number(request.args.get("page")), total, size)


@bp.route("/")
@access.any_role("reviewer")
def dashboard():
    """Per locale: reviewed strings approved, awaiting review, rejected, the oldest wait, and whether
    families read every approval yet (the served catalog is behind when a publish failed)."""
    session = get_session()
    rows = [review_queue.summarize(session, loc.code) for loc in TRANSLATED_LOCALES]
    return render_template("staff/review_dashboard.html", rows=rows, now=utcnow(), waited=review_queue.waited,
                           locales={loc.code: loc for loc in TRANSLATED_LOCALES},
                           behind=gate.behind_locales(session), feedback=feedback.dashboard(session, current_user),
                           page_titles=feedback.page_titles(current_app.extensions["content"]),
                           choice_labels=CHOICE_LABELS)


def _shown_filter() -> str | None:
    """The queue filter of the query string; anything that is not one of the filters means all."""
    show = request.args.get("show") or None
    return show if show in review_queue.FILTERS else None


def _queue_params(show: str | None, page: int) -> dict:
    return {name: value for name, value in (("show", show), ("page", page if page > 1 else None)) if value}


@dataclass
class QueueLinks:
    """A review page's place in the queue it was opened from: its filter, page, and neighbours."""

    show: str | None
    page: int
    params: dict
    queue_url: str
    previous_url: str | None
    next_url: str | None


def _queue_links(loc, unit: Unit) -> QueueLinks:
    show = _shown_filter()
    before, after, index = review_queue.neighbours(get_session(), loc.code, show, unit)
    listed = unit.state in WAITING
    page = workspace.page_holding(index, PAGE_SIZE) if listed else workspace.page_number(request.args.get("page"))

    def link(mid: str | None, at: int) -> str | None:
        return url_for("review.message", locale=loc.code, mid=mid, **_queue_params(show, workspace.page_holding(at, PAGE_SIZE))) \
            if mid else None

    return QueueLinks(show=show, page=page, params=_queue_params(show, page),
                      queue_url=url_for("review.queue", locale=loc.code, **_queue_params(show, page)),
                      previous_url=link(before, index - 1), next_url=link(after, index + (1 if listed else 0)))


def _onward(loc, mid: str, done: str, category: str = "message"):
    """After a decision: the next message of the same filtered queue, or the queue when none is left,
    with a note of what was done."""
    links = _queue_links(loc, units.get(get_session(), loc.code, mid))
    if links.next_url:
        flash(f"{done} This is the next message of the queue.", category)
        return redirect(links.next_url)
    flash(f"{done} No message after that one waits in this list.", category)
    return redirect(links.queue_url)


@bp.route("/<locale>/")
@access.role("reviewer")
def queue(locale):
    loc = by_code(locale)
    session = get_session()
    show = _shown_filter()
    counts = review_queue.counts(session, loc.code)
    matching = counts["all"] if show is None else counts[show]
    page, pages = _page_number(matching, PAGE_SIZE)
    shown, matching = review_queue.page(session, loc.code, show, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages_ = current_app.extensions["content"]
    all_feedback = request.args.get("feedback") == "all"
    return render_template("staff/queue.html", loc=loc, total=counts["all"], shown=shown, matching=matching,
                           feedback=feedback.queue(session, loc.code, pages_, all_feedback),
                           all_feedback=all_feedback, page_titles=feedback.page_titles(pages_),
                           choice_labels=CHOICE_LABELS,
                           params=_queue_params(show, page), state_labels=workspace.STATE_LABELS,
                           counts=counts, filters=review_queue.FILTERS,
                           filter_labels=review_queue.FILTER_LABELS, kind_labels=review_queue.KIND_LABELS,
                           show=show, page=page, pages=pages, now=utcnow(), waited=review_queue.waited)


def _unit_or_404(code: str, mid: str) -> Unit:
    unit = units.get(get_session(), code, mid)
    if unit is None or not unit.reviewed:
        abort(404)  # no such message, or a staff-only string (not reviewed)
    return unit


def _text_seen(code: str, print_: str) -> list[str] | None:
    """The forms of a text by its fingerprint, from the history (for "the text you read")."""
    edit = units.latest_edit(get_session(), code, print_)
    return edit.forms if edit else None


def _render_message(loc, unit: Unit, status: int = 200, **extra):
    """The reviewer's message page: what both message pages show (``portal.message_page``), and
    the decision's own parts."""
    session = get_session()
    context = message_page.shared_context(loc, unit, "review.comment")
    item = review_queue.item_for(session, unit)
    pages = current_app.extensions["content"]
    previous = item.previous
    diffs = None
    if previous is not None and len(previous.forms) == len(unit.forms):
        diffs = [text_diff(old, new) for old, new in zip(previous.forms, unit.forms)]
    standing = list(session.scalars(
        select(Approval).where(Approval.locale == loc.code, Approval.mid == unit.mid, Approval.revoked_at.is_(None))
        .order_by(Approval.created_at.desc(), Approval.id.desc())))
    current_approval = next((a for a in standing if a.fingerprint == unit.fingerprint), None)
    problem = None if current_approval is not None else rules.check_approvable(session, unit, current_user)
    forms = {"approve": ApproveForm(formdata=None, seen=unit.fingerprint),
             "reject": RejectForm(formdata=None, seen=unit.fingerprint), "revoke": RevokeForm(formdata=None)}
    forms.update(extra.pop("forms", {}))
    context.update(
        feedback=feedback.for_pages(session, loc.code, sorted({p["slug"] for p in context["where"] if p["slug"]})),
        page_titles=feedback.page_titles(pages), choice_labels=CHOICE_LABELS,
        item=item, kind_labels=review_queue.KIND_LABELS,
        diffs=diffs, source_diff=text_diff(item.source_before, unit.msgid) if item.source_before else None,
        standing=standing, current_approval=current_approval, problem=problem, forms=forms,
        now=utcnow(), waited=review_queue.waited, nav=_queue_links(loc, unit))
    context.update(extra)
    return render_template("staff/review_message.html", **context), status


@bp.route("/<locale>/m/<mid>")
@access.role("reviewer")
def message(locale, mid):
    loc = by_code(locale)
    return _render_message(loc, _unit_or_404(loc.code, mid))


def approved_not_published(reason: str) -> str:
    """After an approval that is recorded but whose publish failed: what happened, and what happens next."""
    return (f"Approved. Publishing failed: {reason}. Families still see the previous text. "
            "It will publish on the next attempt.")


def revoked_not_published(reason: str) -> str:
    """After a revocation that is recorded but whose publish failed."""
    return (f"Revoked. Publishing failed: {reason}. Families may still see the revoked text until it "
            "publishes; it will publish on the next attempt.")


def _nothing_recorded(form) -> str:
    """The summary at the top of a refused form (announced, role=alert): what went wrong."""
    problems = [error for name, errors in form.errors.items() if name != "csrf_token" for error in errors]
    return "Nothing was recorded. " + " ".join(problems)


def _decide(locale: str, mid: str, decision: str):
    loc = by_code(locale)
    unit = _unit_or_404(loc.code, mid)
    form = ApproveForm() if decision == "approve" else RejectForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.seen.errors:
            abort(400)
        return _render_message(loc, unit, 400, forms={decision: form}, error=_nothing_recorded(form))
    text = form.note.data if decision == "approve" else form.reason.data
    session = get_session()
    try:
        outcome = operations.review_message(session, loc.code, mid, current_user, form.seen.data, decision,
                                            text or "")
    except rules.TextChanged as changed:
        session.rollback()
        return _render_message(loc, _unit_or_404(loc.code, mid), 409, changed=changed,
                               seen_forms=_text_seen(loc.code, form.seen.data))
    except rules.ReviewError as error:
        session.rollback()
        status = 403 if isinstance(error, (rules.OwnText, rules.NotAReviewer)) else 400
        return _render_message(loc, _unit_or_404(loc.code, mid), status, error=str(error), forms={decision: form})
    if decision == "approve" and outcome.publish_error:
        return _onward(loc, mid, approved_not_published(outcome.publish_error), "warning")
    if decision == "approve":
        return _onward(loc, mid, "Approved and published: families reading this language see the new text now.")
    notify_setup.send_now(outcome.notices)  # after the commit: a failing mail server loses nothing
    return _onward(loc, mid, "Rejected. The translator sees your reason in their workspace.")


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
    unit = _unit_or_404(loc.code, mid)
    form = RevokeForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_message(loc, unit, 400, forms={"revoke": form}, revoke_id=approval_id,
                               error=_nothing_recorded(form))
    session = get_session()
    approval = session.get(Approval, approval_id)
    if approval is None or approval.locale != loc.code or approval.mid != unit.mid:
        return _render_message(loc, unit, 400, error="That approval does not belong to this message.")
    try:
        outcome = operations.revoke_approval(session, loc.code, approval_id, current_user, form.reason.data)
    except rules.ReviewError as error:
        session.rollback()
        return _render_message(loc, _unit_or_404(loc.code, mid), 400, error=str(error))
    if outcome.publish_error:
        return _onward(loc, mid, revoked_not_published(outcome.publish_error), "warning")
    return _onward(loc, mid, "Approval revoked and published: families now get the previous approved text of "
                   "this message, or English.")


@bp.route("/<locale>/m/<mid>/comments", methods=["POST"])
@access.role("reviewer")
def comment(locale, mid):
    """Post a comment in the message's thread; refused: the page again, with the reason at the field."""
    loc = by_code(locale)
    unit = _unit_or_404(loc.code, mid)
    form, error = comment_views.post_comment(unit)
    if error:
        return _render_message(loc, unit, 400, **comment_views.thread_context(unit, "review.comment", form, error))
    flash("Your comment is posted.")
    return redirect(url_for("review.message", locale=loc.code, mid=mid) + "#comments")


@bp.route("/<locale>/trail")
@access.role("reviewer")
def locale_trail(locale):
    """Every approval, rejection and revocation in this locale, newest first, 100 a page."""
    loc = by_code(locale)
    session = get_session()
    _, total = trail.page(session, loc.code, 0, 0)
    page, pages = _page_number(total, TRAIL_PAGE_SIZE)
    shown, total = trail.page(session, loc.code, (page - 1) * TRAIL_PAGE_SIZE, TRAIL_PAGE_SIZE)
    live = set(session.scalars(select(Unit.mid).where(Unit.locale == loc.code, Unit.obsolete == false(),
                                                      Unit.mid.in_({message_id(e.key) for e in shown}))))

    def message_link(event: trail.TrailEvent) -> str | None:
        mid = message_id(event.key)
        return url_for("review.message", locale=loc.code, mid=mid) if mid in live else None

    return render_template("staff/review_trail.html", loc=loc, events=shown, total=total, page=page,
                           pages=pages, message_link=message_link)
