"""Routes of "Was this page clear?". The families' side: the form's fields for each page, and the one
POST that takes an answer (``/<tag>/<slug>/feedback``, on the families' blueprint, so it shares their
locale handling and never touches a session). The staff side: marking an answer handled (on the
review blueprint; what staff pages show is ``portal.feedback.staff``).

The form is part of each cached family page: its fields are the same for every reader (see
``portal.feedback.guard`` for how the POST is protected without a session). The answers that
come back (thank you, try again later, please check your answer, refused) are built per request,
``no-store``, in the reader's language through ``_()``, like every family page.
"""
from __future__ import annotations

import logging

from flask import Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.db import get_session
from portal.families.i18n import current_locale
from portal.families.views import _renderer
from portal.families.views import bp as families
from portal.feedback import guard, operations, staff
from portal.locales import by_code
from portal.people import access
from portal.people.throttle import client_address
from portal.review.views import bp as review

log = logging.getLogger(__name__)

RETRY_AFTER = 600  # seconds: the per-address window


def form_fields(slug: str) -> dict:
    """What the page's form needs: where it posts, and its signed field (the same for every reader)."""
    loc = current_locale()
    return {"action": url_for("public.feedback", tag=loc.tag, slug=slug),
            "token": guard.form_token(current_app.secret_key, loc.code, slug), "max_text": operations.MAX_TEXT}


def limits() -> operations.Limits:
    """The limits, from the config where set (FEEDBACK_PER_ADDRESS, FEEDBACK_PER_PAGE)."""
    config = current_app.config
    return operations.Limits(per_address=int(config.get("FEEDBACK_PER_ADDRESS", operations.PER_ADDRESS)),
                             per_page=int(config.get("FEEDBACK_PER_PAGE", operations.PER_PAGE)))


def _answer(slug: str, outcome: str, status: int, **extra):
    page = current_app.extensions["content"][slug]
    body = render_template("feedback.html", outcome=outcome, slug=slug, page_title=_renderer().piece(page.title),
                           form=form_fields(slug), alternates=[], **extra)
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


@families.route("/<tag>/<slug>/feedback", methods=["POST"])
@access.public
def feedback(slug):
    """Take one answer about a page in a language: refused as cross-site (403) or with a token that is
    not this page's (400), asked again when the choice is missing or the text too long (400, with
    what they wrote), limited (429); else kept, and a thank-you page. Nothing is kept unless all
    is well."""
    if slug not in current_app.extensions["content"]:
        abort(404)
    loc = current_locale()
    problem = guard.request_origin_problem(request.headers.get("Sec-Fetch-Site"), request.headers.get("Origin"),
                                           request.headers.get("Referer"), request.host, request.scheme)
    if problem:
        log.info("feedback refused as cross-site: %s", problem)
        return _answer(slug, "refused", 403)
    if not guard.token_matches(current_app.secret_key, request.form.get("token"), loc.code, slug):
        return _answer(slug, "refused", 400)
    choice, text = request.form.get("choice"), request.form.get("text", "")
    session = get_session()
    try:
        operations.submit(session, loc.code, slug, choice, text, client_address(request.remote_addr),
                          current_app.secret_key, limits(),
                          page_title=current_app.extensions["content"][slug].title.text)
    except operations.TooMany:
        session.rollback()
        return _answer(slug, "limited", 429)
    except operations.FeedbackRefused as refused:
        session.rollback()
        return _answer(slug, "check", 400, error=refused.reason,
                       choice=choice if choice in operations.CHOICES else None,
                       text=operations.clean_text(text))
    return _answer(slug, "thanks", 200)  # committed with the request (portal.web)


def init_app(app: Flask) -> None:
    """The form's fields for family templates; the session CSRF check off for this route only
    (it has its own: ``portal.feedback.guard``)."""
    app.jinja_env.globals["feedback_form_fields"] = form_fields
    access.csrf.exempt(feedback)


# -- Staff: marking an answer handled (on the review blueprint) -----------------------------------

BACK = {"dashboard", "queue"}


@review.route("/<locale>/feedback/<row_id:item>/handled", methods=["POST"])
@access.any_role("reviewer")
def feedback_handled(locale, item):
    """Mark one answer handled: a reviewer of that language (admins: English). 403 for anyone
    else, 404 for an answer that is not in that language. CSRF: the staff forms' token."""
    try:
        loc = by_code(locale)
    except LookupError:
        abort(404)
    if not staff.may_read(current_user, loc.code):
        abort(403)
    session = get_session()
    try:
        changed = operations.mark_handled(session, loc.code, item, current_user.id)
    except operations.FeedbackNotFound:
        abort(404)
    flash("Marked as handled." if changed else "Someone had already marked it as handled.")
    back = request.form.get("back")
    if back == "queue" and not loc.is_source:
        return redirect(url_for("review.queue", locale=loc.code, _anchor="feedback"))
    return redirect(url_for("review.dashboard", _anchor="feedback"))
