"""The review queue and the review dashboard, as SQL over the units.

The queue of a locale is every reviewed message (medical content, and site text families
read) whose current translation (not empty, not fuzzy) has no standing approval for its exact
text: the units in state "awaiting" or "rejected", oldest first. Each is "new", "changed since
its last approval" (an approval of another text of the message exists) or "English source
changed" (it replaced an English; ``Unit.source_before``). Counts come from one GROUP BY; a
page is 50 rows; what a reviewer needs of each (authors, the last approved text, the objection)
is read for that page only.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from portal.review import trail
from portal.review.models import Approval
from portal.review.rules import Authorship
from portal.review.trail import TrailEvent
from portal.translation.models import Unit
from portal.translation.workspace import MessageView, view

KINDS = ("new", "changed", "source_changed")
KIND_LABELS = {"new": "New", "changed": "Changed since its last approval", "source_changed": "English source changed"}
FILTERS = (*KINDS, "warnings", "rejected")
FILTER_LABELS = {**KIND_LABELS, "warnings": "Has warnings", "rejected": "Rejected or revoked"}
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


def _other_approval(unit=Unit):
    other = aliased(Approval)
    return exists().where(other.locale == unit.locale, other.mid == unit.mid, other.fingerprint != unit.fingerprint)


def _queue_kind():
    return case((_other_approval(), "changed"), (Unit.source_before != "", "source_changed"), else_="new")


def _waiting(locale: str):
    return (Unit.locale == locale, Unit.obsolete.is_(False), Unit.kind.is_not(None),
            Unit.state.in_(("awaiting", "rejected")))


def _filter(query, show: str | None):
    if show in KINDS:
        return query.where(_queue_kind() == show)
    if show == "warnings":
        return query.where(Unit.has_warnings.is_(True))
    if show == "rejected":
        return query.where(Unit.state == "rejected")
    return query


def counts(session: Session, locale: str) -> dict[str, int]:
    """How many waiting messages each filter shows ("all": the whole queue)."""
    found = dict.fromkeys(("all", *FILTERS), 0)
    # Not labelled "kind": GROUP BY a name that is also a column (units.kind) groups by the column.
    rows = session.execute(select(_queue_kind().label("queue_kind"), func.count(),
                                  func.sum(case((Unit.has_warnings.is_(True), 1), else_=0)),
                                  func.sum(case((Unit.state == "rejected", 1), else_=0)))
                           .where(*_waiting(locale)).group_by("queue_kind"))
    for kind, count, warned, rejected in rows:
        found[kind] = count
        found["all"] += count
        found["warnings"] += warned or 0
        found["rejected"] += rejected or 0
    return found


def page(session: Session, locale: str, show: str | None, offset: int, limit: int) -> tuple[list[QueueItem], int]:
    """One page of the queue (oldest first) under a filter, and how many match in all."""
    query = _filter(select(Unit, _queue_kind()).where(*_waiting(locale)), show)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Unit.changed_at.is_(None).desc(), Unit.changed_at, Unit.position)
                           .offset(offset).limit(limit)).all()
    return describe_all(session, locale, [(unit, kind) for unit, kind in rows]), total


def describe_all(session: Session, locale: str, rows: list[tuple[Unit, str]]) -> list[QueueItem]:
    """Queue items for a page of units: their authors read in one go."""
    words = {unit.words for unit, _ in rows}
    authorship = Authorship.load_words(session, locale, words)
    items = []
    for unit, kind in rows:
        items.append(_item(session, unit, kind, authorship, with_previous=False))
    return items


def _item(session: Session, unit: Unit, kind: str, authorship: Authorship, with_previous: bool) -> QueueItem:
    written = authorship.edits(unit.key, unit.forms, unit.previous_msgid or "")
    authors = sorted({e.author.display_name if e.author else OUTSIDE for e in written})
    objection = None
    if unit.state == "rejected":
        objection = trail.objections(trail.events(session, unit.locale, unit.key)).get(unit.fingerprint)
    previous = _previous(session, unit, kind) if with_previous else None
    return QueueItem(view=view(unit), kind=kind, waiting_since=unit.changed_at, authors=authors,
                     previous=previous, source_before=unit.source_before or unit.previous_msgid or "",
                     objection=objection)


def _latest(approvals: list[Approval], exclude: str) -> Approval | None:
    """The newest approval of another text, preferring one that still stands."""
    others = [a for a in approvals if a.fingerprint != exclude]
    standing = [a for a in others if a.revoked_at is None]
    return (standing or others or [None])[-1]


def _previous(session: Session, unit: Unit, kind: str) -> Previous | None:
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
    kind = session.scalar(select(_queue_kind()).where(Unit.id == unit.id))
    return _item(session, unit, kind, Authorship.load_words(session, unit.locale, {unit.words}), with_previous=True)


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
    oldest_unknown: bool = False  # True when a waiting text has no recorded time


def summarize(session: Session, locale: str) -> LocaleSummary:
    """Counts for the dashboard: one GROUP BY and one MIN over the units."""
    summary = LocaleSummary(locale)
    rows = session.execute(select(Unit.state, func.count())
                           .where(Unit.locale == locale, Unit.obsolete.is_(False), Unit.kind.is_not(None))
                           .group_by(Unit.state))
    for state, count in rows:
        summary.reviewed += count
        if state in ("approved", "awaiting", "rejected"):
            setattr(summary, state, count)
    summary.not_ready = summary.reviewed - summary.approved - summary.rejected - summary.awaiting
    if summary.awaiting:
        awaiting = (Unit.locale == locale, Unit.obsolete.is_(False), Unit.kind.is_not(None), Unit.state == "awaiting")
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
