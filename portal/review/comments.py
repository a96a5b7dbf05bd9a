"""Comments: a thread per message and language, between its translators and reviewers.

* Who: anyone with a translator or reviewer role for the language, or an admin.
* What: plain text (no Markdown, no HTML: pages escape it), at most ``MAX_LENGTH`` characters,
  line breaks kept; a blank comment, and characters a reader cannot see (controls, bidi
  overrides and isolates, zero-width characters) are refused, with a message saying what to do.
* Where it belongs: the message's identity (context and English, as every other record of a
  message) and the language, with the translation it was written beside. When the English
  changes and ``flask translate update`` carries the translation over (a recorded source
  change), the new message's thread shows the comments on the English it replaced too, marked
  as such; nothing is moved or rewritten, and the trail and its export keep every comment with
  the English it was written on.

Pure domain code: no Flask. Functions flush; the caller commits.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.notify import events as notify_events
from portal.people.models import User
from portal.review import rules
from portal.review.models import Comment
from portal.translation.checks import is_invisible
from portal.translation.models import SourceChange, Unit

MAX_LENGTH = 2000
# Marks that only set the direction of the text around them: typed by right-to-left keyboards.
_DIRECTION_MARKS = {"\u200e", "\u200f", "\u061c"}


class CommentError(Exception):
    """A comment that was not posted; the message says what to do."""


class NotAllowed(CommentError):
    pass


def may_comment(person: User, locale: str) -> bool:
    return bool(person.is_active and (person.is_admin or person.has_role("translator", locale)
                                      or person.has_role("reviewer", locale)))


def clean_body(text: str | None) -> str:
    """The comment as it is kept: line breaks as "\\n", the ends trimmed; or CommentError."""
    body = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise CommentError("Write a comment before posting it.")
    if len(body) > MAX_LENGTH:
        raise CommentError(f"Keep the comment to {MAX_LENGTH} characters or fewer (it has {len(body)}).")
    for position, ch in enumerate(body, start=1):
        if ch != "\n" and ch not in _DIRECTION_MARKS and is_invisible(ch):
            name = unicodedata.name(ch, "") or f"control character U+{ord(ch):04X}"
            raise CommentError(f"The comment contains a character that cannot be seen ({name}, character "
                               f"{position}). Remove it (retype the text around it) and post again.")
    return body


@dataclass(frozen=True)
class Posted:
    comment: Comment
    notices: list[int]  # outbox rows queued for the writers of the text: send them after the commit


def post(session: Session, unit: Unit, author: User, text: str | None) -> Posted:
    """Add a comment to the thread of ``unit``'s message in its language, and queue its notification
    for the people who wrote the text (in the same transaction). Flushes."""
    if not may_comment(author, unit.locale):
        raise NotAllowed("Only translators and reviewers of this language can comment on its messages.")
    comment = Comment(locale=unit.locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                      msgid=unit.msgid, msgid_plural=unit.msgid_plural, translation_json=unit.forms_json,
                      author_id=author.id, body=clean_body(text), created_at=utcnow())
    session.add(comment)
    session.flush()
    writers = rules.authors_of_text(session, unit) if unit.translated else set()
    notices = [row.id for row in notify_events.commented(session, unit, comment, author, writers)]
    return Posted(comment, notices)


def earlier_english(session: Session, unit: Unit) -> set[str]:
    """Every English this message replaced (recorded source changes, followed back), not its own."""
    before: dict[str, set[str]] = {}
    for msgid, msgid_before in session.execute(
            select(SourceChange.msgid, SourceChange.msgid_before)
            .where(SourceChange.locale == unit.locale, SourceChange.msgctxt == unit.msgctxt)):
        before.setdefault(msgid, set()).add(msgid_before)
    found = {text for text in (unit.previous_msgid, unit.source_before) if text}
    todo = [unit.msgid, *found]
    while todo:
        for earlier in before.get(todo.pop(), ()):
            if earlier not in found:
                found.add(earlier)
                todo.append(earlier)
    found.discard(unit.msgid)
    return found


@dataclass(frozen=True)
class ThreadComment:
    comment: Comment
    on_earlier_english: bool  # written when the message's English was different (comment.msgid)


def thread(session: Session, unit: Unit) -> list[ThreadComment]:
    """The thread of ``unit``'s message in its language, oldest first, with the comments written
    on the English it replaced."""
    earlier = earlier_english(session, unit)
    where = Comment.mid == unit.mid
    if earlier:
        where = or_(where, (Comment.msgctxt == unit.msgctxt) & Comment.msgid.in_(earlier))
    found = session.scalars(select(Comment).where(Comment.locale == unit.locale, where)
                            .options(selectinload(Comment.author)).order_by(Comment.created_at, Comment.id))
    return [ThreadComment(c, c.mid != unit.mid and c.msgid != unit.msgid) for c in found]
