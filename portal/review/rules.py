"""Medical classification, fingerprints, history and approvals.

* Which messages are reviewed (medical content, and site text families read) is read
  from the template only (invariant 2): ``review_kind``.
* An approval pins one fingerprint: context, source, plural source and every
  translation form, hashed together (invariant 1). Any edit changes it.
* Nobody approves text they wrote (invariant 3), judged from the edit history by the
  *words* (``words_fingerprint``: NFC, whitespace and invisible characters normalised) for
  the same message across changes of its English (``Authorship``), so neither a tool that
  rewrites the text nor a change of the English loses who wrote it.

Pure domain code: callers pass a SQLAlchemy session and plain values.
"""
from __future__ import annotations

import json
from collections.abc import Container

import polib
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Approval, Edit, Rejection, SourceChange, User, utcnow
from portal.translation.checks import blocking_problems
from portal.translation.extract import MEDICAL_COMMENT, STAFF_COMMENT
from portal.translation.identity import (
    MessageKey,
    entry_fingerprint,
    forms_of,
    is_translated,
    message_key,
    words_fingerprint,
)


class ReviewError(Exception):
    """An approval the rules refuse; the message says why and what to do."""


class NotAReviewer(ReviewError):
    pass


class OwnText(ReviewError):
    pass


class NothingToApprove(ReviewError):
    pass


class TextChanged(ReviewError):
    """The translation is no longer the text the reviewer read; nothing was recorded."""

    def __init__(self, current_forms: list[str], current_fingerprint: str):
        super().__init__("The translation changed after you opened it. Nothing was recorded: read the "
                         "new text, then approve or reject it.")
        self.current_forms, self.current_fingerprint = current_forms, current_fingerprint


REASON_LIMIT = 2000


def _reason(text: str | None, what: str) -> str:
    """A required reason, trimmed; refused when empty or too long."""
    reason = (text or "").strip()
    if not reason:
        raise ReviewError(f"Give a reason for the {what}: the translator reads it to fix the text.")
    if len(reason) > REASON_LIMIT:
        raise ReviewError(f"Keep the reason under {REASON_LIMIT} characters (it has {len(reason)}).")
    return reason


def review_kind(entry: polib.POEntry) -> str | None:
    """What a template entry is, as its extracted comments say: "medical" (content), "site" (any
    other text families read), or None (staff only: not reviewed). The one place that decides;
    only the template is ever asked, never a working ``.po`` (invariant 2). A string without a
    marker is reviewed as site text: the default is to review."""
    comments = {line.strip() for line in (entry.comment or "").splitlines()}
    if MEDICAL_COMMENT in comments:
        return "medical"
    if STAFF_COMMENT in comments:
        return None
    return "site"


KIND_LABELS = {"medical": "Medical", "site": "Site text"}


def reviewed_keys(template: polib.POFile) -> dict[MessageKey, str]:
    """Every message that needs a reviewer's approval before families read it, with its kind."""
    found = {}
    for entry in template:
        if not entry.obsolete and entry.msgid:
            kind = review_kind(entry)
            if kind is not None:
                found[message_key(entry)] = kind
    return found


_REVIEWED_CACHE: dict[str, tuple[tuple, dict]] = {}


def reviewed_keys_of(template_file) -> dict[MessageKey, str]:
    """``reviewed_keys`` of a template file, parsed again only when the file is replaced or changed
    (pages that show several locales read the one template once)."""
    import os

    from portal.translation.catalogs import load_po

    path = os.fspath(template_file)
    stat = os.stat(path)
    identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _REVIEWED_CACHE.get(path)
    if cached is None or cached[0] != identity:
        cached = (identity, reviewed_keys(load_po(path)))
        _REVIEWED_CACHE[path] = cached
    return cached[1]


def same_message(model, locale: str, key: MessageKey) -> tuple:
    """SQL conditions selecting one message's rows (edits, rejections) in one locale."""
    return (model.locale == locale, model.msgctxt == key[0], model.msgid == key[1], model.msgid_plural == key[2])


def record_edit(session: Session, locale: str, entry: polib.POEntry, author: User | None,
                origin: str = "web", *, revision: int = 0, warnings: list[str] = (),
                previous_msgid: str | None = None, replaced: list[str] | None = None) -> Edit:
    """Remember who wrote the entry's current text (the four-eyes rule reads this).

    ``previous_msgid`` is the English the source replaced (the entry's ``#| msgid``), when
    the caller read it before clearing it; by default the entry's own. ``replaced`` is the
    text this save replaced, when known.
    """
    key = message_key(entry)
    edit = Edit(locale=locale, fingerprint=entry_fingerprint(entry), msgctxt=key[0], msgid=key[1],
                msgid_plural=key[2], translation_json=json.dumps(forms_of(entry), ensure_ascii=False),
                words=words_fingerprint(forms_of(entry)),
                replaced_json=None if replaced is None else json.dumps(list(replaced), ensure_ascii=False),
                author_id=author.id if author else None, origin=origin, revision=revision,
                fuzzy="fuzzy" in entry.flags, warnings_json=json.dumps(list(warnings), ensure_ascii=False),
                previous_msgid=(entry.previous_msgid if previous_msgid is None else previous_msgid) or "")
    session.add(edit)
    return edit


def find_entry(catalog: polib.POFile, key: MessageKey) -> polib.POEntry | None:
    """The live entry of one message in a catalog, or None (its English may have changed)."""
    return next((e for e in catalog if not e.obsolete and message_key(e) == key), None)


def latest_edit(session: Session, locale: str, print_: str) -> Edit | None:
    """The newest recorded save of this exact text."""
    return session.scalars(select(Edit).where(Edit.locale == locale, Edit.fingerprint == print_)
                           .order_by(Edit.id.desc())).first()


class Authorship:
    """Who wrote which words, for the messages of one locale (invariant 3).

    The author of a text is everyone who ever saved the same words (``words_fingerprint``)
    for the same message: the same context and English, or an English it replaced when a
    source change carried the translation over (an edit's ``previous_msgid``, or a
    ``SourceChange`` that `flask translate update` recorded). Saving through the web, an
    upload, a revert or confirming a fuzzy entry all count; text edited outside the portal
    has the author None (unknown).

    ``load`` reads what it needs once: every edit of the locale for pages that list many
    messages, or only those with the given words for one message.
    """

    def __init__(self, edits: list[Edit], before: dict[tuple[str, str], set[str]]):
        self.all_edits = edits  # oldest first
        self._by_words: dict[str, list[Edit]] = {}
        for edit in edits:
            self._by_words.setdefault(edit.words, []).append(edit)
        self._before = before

    @classmethod
    def load(cls, session: Session, locale: str, words: str | None = None) -> "Authorship":
        edits = select(Edit).where(Edit.locale == locale).options(selectinload(Edit.author))
        if words is not None:
            edits = edits.where(Edit.words == words)
        before: dict[tuple[str, str], set[str]] = {}
        changes = session.execute(
            select(Edit.msgctxt, Edit.msgid, Edit.previous_msgid).where(Edit.locale == locale, Edit.previous_msgid != "")
            .union(select(SourceChange.msgctxt, SourceChange.msgid, SourceChange.msgid_before)
                   .where(SourceChange.locale == locale)))
        for msgctxt, msgid, msgid_before in changes:
            before.setdefault((msgctxt, msgid), set()).add(msgid_before)
        return cls(list(session.scalars(edits.order_by(Edit.id))), before)

    def lineage(self, key: MessageKey, previous_msgid: str = "") -> set[tuple[str, str]]:
        """(context, English) of this message, and of every English it replaced."""
        found = {(key[0], key[1])} | ({(key[0], previous_msgid)} if previous_msgid else set())
        todo = list(found)
        while todo:
            msgctxt, msgid = todo.pop()
            for earlier in self._before.get((msgctxt, msgid), ()):
                if (msgctxt, earlier) not in found:
                    found.add((msgctxt, earlier))
                    todo.append((msgctxt, earlier))
        return found

    def edits(self, key: MessageKey, forms: list[str], previous_msgid: str = "") -> list[Edit]:
        """Every save of these words for this message (or an English it replaced), oldest first."""
        lineage = self.lineage(key, previous_msgid)
        return [e for e in self._by_words.get(words_fingerprint(forms), []) if (e.msgctxt, e.msgid) in lineage]

    def authors(self, key: MessageKey, forms: list[str], previous_msgid: str = "") -> set[int | None]:
        return {edit.author_id for edit in self.edits(key, forms, previous_msgid)}


def authors_of(session: Session, locale: str, key: MessageKey, forms: list[str],
               previous_msgid: str = "") -> set[int | None]:
    """Everyone who wrote these words for this message (None: saved outside the portal)."""
    return Authorship.load(session, locale, words_fingerprint(forms)).authors(key, forms, previous_msgid)


def entry_authors(session: Session, locale: str, entry: polib.POEntry) -> set[int | None]:
    """The authors of an entry's current text (its own ``#| msgid`` counts as an earlier English)."""
    return authors_of(session, locale, message_key(entry), forms_of(entry), entry.previous_msgid or "")


def current_approval(session: Session, locale: str, print_: str) -> Approval | None:
    return session.scalars(
        select(Approval).where(Approval.locale == locale, Approval.fingerprint == print_,
                               Approval.revoked_at.is_(None)).order_by(Approval.id.desc())
    ).first()


def approvals_for(session: Session, locale: str) -> list[Approval]:
    """Standing (not revoked) approvals of a locale, oldest first."""
    return list(session.scalars(
        select(Approval).where(Approval.locale == locale, Approval.revoked_at.is_(None))
        .order_by(Approval.created_at, Approval.id)
    ))


def require_reviewer(person: User, locale: str) -> None:
    """Raise NotAReviewer unless ``person`` may review ``locale`` now."""
    if not person.has_role("reviewer", locale):
        raise NotAReviewer(f"{person.username} has no reviewer role for {locale}; an admin can "
                           f"grant it with `flask users set-role {person.username} reviewer {locale}`.")


def check_approvable(session: Session, locale: str, entry: polib.POEntry, reviewed: Container[MessageKey],
                     reviewer: User) -> str | None:
    """The reason this reviewer may not approve this entry now, or None if they may."""
    if message_key(entry) not in reviewed:
        return "it is shown only to staff, so it needs no approval"
    if not is_translated(entry):
        return "it has no translation yet"
    if "fuzzy" in entry.flags:
        return "it is marked fuzzy (needs edit); the translator must confirm it first"
    problems = blocking_problems(entry.msgid, entry.msgid_plural, forms_of(entry), locale)
    if problems:
        return "it fails a blocking check: " + "; ".join(problems)
    if reviewer.id in entry_authors(session, locale, entry):
        return "you wrote this text; another reviewer must approve it (four eyes)"
    return None


def _require_seen(entry: polib.POEntry, seen_fingerprint: str | None) -> str:
    print_ = entry_fingerprint(entry)
    if seen_fingerprint is not None and seen_fingerprint != print_:
        raise TextChanged(forms_of(entry), print_)
    return print_


def approve(session: Session, locale: str, entry: polib.POEntry, reviewed: Container[MessageKey],
            reviewer: User, seen_fingerprint: str | None = None, note: str = "") -> Approval:
    """Approve exactly this entry's current text for ``locale``.

    ``seen_fingerprint`` is the text the reviewer read; if the entry changed
    since, the approval is refused (TextChanged) rather than applied to text nobody read.
    """
    require_reviewer(reviewer, locale)
    print_ = _require_seen(entry, seen_fingerprint)
    note = (note or "").strip()
    if len(note) > REASON_LIMIT:
        raise ReviewError(f"Keep the note under {REASON_LIMIT} characters (it has {len(note)}).")
    problem = check_approvable(session, locale, entry, reviewed, reviewer)
    if problem:
        cls = OwnText if "you wrote" in problem else NothingToApprove
        raise cls(f"Cannot approve {entry.msgid[:60]!r}: {problem}.")
    existing = current_approval(session, locale, print_)
    if existing is not None:
        return existing
    authors = entry_authors(session, locale, entry) - {None}
    key = message_key(entry)
    approval = Approval(
        locale=locale, fingerprint=print_, msgctxt=key[0], msgid=key[1], msgid_plural=key[2],
        translation_json=json.dumps(forms_of(entry), ensure_ascii=False), reviewer_id=reviewer.id,
        author_id=min(authors) if len(authors) == 1 else None, author_known=bool(authors),
        created_at=utcnow(), note=note,
    )
    session.add(approval)
    session.flush()
    return approval


def reject(session: Session, locale: str, entry: polib.POEntry, reviewed: Container[MessageKey],
           reviewer: User, reason: str, seen_fingerprint: str | None = None) -> Rejection:
    """Send this exact text back to its translator with a reason they will read."""
    require_reviewer(reviewer, locale)
    print_ = _require_seen(entry, seen_fingerprint)
    reason = _reason(reason, "rejection")
    if message_key(entry) not in reviewed:
        raise NothingToApprove("This message is shown only to staff; it is not reviewed.")
    if not is_translated(entry):
        raise NothingToApprove("This message has no translation to reject yet.")
    if current_approval(session, locale, print_) is not None:
        raise ReviewError("This text is approved. To take it back from families, revoke the approval "
                          "(with a reason) instead.")
    key = message_key(entry)
    rejection = Rejection(locale=locale, fingerprint=print_, msgctxt=key[0], msgid=key[1], msgid_plural=key[2],
                          translation_json=json.dumps(forms_of(entry), ensure_ascii=False),
                          reviewer_id=reviewer.id, reason=reason, created_at=utcnow())
    session.add(rejection)
    session.flush()
    return rejection


def revoke(session: Session, locale: str, approval_id: int, reviewer: User, reason: str) -> Approval:
    """Withdraw a standing approval: the gate stops serving that text at the next publish."""
    require_reviewer(reviewer, locale)
    approval = session.get(Approval, approval_id)
    if approval is None or approval.locale != locale:
        raise ReviewError(f"There is no approval {approval_id} for {locale}.")
    if approval.revoked_at is not None:
        raise ReviewError(f"That approval was already revoked on {approval.revoked_at:%Y-%m-%d %H:%M} UTC.")
    approval.revoke_reason = _reason(reason, "revocation")
    approval.revoked_at = utcnow()
    approval.revoked_by_id = reviewer.id
    session.flush()
    return approval


def note_outside_texts(session: Session, locale: str, entries: list[polib.POEntry], revision: int = 0) -> int:
    """Record, as written by an unknown author, each translated text no edit accounts for.

    Text edited in the file outside the portal has no history. Noting it when the portal
    first sees it gives the reviewer a "waiting since" and a trail that says the author is
    unknown. It never weakens four eyes: it adds no person to any text's authors.
    """
    candidates = {entry_fingerprint(e): e for e in entries if is_translated(e)}
    if not candidates:
        return 0
    known = set(session.scalars(select(Edit.fingerprint).where(Edit.locale == locale)))
    added = 0
    for print_, entry in candidates.items():
        if print_ not in known:
            record_edit(session, locale, entry, None, "file", revision=revision)
            added += 1
    if added:
        session.flush()
    return added
