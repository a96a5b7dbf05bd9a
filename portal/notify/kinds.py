"""The kinds of notification, and the one hook that queues a notification of any kind.

A feature that wants to tell people about something (a rejection now; comments later) declares
its kind in ``KINDS`` and calls ``notify`` in the transaction that records the thing, with who
should hear of it and the words: the outbox rows are then committed with it, or not at all.
Sending happens after the commit (``outbox.send_now`` from a request, and
`flask notify send-digests`), so a mail server that fails never undoes or blocks the change.

Pure domain code: no Flask. Whether mail is on, and the public address for links, come with
the session (``session.info[SETTINGS]``, set by ``portal.notify.setup.init_app``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from portal.notify.models import NotificationPreference, OutboxMessage
from portal.people.models import Role, User

MODES = ("off", "each", "daily")
MODE_LABELS = {"off": "Off", "each": "Each time, by itself", "daily": "In a daily digest"}
SETTINGS = "notify_settings"  # session.info key: {"enabled": bool, "base_url": str}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what the account page calls it
    role: str  # who may choose it: people with this role for some language
    default: str
    modes: tuple[str, ...] = MODES


KINDS = {kind.name: kind for kind in (
    # Reviewers: what waits in their languages. A daily digest by default. "Each time" is one mail
    # per save (an upload is one save, listing its texts) or per family's answer; these are queued
    # in the outbox and sent by the next `flask notify send-digests` run, never from the request
    # (a family's answer must never wait on a mail server). The digest leaves out the kinds a
    # person gets each time.
    Kind("waiting", "New and changed texts waiting for review in your languages", "reviewer", "daily"),
    Kind("feedback", "Families' answers to \"Was this page clear?\" in your languages", "reviewer", "daily"),
    # Translators: what happens to their texts.
    Kind("rejection", "A reviewer sent back a text you wrote", "translator", "each"),
    Kind("comment", "Comments on texts you wrote", "translator", "each"),
)}


def kinds_for(user: User) -> list[Kind]:
    """The kinds a person may choose: those of the roles they have (for any language)."""
    return [kind for kind in KINDS.values() if user.locales_for(kind.role)]


def preferences(session: Session, user_ids) -> dict[tuple[int, str], str]:
    """(person, kind) -> mode, for these people and every kind (the default where none is saved)."""
    ids = set(user_ids)
    found = {(user_id, kind.name): kind.default for user_id in ids for kind in KINDS.values()}
    if ids:
        for row in session.scalars(select(NotificationPreference).where(NotificationPreference.user_id.in_(ids))):
            if row.kind in KINDS and row.mode in KINDS[row.kind].modes:
                found[(row.user_id, row.kind)] = row.mode
    return found


class PreferenceError(ValueError):
    """A choice the account page cannot save; the message says what to do. Nothing was changed."""


def set_preferences(session: Session, user: User, chosen: dict[str, str]) -> None:
    """Save a person's choices (kind -> mode) for the kinds they may choose; every value is checked
    before anything changes. Does not commit."""
    allowed = {kind.name: kind for kind in kinds_for(user)}
    for name, mode in chosen.items():
        kind = allowed.get(name)
        if kind is None:
            raise PreferenceError(f"There is no notification called {name!r} for your roles. Reload the page and "
                                  "try again. Nothing was changed.")
        if mode not in kind.modes:
            choices = ", ".join(MODE_LABELS[m] for m in kind.modes)
            given = f" ({mode[:20]!r} is not one of them)" if mode else ""
            raise PreferenceError(f"Choose how you hear about \"{kind.label}\": {choices}{given}. "
                                  "Nothing was changed.")
    saved = {row.kind: row for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for name, mode in chosen.items():
        if name in saved:
            saved[name].mode = mode
        else:
            session.add(NotificationPreference(user_id=user.id, kind=name, mode=mode))
    session.flush()


SUBJECT_LIMIT = 150


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Text for a mail header: every line break, tab and other control or invisible character
    becomes a space (no header can be added through it), spaces collapse, at most ``limit``
    characters."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[:limit - 1].rstrip() + "…"


def reviewers_of(session: Session, locale: str) -> set[int]:
    """The people with the reviewer role for ``locale``."""
    return set(session.scalars(select(Role.user_id).where(Role.role == "reviewer", Role.locale == locale)))


def mail_enabled(session: Session) -> bool:
    return bool(session.info.get(SETTINGS, {}).get("enabled"))


def link(session: Session, path: str) -> str:
    """A link for a mail: the configured public address and the path, or the path alone."""
    return session.info.get(SETTINGS, {}).get("base_url", "").rstrip("/") + path


def notify(session: Session, kind: str, user_ids, subject: str, body: str, *,
           digest_lines: bool = True) -> list[OutboxMessage]:
    """Queue a notification of ``kind`` for each of these people who wants it and has an address
    (active people only), in the caller's transaction: a mail of its own ("each") or a line of
    their next digest ("daily"). ``digest_lines=False``: only for those who chose "each" (the
    digest builds its own section of this kind). Nothing is queued while mail is not configured.
    Returns the rows added (flushed, so they have ids)."""
    if kind not in KINDS:
        raise ValueError(f"undeclared notification kind {kind!r}: add it to portal.notify.kinds.KINDS")
    ids = {i for i in user_ids if i is not None}
    if not ids or not mail_enabled(session):
        return []
    modes = preferences(session, ids)
    people = session.scalars(select(User).where(User.id.in_(ids), User.active == true(), User.email != "")).all()
    rows = []
    for person in people:
        mode = modes[(person.id, kind)]
        if mode == "off" or (mode == "daily" and not digest_lines):
            continue
        rows.append(OutboxMessage(user_id=person.id, kind=kind, deliver="each" if mode == "each" else "digest",
                                  to_address=person.email, subject=one_line(subject), body=body))
    session.add_all(rows)
    session.flush()
    return rows
