"""The medical review queue for one locale (the full queue is built on this)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from portal import security
from portal.catalogs import load_po
from portal.db import get_session
from portal.locales import by_code
from portal.operations import Paths
from portal.review import approvals_for, entry_fingerprint, is_translated, medical_keys, message_key

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/<locale>/")
@security.role("reviewer")
def queue(locale):
    loc = by_code(locale)
    paths = Paths.from_config(current_app.config)
    medical = medical_keys(load_po(paths.template))
    approved = {a.fingerprint for a in approvals_for(get_session(), loc.code)}
    waiting = [e for e in load_po(paths.po(loc.code))
               if not e.obsolete and message_key(e) in medical and is_translated(e)
               and "fuzzy" not in e.flags and entry_fingerprint(e) not in approved]
    return render_template("staff/queue.html", loc=loc, waiting=waiting)
