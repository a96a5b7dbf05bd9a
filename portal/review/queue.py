"""The review queue and the review dashboard.

The queue of a locale is every reviewed message (medical content, and site text
families read) whose current translation (not
empty, not fuzzy) has no standing approval for its exact text, oldest first.
Each item carries what a reviewer needs to judge it: the previous approved
translation to compare with, the English it replaced when the source changed,
who wrote it, and since when it has waited.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Approval, Edit
from portal.review import trail
from portal.review.rules import Authorship, note_outside_texts
from portal.review.trail import TrailEvent
from portal.translation import workspace
from portal.translation.checks import Terms
from portal.translation.identity import MessageKey, entry_fingerprint
from portal.translation.workspace import MessageView

KINDS = ("new", "changed", "source_changed")
KIND_LABELS = {"new": "New", "changed": "Changed since its last approval", "source_changed": "English source changed"}
FILTERS = (*KINDS, "warnings", "rejected")
FILTER_LABELS = {**KIND_LABELS, "warnings": "Has warnings", "rejected": "Rejected or revoked"}


@dataclass
class Previous:
    """An earlier approved translation to compare the current one with."""

    forms: list[str]
    msgid: str
    approved_at: dt.datetime
    reviewer: str
    standing: bool  # False: that approval was revoked since


@dataclass
class QueueItem:
    view: MessageView
    kind: str  # new, changed, source_changed
    waiting_since: dt.datetime | None
    authors: list[str]  # display names; "unknown" for text edited outside the portal
    previous: Previous | None  # the last approved translation of this message (or of its old English)
    source_before: str  # the English before a source change, or ""
    objection: TrailEvent | None  # a rejection or revocation of exactly this text

    @property
    def id(self) -> str:
        return self.view.id

    def matches(self, name: str | None) -> bool:
        if not name:
            return True
        if name == "warnings":
            return bool(self.view.warnings)
        if name == "rejected":
            return self.objection is not None
        return self.kind == name


@dataclass
class _History:
    """One locale's edits and approvals, grouped for the queue."""

    edits_by_print: dict[str, list[Edit]] = field(default_factory=dict)
    authorship: Authorship | None = None
    source_before: dict[MessageKey, str] = field(default_factory=dict)
    approvals_by_key: dict[MessageKey, list[Approval]] = field(default_factory=dict)
    approvals_by_msgid: dict[tuple[str, str], list[Approval]] = field(default_factory=dict)


def _history(session: Session, locale: str) -> _History:
    history = _History(authorship=Authorship.load(session, locale))
    for edit in history.authorship.all_edits:
        history.edits_by_print.setdefault(edit.fingerprint, []).append(edit)
        if edit.previous_msgid:
            history.source_before[(edit.msgctxt, edit.msgid, edit.msgid_plural)] = edit.previous_msgid
    for approval in session.scalars(select(Approval).where(Approval.locale == locale)
                                    .options(selectinload(Approval.reviewer))
                                    .order_by(Approval.created_at, Approval.id)):
        history.approvals_by_key.setdefault((approval.msgctxt, approval.msgid, approval.msgid_plural),
                                            []).append(approval)
        history.approvals_by_msgid.setdefault((approval.msgctxt, approval.msgid), []).append(approval)
    return history


def _latest(approvals: list[Approval], exclude: str) -> Approval | None:
    """The newest approval of another text, preferring one that still stands."""
    others = [a for a in approvals if a.fingerprint != exclude]
    standing = [a for a in others if a.revoked_at is None]
    return (standing or others or [None])[-1]


def _previous(approval: Approval | None) -> Previous | None:
    if approval is None:
        return None
    return Previous(forms=approval.forms, msgid=approval.msgid, approved_at=approval.created_at,
                    reviewer=approval.reviewer.display_name, standing=approval.revoked_at is None)


def describe(view: MessageView, history: _History, objections: dict[str, TrailEvent]) -> QueueItem:
    """A queue item for one waiting message."""
    key, print_ = view.key, view.fingerprint
    edits = history.edits_by_print.get(print_, [])
    written = history.authorship.edits(key, view.forms, view.entry.previous_msgid or "")
    authors = sorted({e.author.display_name if e.author else "unknown (edited outside the portal)"
                      for e in written})
    source_before = view.entry.previous_msgid or history.source_before.get(key, "")
    changed = _latest(history.approvals_by_key.get(key, []), print_)
    if changed is not None:
        kind, previous = "changed", _previous(changed)
    elif source_before:
        kind = "source_changed"
        previous = _previous(_latest(history.approvals_by_msgid.get((key[0], source_before), []), print_))
    else:
        kind, previous = "new", None
    return QueueItem(view=view, kind=kind, waiting_since=edits[-1].created_at if edits else None,
                     authors=authors, previous=previous, source_before=source_before,
                     objection=objections.get(print_))


def _oldest_first(item: QueueItem):
    return (item.waiting_since or dt.datetime.min, item.view.entry.linenum)


def build(template_file: Path, po_file: Path, session: Session, locale: str, terms: Terms,
          views: list[MessageView] | None = None) -> list[QueueItem]:
    """Every waiting reviewed message of a locale, oldest first (``views``: the catalog's
    messages, if the caller has them already).

    Text that no edit accounts for (edited in the file) is noted first, as written
    by an unknown author, so that it too has a "waiting since" and a trail.
    """
    if views is None:
        views = workspace.messages(template_file, po_file, session, locale, terms)
    waiting = [v for v in views if v.reviewed and v.state in ("awaiting", "rejected")]
    if note_outside_texts(session, locale, [v.entry for v in waiting], workspace.current_revision(session, locale)):
        session.commit()
    history = _history(session, locale)
    objections = trail.objections(trail.events(session, locale))
    return sorted((describe(v, history, objections) for v in waiting), key=_oldest_first)


def item_for(template_file: Path, po_file: Path, session: Session, locale: str, terms: Terms,
             view: MessageView) -> QueueItem:
    """The queue item for one message (waiting or not: an approved one shows its previous approval)."""
    if view.reviewed and view.state in ("awaiting", "rejected"):
        if note_outside_texts(session, locale, [view.entry], workspace.current_revision(session, locale)):
            session.commit()
    # A fingerprint includes the message's key: only its own events can object to its text.
    return describe(view, _history(session, locale), trail.objections(trail.events(session, locale, view.key)))


def counts(items: list[QueueItem]) -> dict[str, int]:
    return {name: sum(item.matches(name) for item in items) for name in FILTERS}


@dataclass
class LocaleSummary:
    """One row of the dashboard."""

    locale: str
    reviewed: int = 0  # every string families read only after review
    approved: int = 0
    awaiting: int = 0
    rejected: int = 0
    not_ready: int = 0  # untranslated or fuzzy: nothing to review yet
    oldest_since: dt.datetime | None = None
    oldest_unknown: bool = False  # True when the oldest waiting text has no recorded time


def summarize(template_file: Path, po_file: Path, session: Session, locale: str) -> LocaleSummary:
    """Counts for the dashboard. States only: no quality checks, so it stays fast for every locale."""
    summary = LocaleSummary(locale)
    if not Path(po_file).exists():
        return summary
    live = [(entry, state) for entry, _, kind, state in workspace.live_entries(template_file, po_file,
                                                                                 session, locale) if kind]
    waiting = [entry for entry, state in live if state == "awaiting"]
    if note_outside_texts(session, locale, [entry for entry, state in live if state in ("awaiting", "rejected")],
                          workspace.current_revision(session, locale)):
        session.commit()
    summary.reviewed = len(live)
    summary.approved = sum(state == "approved" for _, state in live)
    summary.rejected = sum(state == "rejected" for _, state in live)
    summary.awaiting = len(waiting)
    summary.not_ready = summary.reviewed - summary.approved - summary.rejected - summary.awaiting
    if waiting:
        prints = {entry_fingerprint(entry) for entry in waiting}
        latest: dict[str, dt.datetime] = {}
        for print_, created in session.execute(select(Edit.fingerprint, Edit.created_at)
                                               .where(Edit.locale == locale)):
            if print_ in prints and (print_ not in latest or created > latest[print_]):
                latest[print_] = created
        summary.oldest_since = min(latest.values()) if latest else None
        summary.oldest_unknown = len(latest) < len(prints)
    return summary


def waited(since: dt.datetime | None, now: dt.datetime) -> str:
    """A wait in words a person reads at a glance: "3 days", "5 hours", "under an hour"."""
    if since is None:
        return "unknown"
    seconds = max(0, (now - since).total_seconds())
    days, hours = int(seconds // 86400), int(seconds // 3600)
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"
