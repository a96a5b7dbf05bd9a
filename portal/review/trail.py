"""The review trail: every approval, rejection and revocation, with who, when, what and why;
and the comments translators and reviewers wrote on each message (``portal.review.comments``).

Read from the rows that do the work (approvals, their revocation columns, and
rejections), so the trail cannot disagree with what the gate used. Rows are
only ever added, except an approval's revocation columns, which are set once.
A comment is an event of kind "commented": ``reviewer`` is the person who wrote it (a
translator or a reviewer), ``reason`` its text, ``forms`` the translation it was written beside.
The message pages' trail tables and the objections leave comments out (they have a thread of
their own); the locale's trail page and the export include them.

Pure domain code: no Flask.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from portal.review.models import Approval, Comment, Rejection
from portal.translation.identity import MessageKey, message_id

KINDS = ("approved", "rejected", "revoked", "commented")
LABELS = {"approved": "Approved", "rejected": "Rejected", "revoked": "Approval revoked", "commented": "Comment"}


@dataclass(frozen=True)
class TrailEvent:
    kind: str  # approved, rejected, revoked, commented
    at: dt.datetime  # UTC
    locale: str
    msgctxt: str
    msgid: str
    msgid_plural: str
    forms: tuple[str, ...]
    fingerprint: str
    reviewer: str  # username
    reviewer_name: str
    reason: str  # a rejection's or revocation's reason; an approval's optional note
    author: str  # who wrote the text, for approvals: a username, or "" when unknown
    author_known: bool | None  # approvals only: False when the text was edited outside the portal
    approval_id: int | None

    @property
    def key(self) -> MessageKey:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def author_label(self) -> str:
        """Who wrote an approved text, as the trail says it; empty for other events."""
        if self.author_known is None:
            return ""
        if not self.author_known:
            return "unknown (edited outside the portal)"
        return self.author or "several people"


def _from_approval(a: Approval) -> list[TrailEvent]:
    common = dict(locale=a.locale, msgctxt=a.msgctxt, msgid=a.msgid, msgid_plural=a.msgid_plural,
                  forms=tuple(a.forms), fingerprint=a.fingerprint, approval_id=a.id,
                  author=a.author.username if a.author else "", author_known=a.author_known)
    events = [TrailEvent(kind="approved", at=a.created_at, reviewer=a.reviewer.username,
                         reviewer_name=a.reviewer.display_name, reason=a.note or "", **common)]
    if a.revoked_at is not None:
        by = a.revoked_by
        events.append(TrailEvent(kind="revoked", at=a.revoked_at, reviewer=by.username if by else "",
                                 reviewer_name=by.display_name if by else "", reason=a.revoke_reason, **common))
    return events


def _from_rejection(r: Rejection) -> TrailEvent:
    return TrailEvent(kind="rejected", at=r.created_at, locale=r.locale, msgctxt=r.msgctxt, msgid=r.msgid,
                      msgid_plural=r.msgid_plural, forms=tuple(r.forms), fingerprint=r.fingerprint,
                      reviewer=r.reviewer.username, reviewer_name=r.reviewer.display_name, reason=r.reason,
                      author="", author_known=None, approval_id=None)


def _from_comment(c: Comment) -> TrailEvent:
    return TrailEvent(kind="commented", at=c.created_at, locale=c.locale, msgctxt=c.msgctxt, msgid=c.msgid,
                      msgid_plural=c.msgid_plural, forms=tuple(c.forms), fingerprint=c.fingerprint,
                      reviewer=c.author.username, reviewer_name=c.author.display_name, reason=c.body,
                      author="", author_known=None, approval_id=None)


def events(session: Session, locale: str | None = None, key: MessageKey | None = None,
           comments: bool = False) -> list[TrailEvent]:
    """The trail, oldest first; of one locale, or of one message in it (``key`` needs ``locale``);
    with the comments too when ``comments``."""
    approvals = select(Approval).options(selectinload(Approval.reviewer), selectinload(Approval.author),
                                         selectinload(Approval.revoked_by))
    rejections = select(Rejection).options(selectinload(Rejection.reviewer))
    if locale is not None:
        approvals = approvals.where(Approval.locale == locale)
        rejections = rejections.where(Rejection.locale == locale)
    if key is not None:
        approvals = approvals.where(Approval.mid == message_id(key))
        rejections = rejections.where(Rejection.mid == message_id(key))
    found = [event for a in session.scalars(approvals) for event in _from_approval(a)]
    found += [_from_rejection(r) for r in session.scalars(rejections)]
    if comments:
        written = select(Comment).options(selectinload(Comment.author))
        if locale is not None:
            written = written.where(Comment.locale == locale)
        if key is not None:
            written = written.where(Comment.mid == message_id(key))
        found += [_from_comment(c) for c in session.scalars(written.order_by(Comment.id))]
    order = {kind: index for index, kind in enumerate(KINDS)}
    found.sort(key=lambda e: (e.at, order[e.kind], e.approval_id or 0))
    return found


def events_of_texts(session: Session, locale: str, fingerprints: set[str]) -> list[TrailEvent]:
    """The trail of these exact texts (approvals, revocations, rejections), oldest first."""
    approvals = select(Approval).where(Approval.locale == locale, Approval.fingerprint.in_(fingerprints)).options(
        selectinload(Approval.reviewer), selectinload(Approval.author), selectinload(Approval.revoked_by))
    rejections = select(Rejection).where(Rejection.locale == locale, Rejection.fingerprint.in_(fingerprints)).options(
        selectinload(Rejection.reviewer))
    found = [event for a in session.scalars(approvals) for event in _from_approval(a)]
    found += [_from_rejection(r) for r in session.scalars(rejections)]
    order = {kind: index for index, kind in enumerate(KINDS)}
    found.sort(key=lambda e: (e.at, order[e.kind], e.approval_id or 0))
    return found


def page(session: Session, locale: str, offset: int, limit: int) -> tuple[list[TrailEvent], int]:
    """One page of a locale's trail, newest first, and how many events it has: the order and the
    page are chosen in SQL (a union of approvals, revocations and rejections), then only that
    page's rows are read."""
    order = {kind: index for index, kind in enumerate(KINDS)}
    approved = select(literal("approved").label("kind"), Approval.created_at.label("at"), Approval.id.label("id"),
                      literal(order["approved"]).label("rank")).where(Approval.locale == locale)
    revoked = select(literal("revoked"), Approval.revoked_at, Approval.id, literal(order["revoked"])) \
        .where(Approval.locale == locale, Approval.revoked_at.is_not(None))
    rejected = select(literal("rejected"), Rejection.created_at, Rejection.id, literal(order["rejected"])) \
        .where(Rejection.locale == locale)
    commented = select(literal("commented"), Comment.created_at, Comment.id, literal(order["commented"])) \
        .where(Comment.locale == locale)
    everything = union_all(approved, revoked, rejected, commented).subquery()
    total = session.scalar(select(func.count()).select_from(everything))
    chosen = session.execute(select(everything.c.kind, everything.c.id)
                             .order_by(everything.c.at.desc(), everything.c.rank.desc(), everything.c.id.desc())
                             .offset(offset).limit(limit)).all()
    approval_ids = {row_id for kind, row_id in chosen if kind in ("approved", "revoked")}
    rejection_ids = {row_id for kind, row_id in chosen if kind == "rejected"}
    approvals = {a.id: a for a in session.scalars(
        select(Approval).where(Approval.id.in_(approval_ids)).options(
            selectinload(Approval.reviewer), selectinload(Approval.author), selectinload(Approval.revoked_by)))}
    rejections = {r.id: r for r in session.scalars(
        select(Rejection).where(Rejection.id.in_(rejection_ids)).options(selectinload(Rejection.reviewer)))}
    comment_ids = {row_id for kind, row_id in chosen if kind == "commented"}
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(comment_ids)).options(selectinload(Comment.author)))}
    found = []
    for kind, row_id in chosen:
        if kind == "rejected":
            found.append(_from_rejection(rejections[row_id]))
        elif kind == "commented":
            found.append(_from_comment(comments[row_id]))
        else:
            made = _from_approval(approvals[row_id])
            found.append(made[0] if kind == "approved" else made[1])
    return found, total


def objections(found: list[TrailEvent]) -> dict[str, TrailEvent]:
    """The latest rejection or revocation of each text (by fingerprint), unless approved again since."""
    latest: dict[str, TrailEvent] = {}
    for event in found:  # oldest first
        if event.kind == "commented":
            continue  # a comment neither objects nor approves
        if event.kind == "approved":
            latest.pop(event.fingerprint, None)
        else:
            latest[event.fingerprint] = event
    return latest


EXPORT_FIELDS = ("time_utc", "action", "locale", "reviewer", "reviewer_name", "msgctxt", "source",
                 "source_plural", "translation", "reason", "author", "author_known", "fingerprint",
                 "approval_id")


def as_record(event: TrailEvent) -> dict:
    """One event for export; ``translation`` is the list of forms (one, or one per plural form)."""
    return {"time_utc": event.at.replace(microsecond=0).isoformat() + "Z", "action": event.kind,
            "locale": event.locale, "reviewer": event.reviewer, "reviewer_name": event.reviewer_name,
            "msgctxt": event.msgctxt, "source": event.msgid, "source_plural": event.msgid_plural,
            "translation": list(event.forms), "reason": event.reason,
            "author": event.author_label,
            "author_known": event.author_known, "fingerprint": event.fingerprint,
            "approval_id": event.approval_id}


def to_json(found: list[TrailEvent]) -> str:
    return json.dumps([as_record(e) for e in found], ensure_ascii=False, indent=2) + "\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A spreadsheet-safe cell: text a translator wrote must not run as a formula (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(found: list[TrailEvent]) -> str:
    """CSV for spreadsheets; a plural translation's forms are numbered, one per line, in one cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    for event in found:
        record = as_record(event)
        forms = record["translation"]
        record["translation"] = forms[0] if not event.msgid_plural else "\n".join(
            f"[{index}] {form}" for index, form in enumerate(forms))
        writer.writerow([_cell(record[name]) for name in EXPORT_FIELDS])
    return out.getvalue()
