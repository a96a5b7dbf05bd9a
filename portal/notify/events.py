"""The events people are told about, each as the words of its notification. Called by the
operation that records the event, in its transaction (``kinds.notify`` queues; nothing is sent
here). A new kind adds its function here and its ``Kind`` in ``kinds.KINDS``.

Mails are plain text: what translators and reviewers wrote goes in as text, and only the body
holds line breaks (``kinds.one_line`` makes the subject one line)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal.locales import by_code
from portal.notify.kinds import link, notify, one_line
from portal.notify.models import OutboxMessage
from portal.people.models import User


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in (text or "").splitlines() or [""])


def rejected(session: Session, unit, rejection, reviewer: User, authors) -> list[OutboxMessage]:
    """A reviewer sent a text back: tell the people who wrote it (not the reviewer)."""
    language = by_code(unit.locale).english_name
    forms = unit.forms
    translation = "\n".join(forms)
    subject = f"Sent back ({language}): \"{one_line(translation, 60)}\""
    body = "\n".join([
        "Hello,",
        "",
        f"{reviewer.display_name} read your {language} text and sent it back with a reason.",
        "",
        "English:",
        _indented(unit.msgid),
        "",
        "Your text:",
        *(_indented(form) for form in forms),
        "",
        "Reason:",
        _indented(rejection.reason),
        "",
        f"Fix it here: {link(session, f'/translate/{unit.locale}/m/{unit.mid}')}",
        "",
        f"Choose what you get by e-mail on your account page: {link(session, '/account')}",
        "",
    ])
    return notify(session, "rejection", set(authors) - {reviewer.id}, subject, body)


def commented(session: Session, unit, comment, commenter: User, authors) -> list[OutboxMessage]:
    """Someone commented on a message: tell the people who wrote its current text (not the one who
    commented). The comment goes in as text."""
    language = by_code(unit.locale).english_name
    subject = f"Comment ({language}) from {commenter.display_name}: \"{one_line(comment.body, 60)}\""
    body = "\n".join([
        "Hello,",
        "",
        f"{commenter.display_name} commented on a {language} text you wrote.",
        "",
        "English:",
        _indented(unit.msgid),
        "",
        "Your text:",
        *(_indented(form) for form in unit.forms),
        "",
        "Comment:",
        _indented(comment.body),
        "",
        f"Answer here: {link(session, f'/translate/{unit.locale}/m/{unit.mid}#comments')}",
        "",
        f"Choose what you get by e-mail on your account page: {link(session, '/account')}",
        "",
    ])
    return notify(session, "comment", set(authors) - {commenter.id}, subject, body)
