"""The review queue and the review dashboard, as SQL over the units.

The queue of a locale is every reviewed message (medical content, and site text families
read) whose current translation (not empty, not fuzzy) has no standing approval for its exact
text: the units in state "awaiting", "rejected" or "revoked", oldest first. Each is "new", "changed since
its last approval" (an approval of another text of the message exists) or "English source
changed" (it replaced an English; ``Unit.source_before``). Counts come from one GROUP BY; a
page is 50 rows; what a reviewer needs of each (authors, the last approved text, the objection)
is read for that page only.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, func, select, true
from sqlalchemy.orm import Session, selectinload

from portal.review import trail
from portal.review.models import Approval
from portal.review.rules import Authorship
from portal.review.trail import TrailEvent
from portal.translation.models import WAITING, Unit
from portal.translation.workspace import MessageView, view

KINDS = ("new", "changed", "source_changed")
KIND_LABELS = {"new": "New", "changed": "Changed since its last approval", "source_changed": "English source changed"}
FILTERS = (*KINDS, "warnings", "rejected")
FILTER_LABELS = {**KIND_LABELS, "warnings": "Has warnings", "rejected": "Rejected or revoked"}
OBJECTED = ("rejected", "revoked")  # the "Rejected or revoked" filter
OUTSIDE = "unknown (edited outside the portal)"


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


def _waiting(locale: str):
    return (Unit.locale == locale, Unit.obsolete == false(), Unit.kind.is_not(None),
            Unit.state.in_(WAITING))


def _filter(query, show: str | None):
    if show in KINDS:
        return query.where(Unit.queue_kind == show)
    if show == "warnings":
        return query.where(Unit.has_warnings == true())
    if show == "rejected":
        return query.where(Unit.state.in_(OBJECTED))
    return query


def counts(session: Session, locale: str) -> dict[str, int]:
    """How many waiting messages each filter shows ("all": the whole queue): three counts, each
    answered from an index alone."""
    found = dict.fromkeys(("all", *FILTERS), 0)
    for kind, count in session.execute(select(Unit.queue_kind, func.count()).where(*_waiting(locale))
                                       .group_by(Unit.queue_kind)):
        found[kind] = count
        found["all"] += count
    found["warnings"] = session.scalar(select(func.count()).where(*_waiting(locale), Unit.has_warnings == true()))
    found["rejected"] = session.scalar(select(func.count()).where(*_waiting(locale), Unit.state.in_(OBJECTED)))
    return found


def page(session: Session, locale: str, show: str | None, offset: int, limit: int) -> tuple[list[QueueItem], int]:
    """One page of the queue (oldest first) under a filter, and how many match in all."""
    ids = session.scalars(_filter(select(Unit.id).where(*_waiting(locale)), show)
                          .order_by(Unit.changed_at.asc().nulls_first(), Unit.id)).all()
    chosen = ids[offset:offset + limit]
    found = {unit.id: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(chosen)))} if chosen else {}
    return describe_all(session, locale, [found[i] for i in chosen]), len(ids)


def _after(unit: Unit):
    """Units that come after ``unit`` in the queue's order (oldest first, no time first, then id)."""
    if unit.changed_at is None:
        return (Unit.changed_at.is_(None) & (Unit.id > unit.id)) | Unit.changed_at.is_not(None)
    return (Unit.changed_at > unit.changed_at) | ((Unit.changed_at == unit.changed_at) & (Unit.id > unit.id))


def _before(unit: Unit):
    if unit.changed_at is None:
        return Unit.changed_at.is_(None) & (Unit.id < unit.id)
    return Unit.changed_at.is_(None) | (Unit.changed_at < unit.changed_at) | \
        ((Unit.changed_at == unit.changed_at) & (Unit.id < unit.id))


def neighbours(session: Session, locale: str, show: str | None, unit: Unit) -> tuple[str | None, str | None, int]:
    """The previous and next waiting messages around ``unit`` in the filtered queue (whether or not
    ``unit`` itself still waits: after an approval it has left), and how many come before it."""
    ids = _filter(select(Unit.mid).where(*_waiting(locale)), show)
    before = session.scalar(ids.where(_before(unit)).order_by(Unit.changed_at.desc().nulls_last(), Unit.id.desc())
                            .limit(1))
    after = session.scalar(ids.where(_after(unit)).order_by(Unit.changed_at.asc().nulls_first(), Unit.id).limit(1))
    count = session.scalar(_filter(select(func.count()).select_from(Unit).where(*_waiting(locale)), show)
                           .where(_before(unit)))
    return before, after, count or 0


def describe_all(session: Session, locale: str, chosen: list[Unit]) -> list[QueueItem]:
    """Queue items for a page of units: their authors and objections read in one go each."""
    authorship = Authorship.load_words(session, locale, {unit.words for unit in chosen})
    rejected = {unit.fingerprint for unit in chosen if unit.state in OBJECTED}
    objections = trail.objections(trail.events_of_texts(session, locale, rejected)) if rejected else {}
    return [_item(session, unit, authorship, objections, with_previous=False) for unit in chosen]


def _item(session: Session, unit: Unit, authorship: Authorship, objections: dict[str, TrailEvent],
          with_previous: bool) -> QueueItem:
    written = authorship.edits(unit.key, unit.forms, unit.previous_msgid or unit.source_before or "")
    authors = sorted({e.author.display_name if e.author else OUTSIDE for e in written})
    previous = _previous(session, unit) if with_previous else None
    return QueueItem(view=view(unit), kind=unit.queue_kind, waiting_since=unit.changed_at, authors=authors,
                     previous=previous, source_before=unit.source_before or unit.previous_msgid or "",
                     objection=objections.get(unit.fingerprint))


def _latest(approvals: list[Approval], exclude: str) -> Approval | None:
    """The newest approval of another text, preferring one that still stands."""
    others = [a for a in approvals if a.fingerprint != exclude]
    standing = [a for a in others if a.revoked_at is None]
    return (standing or others or [None])[-1]


def _previous(session: Session, unit: Unit) -> Previous | None:
    query = select(Approval).options(selectinload(Approval.reviewer)).order_by(Approval.created_at, Approval.id)
    approval = _latest(list(session.scalars(query.where(Approval.locale == unit.locale, Approval.mid == unit.mid))),
                       unit.fingerprint)
    before = unit.source_before or unit.previous_msgid or ""
    if approval is None and before:
        approval = _latest(list(session.scalars(query.where(Approval.locale == unit.locale,
                                                            and_(Approval.msgctxt == unit.msgctxt,
                                                                 Approval.msgid == before)))), unit.fingerprint)
    if approval is None:
        return None
    return Previous(forms=approval.forms, msgid=approval.msgid, approved_at=approval.created_at,
                    reviewer=approval.reviewer.display_name, standing=approval.revoked_at is None)


def item_for(session: Session, unit: Unit) -> QueueItem:
    """The queue item for one message (waiting or not: an approved one shows its previous approval)."""
    objections = trail.objections(trail.events(session, unit.locale, unit.key))
    return _item(session, unit, Authorship.load_words(session, unit.locale, {unit.words}), objections,
                 with_previous=True)


@dataclass
class LocaleSummary:
    """One row of the dashboard."""

    locale: str
    reviewed: int = 0  # every string families read only after review
    approved: int = 0
    awaiting: int = 0
    rejected: int = 0  # rejected or revoked
    not_ready: int = 0  # untranslated or fuzzy: nothing to review yet
    oldest_since: dt.datetime | None = None
    oldest_unknown: bool = False  # True when a waiting text has no recorded time


def summarize(session: Session, locale: str) -> LocaleSummary:
    """Counts for the dashboard: one GROUP BY and one MIN over the units."""
    summary = LocaleSummary(locale)
    rows = session.execute(select(Unit.state, func.count())
                           .where(Unit.locale == locale, Unit.obsolete == false(), Unit.kind.is_not(None))
                           .group_by(Unit.state))
    for state, count in rows:
        summary.reviewed += count
        if state in ("approved", "awaiting"):
            setattr(summary, state, count)
        elif state in OBJECTED:
            summary.rejected += count
    summary.not_ready = summary.reviewed - summary.approved - summary.rejected - summary.awaiting
    if summary.awaiting:
        awaiting = (Unit.locale == locale, Unit.obsolete == false(), Unit.kind.is_not(None), Unit.state == "awaiting")
        summary.oldest_since = session.scalar(select(func.min(Unit.changed_at)).where(*awaiting))
        summary.oldest_unknown = bool(session.scalar(select(func.count()).where(*awaiting,
                                                                             Unit.changed_at.is_(None))))
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


def waiting_units(session: Session, locale: str, msgids) -> list[Unit]:
    """The waiting units (what the queue lists) among these English texts without context: the
    messages of a content page (``Page.messages``)."""
    msgids = set(msgids)
    if not msgids:
        return []
    return list(session.scalars(select(Unit).where(*_waiting(locale), Unit.msgctxt == "", Unit.msgid.in_(msgids))))


def waiting_on_page(session: Session, locale: str, msgids: list[str]) -> list[QueueItem]:
    """The queue's items among a page's messages, in the page's order (``msgids``), each with the
    last approved text of it to compare with (as one message's review page shows)."""
    found = {unit.msgid: unit for unit in waiting_units(session, locale, msgids)}
    items = describe_all(session, locale, [found[m] for m in dict.fromkeys(msgids) if m in found])
    for item in items:
        item.previous = _previous(session, item.view.unit)
    return items
