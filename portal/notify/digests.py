"""The daily digest: per person, what is new since their last digest, in one plain-text mail.

For a reviewer: the texts now waiting for review in their languages that were saved since their
last digest (new, and changed), and families' answers not yet handled; for anyone: the lines
queued for their digest (``kinds.notify`` with the "daily" mode: rejections, comments). Counts
come from GROUP BY queries and lists are capped, so a digest costs a few queries whatever the
size of the queue.

A digest is queued in the outbox in the same transaction that moves the person's cursor and marks
the queued lines as sent, with a compare-and-swap on the cursor: running the command twice, or on
two hosts at once, never builds two digests of the same events. A person gets at most one digest
every ``min_hours`` (so cron may run the command every hour to retry the outbox).

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import false, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.db import utcnow
from portal.feedback.models import FamilyFeedback
from portal.feedback.operations import CHOICE_LABELS
from portal.locales import by_code
from portal.notify.kinds import link, one_line, preferences
from portal.notify.models import DigestCursor, OutboxMessage
from portal.people.models import Role, User
from portal.translation.models import Unit

log = logging.getLogger(__name__)

LISTED = 15  # texts (and answers) named one by one in a digest; the rest are counted
QUEUED_LINES = 50  # queued lines (rejections, comments) one digest takes; the rest wait for the next
KIND_WORDS = {"new": "new", "changed": "changed since its last approval", "source_changed": "English source changed"}


@dataclass
class DigestRun:
    built: int = 0  # digests queued
    skipped: int = 0  # people whose last digest is too recent, or taken by another run


def _excerpt(text: str, limit: int = 120) -> str:
    return one_line(text, limit)


def _window(column, since: dt.datetime | None, until: dt.datetime):
    return (column <= until,) if since is None else (column > since, column <= until)


def _waiting_section(session: Session, locales: list[str], since, until) -> list[str]:
    where = (Unit.locale.in_(locales), Unit.obsolete == false(), Unit.kind.is_not(None), Unit.state == "awaiting",
             *_window(Unit.changed_at, since, until))
    if since is None:  # the first digest: everything waiting, whenever saved (some have no time)
        where = where[:4]
    counts = session.execute(select(Unit.locale, Unit.queue_kind, func.count()).where(*where)
                             .group_by(Unit.locale, Unit.queue_kind)).all()
    if not counts:
        return []
    total = sum(count for *_, count in counts)
    lines = [f"Texts waiting for your review ({total} saved since your last digest):" if since is not None
             else f"Texts waiting for your review ({total}):"]
    by_locale: dict[str, dict[str, int]] = {}
    for locale, kind, count in counts:
        by_locale.setdefault(locale, {})[kind] = count
    for locale in sorted(by_locale):
        kinds = ", ".join(f"{count} {KIND_WORDS.get(kind, kind)}" for kind, count in sorted(by_locale[locale].items()))
        lines.append(f"- {by_code(locale).english_name}: {kinds}. Queue: {link(session, f'/review/{locale}/')}")
    listed = session.execute(select(Unit.locale, Unit.mid, Unit.msgid, Unit.queue_kind).where(*where)
                             .order_by(Unit.locale, Unit.changed_at.asc().nulls_first(), Unit.id).limit(LISTED)).all()
    lines.append("")
    for locale, mid, msgid, kind in listed:
        lines.append(f"  [{locale}, {KIND_WORDS.get(kind, kind)}] {_excerpt(msgid)}")
        lines.append(f"    {link(session, f'/review/{locale}/m/{mid}')}")
    if total > len(listed):
        lines.append(f"  … and {total - len(listed)} more in the queues.")
    return lines


def _feedback_section(session: Session, locales: list[str], since, until) -> list[str]:
    where = (FamilyFeedback.locale.in_(locales), FamilyFeedback.handled_at.is_(None),
             *_window(FamilyFeedback.created_at, since, until))
    counts = dict(session.execute(select(FamilyFeedback.locale, func.count()).where(*where)
                                  .group_by(FamilyFeedback.locale)).all())
    if not counts:
        return []
    lines = [f"Families' answers to \"Was this page clear?\" ({sum(counts.values())} new, not yet handled):"]
    for locale in sorted(counts):
        lines.append(f"- {by_code(locale).english_name}: {counts[locale]}. "
                     f"See them: {link(session, f'/review/{locale}/')}")
    listed = session.scalars(select(FamilyFeedback).where(*where)
                             .order_by(FamilyFeedback.created_at.desc(), FamilyFeedback.id.desc()).limit(LISTED)).all()
    lines.append("")
    for answer in listed:
        said = f": \"{_excerpt(answer.text, 300)}\"" if answer.text.strip() else ""
        lines.append(f"  [{answer.locale}, page {answer.page}] {CHOICE_LABELS.get(answer.choice, answer.choice)}{said}")
    if sum(counts.values()) > len(listed):
        lines.append(f"  … and {sum(counts.values()) - len(listed)} more.")
    return lines


def _queued_section(queued: list[OutboxMessage]) -> list[str]:
    if not queued:
        return []
    lines = ["About your texts:"]
    for row in queued:
        lines.append(f"- {row.subject}")
        lines.extend(f"    {line}" if line else "" for line in row.body.splitlines())
        lines.append("")
    return lines


def body_of(person: User, sections: list[list[str]], since, account_link: str) -> str:
    when = f"since {since:%Y-%m-%d %H:%M} UTC" if since else "so far"
    parts = [f"Hello {person.display_name},", "", f"This is your daily digest from the portal: what is new {when}.", ""]
    for section in sections:
        parts.extend(section)
        parts.append("")
    parts.append(f"Choose what you get by e-mail on your account page: {account_link}")
    return "\n".join(parts) + "\n"


def _candidates(session: Session) -> list[User]:
    """Active people with an address who are reviewers, or have lines waiting for a digest."""
    reviewers = select(Role.user_id).where(Role.role == "reviewer")
    queued = select(OutboxMessage.user_id).where(OutboxMessage.deliver == "digest", OutboxMessage.sent_at.is_(None))
    return list(session.scalars(select(User).where(User.active == true(), User.email != "",
                                                   User.id.in_(reviewers.union(queued))).order_by(User.id)))


def build_for(session: Session, person: User, now: dt.datetime, min_hours: float) -> bool | None:
    """Queue one person's digest and move their cursor, in one transaction (committed here).
    True: queued; False: nothing new (the cursor moved); None: too soon, or another run did it."""
    cursor = session.get(DigestCursor, person.id)
    since = cursor.covered_until if cursor else None
    if since is not None and since > now - dt.timedelta(hours=min_hours):
        return None
    modes = preferences(session, [person.id])
    reviews = person.locales_for("reviewer")
    sections = []
    if reviews and modes[(person.id, "waiting")] == "daily":
        sections.append(_waiting_section(session, reviews, since, now))
    if reviews and modes[(person.id, "feedback")] == "daily":
        sections.append(_feedback_section(session, reviews, since, now))
    queued = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == person.id, OutboxMessage.deliver == "digest", OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id).limit(QUEUED_LINES)))
    sections.append(_queued_section(queued))
    sections = [section for section in sections if section]
    digest = None
    if sections:
        digest = OutboxMessage(user_id=person.id, kind="digest", deliver="each", to_address=person.email,
                               subject=f"Portal digest: what is new for you ({now:%Y-%m-%d})",
                               body=body_of(person, sections, since, link(session, "/account")))
        session.add(digest)
        session.flush()
        if queued:
            marked = session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_([row.id for row in queued]), OutboxMessage.sent_at.is_(None))
                .values(sent_at=now, digest_id=digest.id))
            if marked.rowcount != len(queued):
                db.rollback(session)
                return None
    try:
        if cursor is None:
            session.add(DigestCursor(user_id=person.id, covered_until=now))
            session.flush()
        else:
            moved = session.execute(update(DigestCursor).where(DigestCursor.user_id == person.id,
                                                               DigestCursor.covered_until == since)
                                    .values(covered_until=now))
            if moved.rowcount != 1:
                db.rollback(session)
                return None
        db.commit(session)
    except IntegrityError:  # another run made this person's cursor first
        db.rollback(session)
        return None
    return digest is not None


def build_all(session: Session, min_hours: float = 20.0, now: dt.datetime | None = None) -> DigestRun:
    """Queue the digest of everyone due for one. Each person in a transaction of their own."""
    now = now or utcnow()
    run = DigestRun()
    for person in _candidates(session):
        done = build_for(session, person, now, min_hours)
        if done is None:
            run.skipped += 1
        elif done:
            run.built += 1
    return run
