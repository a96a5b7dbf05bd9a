"""What both message pages show about one message, built once: the translator's
(``portal.translation.views``) and the reviewer's (``portal.review.views``). Each page adds its own
parts (the translator's box, suggestions and neighbours; the reviewer's decision, standing
approvals and families' answers)."""
from __future__ import annotations

from flask import current_app

from portal.db import get_session
from portal.review import comment_views, trail
from portal.translation import units, workspace
from portal.translation.message_info import glossary_for, plural_examples, where_used
from portal.translation.models import Unit


def shared_context(loc, unit: Unit, comment_endpoint: str) -> dict:
    """The message as a catalog entry, where it is used, its glossary terms, its history and trail,
    which numbers each plural form is for, and its comment thread (posting to ``comment_endpoint``)."""
    session, pages = get_session(), current_app.extensions["content"]
    view = workspace.view(unit)
    return dict(loc=loc, view=view, entry=view.entry, where=where_used(unit.occurrences, pages),
                glossary=glossary_for(unit.msgid, pages), history=units.history(session, loc.code, unit.key),
                trail=trail.events(session, loc.code, unit.key),
                examples=plural_examples(loc.code) if unit.msgid_plural else None, labels=workspace.STATE_LABELS,
                **comment_views.thread_context(unit, comment_endpoint))
