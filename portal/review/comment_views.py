"""The comment thread on the translator's and the reviewer's message pages: what the shared
template (``staff/_comments.html``) needs, and a posted comment taken in. Each page's blueprint
has its own POST route (so its own role check), which calls ``post_comment``."""
from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from portal import db
from portal.db import get_session
from portal.forms import CommentForm
from portal.notify import setup as notify_setup
from portal.review import comments
from portal.translation.models import Unit


def thread_context(unit: Unit, endpoint: str, form: CommentForm | None = None, error: str | None = None) -> dict:
    """The thread, the form (as typed, after a refusal) and where it posts (``endpoint``)."""
    return dict(comments=comments.thread(get_session(), unit), comment_form=form or CommentForm(formdata=None),
                comment_error=error, may_comment=comments.may_comment(current_user, unit.locale),
                comment_action=url_for(endpoint, locale=unit.locale, mid=unit.mid) + "#comments",
                comment_limit=comments.MAX_LENGTH)


def post_comment(unit: Unit) -> tuple[CommentForm, str | None]:
    """Take in the comment the request posted (committed with the request), or (form, the reason
    it was refused) with nothing written. A request without a valid CSRF token is a 400."""
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        posted = comments.post(session, unit, current_user, form.body.data)
    except comments.NotAllowed:
        session.rollback()
        abort(403)
    except comments.CommentError as error:
        session.rollback()
        return form, str(error)
    # Sent once the request's unit of work commits (portal.web): a failing mail server loses nothing,
    # and a comment that is not kept mails nobody.
    notices = list(posted.notices)
    db.after_commit(session, lambda: notify_setup.send_now(notices))
    return form, None
