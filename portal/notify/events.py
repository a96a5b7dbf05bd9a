"""The events people are told about, each as the words of its notification. Called by the
operation that records the event, in its transaction (``kinds.notify`` queues; nothing is sent
here). A new kind adds its function here and its ``Kind`` in ``kinds.KINDS``.

Mails are plain text: what translators and reviewers wrote goes in as text, and only the body
holds line breaks (``kinds.one_line`` makes the subject one line)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.notify.kinds import link, mail_enabled, notify, one_line, reviewers_of
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


LISTED = 15  # texts named one by one in a "waiting" mail; the rest are counted


def texts_waiting(session: Session, locale: str, units, author: User | None) -> list[OutboxMessage]:
    """A save (or an upload, an import) put texts in the review queue: one mail for each reviewer of
    the language who chose "each time" (not the person who saved)."""
    units = list(units)
    if not units or not mail_enabled(session):
        return []
    language = by_code(locale).english_name
    count = len(units)
    subject = f"{count} {language} text{'' if count == 1 else 's'} waiting for review"
    lines = ["Hello,", "", f"{author.display_name if author else 'An import'} saved {count} {language} "
             f"text{'' if count == 1 else 's'} that wait{'s' if count == 1 else ''} for a medical review.", ""]
    for unit in units[:LISTED]:
        lines += ["English:", _indented(unit.msgid), "Translation:", *(_indented(form) for form in unit.forms),
                  f"Review it: {link(session, f'/review/{locale}/m/{unit.mid}')}", ""]
    if count > LISTED:
        lines += [f"And {count - LISTED} more in the queue: {link(session, f'/review/{locale}/')}", ""]
    lines += [f"Choose what you get by e-mail on your account page: {link(session, '/account')}", ""]
    return notify(session, "waiting", reviewers_of(session, locale) - {author.id if author else None},
                  subject, "\n".join(lines), digest_lines=False)


def family_answered(session: Session, feedback, page_title: str, choice_label: str) -> list[OutboxMessage]:
    """A family answered "Was this page clear?": one mail for each reviewer of the language who chose
    "each time". The family's words go in as text."""
    if feedback.locale not in {loc.code for loc in TRANSLATED_LOCALES} or not mail_enabled(session):
        return []  # English answers go to the admins' dashboard
    language = by_code(feedback.locale).english_name
    subject = f"Family answer ({language}): {choice_label}"  # short: the page is in the body
    body = "\n".join([
        "Hello,",
        "",
        f"A family reading \"{page_title}\" in {language} answered \"Was this page clear?\": {choice_label}.",
        "",
        *(["Their words:", _indented(feedback.text), ""] if feedback.text else []),
        f"Read it and mark it handled: {link(session, f'/review/{feedback.locale}/#feedback')}",
        "",
        f"Choose what you get by e-mail on your account page: {link(session, '/account')}",
        "",
    ])
    return notify(session, "feedback", reviewers_of(session, feedback.locale), subject, body, digest_lines=False)
