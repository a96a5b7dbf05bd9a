"""The medical review queue for one locale (the full queue is built on this)."""
from __future__ import annotations

from flask import Blueprint, render_template

from portal import security, workspace
from portal.db import get_session
from portal.locales import by_code
from portal.web import current_paths, current_terms

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/<locale>/")
@security.role("reviewer")
def queue(locale):
    loc = by_code(locale)
    paths = current_paths()
    # Medical, translated, not fuzzy, and no approval for the current text: the workspace's
    # "awaiting" and "rejected" states (a rejected text still has no approval).
    views = workspace.messages(paths.template, paths.po(loc.code), get_session(), loc.code, current_terms())
    waiting = [view for view in views if view.state in ("awaiting", "rejected")]
    return render_template("staff/queue.html", loc=loc, waiting=waiting)
