"""Families' feedback: taking an answer (with its limits), and what reviewers read and mark handled.
Pure domain code: no Flask; the caller commits.

What is kept: the language, the page, the choice, the optional text (at most ``MAX_TEXT``
characters) and the time. Nothing about who sent it: no address, no cookie, no browser. To limit how
often one address may send (``PER_ADDRESS`` answers per ``ADDRESS_WINDOW``), each accepted answer
adds a row holding only a keyed hash of the address (``address_key``), not linked to the answer and
deleted once the window has passed; the rows are in the database, so every host counts the same.
``PER_PAGE`` answers per ``PAGE_WINDOW`` about one page in one language stop a flood from many
addresses. Two answers sent at the same instant may both pass a limit that has one place left:
the limits are a brake on floods, not a quota.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.feedback.models import FamilyFeedback, FeedbackLimit
from portal.notify import events as notify_events

CHOICES = ("yes", "partly", "no")
CHOICE_LABELS = {"yes": "Clear", "partly": "Some parts were not clear", "no": "Not clear"}  # for staff
MAX_TEXT = 1000  # characters, after line breaks are made one character each
PER_ADDRESS = 5
ADDRESS_WINDOW = dt.timedelta(minutes=10)
PER_PAGE = 100
PAGE_WINDOW = dt.timedelta(hours=1)


class FeedbackRefused(Exception):
    """An answer that is not kept; ``reason`` names the problem for the page that says so."""

    reason = "refused"


class NoChoice(FeedbackRefused):
    reason = "no_choice"


class TextTooLong(FeedbackRefused):
    reason = "too_long"


class TooMany(FeedbackRefused):
    """A limit is reached: from this address, or about this page in this language."""

    reason = "limited"


class FeedbackNotFound(LookupError):
    """No answer with that id in that language."""


@dataclass(frozen=True)
class Limits:
    per_address: int = PER_ADDRESS
    address_window: dt.timedelta = ADDRESS_WINDOW
    per_page: int = PER_PAGE
    page_window: dt.timedelta = PAGE_WINDOW


def address_key(secret_key: str | bytes, address: str) -> str:
    """A keyed hash of a client address (``throttle.client_address``): the same address gives the
    same key, and without the app's secret nobody can tell which address it was."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, b"portal.feedback-address\0" + address.encode(), hashlib.sha256).hexdigest()


def clean_text(text: str | None) -> str:
    """The text as kept: line breaks as one "\\n" each (a browser sends "\\r\\n" but counts one
    character, as ``maxlength`` does), without spaces at the ends."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def submit(session: Session, locale: str, page: str, choice: str | None, text: str | None, address: str,
           secret_key: str | bytes, limits: Limits = Limits(), now: dt.datetime | None = None,
           page_title: str | None = None) -> FamilyFeedback:
    """Keep one answer about ``page`` in ``locale`` (both already known to exist), from ``address``
    (counted, never stored), and queue its mail for the reviewers who chose "each time" (sent by the
    next outbox run, never from this request). Raises NoChoice, TextTooLong or TooMany, and then
    keeps nothing."""
    now = now or utcnow()
    if choice not in CHOICES:
        raise NoChoice()
    text = clean_text(text)
    if len(text) > MAX_TEXT:
        raise TextTooLong()
    key = address_key(secret_key, address)
    session.execute(delete(FeedbackLimit).where(FeedbackLimit.created_at < now - limits.address_window))
    from_address = session.scalar(select(func.count()).where(FeedbackLimit.address_key == key,
                                                             FeedbackLimit.created_at >= now - limits.address_window))
    about_page = session.scalar(select(func.count()).where(FamilyFeedback.locale == locale,
                                                           FamilyFeedback.page == page,
                                                           FamilyFeedback.created_at >= now - limits.page_window))
    if from_address >= limits.per_address or about_page >= limits.per_page:
        raise TooMany()
    feedback = FamilyFeedback(locale=locale, page=page, choice=choice, text=text, created_at=now)
    session.add_all([feedback, FeedbackLimit(address_key=key, created_at=now)])
    session.flush()
    notify_events.family_answered(session, feedback, page_title or page, CHOICE_LABELS[choice])
    return feedback


# -- What reviewers read ------------------------------------------------------------------------

def new_counts(session: Session, locales: list[str]) -> dict[str, int]:
    """How many answers not yet handled each locale has (one GROUP BY)."""
    found = dict.fromkeys(locales, 0)
    if locales:
        for locale, count in session.execute(
                select(FamilyFeedback.locale, func.count())
                .where(FamilyFeedback.locale.in_(locales), FamilyFeedback.handled_at.is_(None))
                .group_by(FamilyFeedback.locale)):
            found[locale] = count
    return found


def latest(session: Session, locale: str, limit: int = 5, pages: list[str] | None = None,
           include_handled: bool = False) -> list[FamilyFeedback]:
    """The newest answers of a locale (only those not handled, unless ``include_handled``), about
    any page or only ``pages``."""
    query = select(FamilyFeedback).options(selectinload(FamilyFeedback.handled_by)).where(
        FamilyFeedback.locale == locale)
    if pages is not None:
        query = query.where(FamilyFeedback.page.in_(pages))
    if not include_handled:
        query = query.where(FamilyFeedback.handled_at.is_(None))
    return list(session.scalars(query.order_by(FamilyFeedback.created_at.desc(), FamilyFeedback.id.desc())
                                .limit(limit)))


def by_page(items: list[FamilyFeedback], page_order: list[str]) -> list[tuple[str, list[FamilyFeedback]]]:
    """Answers grouped by page, pages in the site's order (a page no longer on the site last)."""
    groups: dict[str, list[FamilyFeedback]] = {}
    for item in items:
        groups.setdefault(item.page, []).append(item)
    order = {slug: i for i, slug in enumerate(page_order)}
    return sorted(groups.items(), key=lambda pair: (order.get(pair[0], len(order)), pair[0]))


def mark_handled(session: Session, locale: str, feedback_id: int, user_id: int,
                 now: dt.datetime | None = None) -> bool:
    """Mark one answer of ``locale`` handled by ``user_id``; False if it already was (kept as it
    was). FeedbackNotFound when no answer of that locale has that id."""
    exists = session.scalar(select(FamilyFeedback.id).where(FamilyFeedback.id == feedback_id,
                                                            FamilyFeedback.locale == locale))
    if exists is None:
        raise FeedbackNotFound(feedback_id)
    done = session.execute(update(FamilyFeedback)
                           .where(FamilyFeedback.id == feedback_id, FamilyFeedback.handled_at.is_(None))
                           .values(handled_at=now or utcnow(), handled_by_id=user_id))
    return done.rowcount == 1
