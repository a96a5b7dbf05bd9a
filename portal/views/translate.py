"""The translator's workspace for one locale (the full workspace is built on this)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from portal import security
from portal.catalogs import load_po
from portal.locales import by_code
from portal.operations import Paths
from portal.review import is_translated

bp = Blueprint("translate", __name__, url_prefix="/translate")


@bp.route("/<locale>/")
@security.role("translator")
def workspace(locale):
    loc = by_code(locale)
    paths = Paths.from_config(current_app.config)
    entries = [e for e in load_po(paths.po(loc.code)) if not e.obsolete]
    counts = {
        "total": len(entries),
        "translated": sum(is_translated(e) and "fuzzy" not in e.flags for e in entries),
        "fuzzy": sum("fuzzy" in e.flags for e in entries),
    }
    return render_template("staff/workspace.html", loc=loc, counts=counts)
