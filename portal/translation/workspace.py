"""The translator's workspace: message states, progress, saving with conflict detection, history.

Saving is the one path by which a person changes a working ``.po`` (invariant 5):
under the catalog's lock, the entry is compared with the text the edit was
based on; if someone else changed it meanwhile, nothing is written and a
Conflict carries both versions. Otherwise the file is replaced atomically
(comments, flags and references kept), the catalog's revision goes up by
one, and the edit is recorded with its author and check warnings.

Pure domain code: no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polib
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Approval, CatalogRevision, Edit, User
from portal.review import trail
from portal.review.rules import KIND_LABELS, find_entry, latest_edit, record_edit, reviewed_keys_of, same_message
from portal.review.trail import TrailEvent
from portal.translation.catalogs import catalog_lock, load_po, save_po
from portal.translation.checks import Terms, check_translation
from portal.translation.identity import MessageKey, entry_fingerprint, forms_of, is_translated, message_id, message_key

STATES = ("untranslated", "fuzzy", "translated", "awaiting", "approved", "rejected")
STATE_LABELS = {
    "untranslated": "Untranslated", "fuzzy": "Needs edit (fuzzy)", "translated": "Translated (staff only, not reviewed)",
    "awaiting": "Awaiting review", "approved": "Approved", "rejected": "Rejected",
}


class WorkspaceError(Exception):
    """Something a translator can fix; the message says how."""


class UnknownMessage(WorkspaceError):
    pass


GONE = ("This message is no longer in the catalog (its English source may have changed). "
        "Find it again from the list.")


class BlockedByChecks(WorkspaceError):
    def __init__(self, problems: list[str]):
        super().__init__("The translation was not saved: " + "; ".join(problems) + ".")
        self.problems = problems


class Conflict(WorkspaceError):
    """Someone saved this message after the editor loaded it."""

    def __init__(self, theirs: list[str], mine: list[str], theirs_fingerprint: str, author: str | None):
        super().__init__("Someone else changed this message after you opened it. Nothing was saved; "
                         "choose which version to keep.")
        self.theirs, self.mine, self.theirs_fingerprint, self.author = theirs, mine, theirs_fingerprint, author


def word_count(text: str) -> int:
    return len(text.split())


@dataclass
class MessageView:
    """One message of a catalog as the workspace shows it."""

    entry: polib.POEntry
    key: MessageKey
    id: str
    kind: str | None  # "medical", "site" (both reviewed), or None: staff only (review.review_kind)
    state: str
    warnings: list[str]
    blocking: list[str]

    @property
    def forms(self) -> list[str]:
        return forms_of(self.entry)

    @property
    def reviewed(self) -> bool:
        """Families read it only once a reviewer approved its exact text."""
        return self.kind is not None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "Staff only")

    @property
    def fingerprint(self) -> str:
        return entry_fingerprint(self.entry)


@dataclass
class Progress:
    strings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    words: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    warnings: int = 0
    total_strings: int = 0
    total_words: int = 0


def review_status(session: Session, locale: str) -> tuple[set[str], dict[str, TrailEvent]]:
    """Fingerprints with a standing approval, and the latest rejection or revocation of each text
    that has not been approved again since (the translator sees those as rejected)."""
    approved = set(session.scalars(select(Approval.fingerprint).where(Approval.locale == locale,
                                                                      Approval.revoked_at.is_(None))))
    return approved, trail.objections(trail.events(session, locale))


def state_of(entry: polib.POEntry, reviewed: bool, approved: set[str], rejected: dict) -> str:
    if not is_translated(entry):
        return "untranslated"
    if "fuzzy" in entry.flags:
        return "fuzzy"
    if not reviewed:
        return "translated"
    print_ = entry_fingerprint(entry)
    if print_ in approved:
        return "approved"
    if print_ in rejected:
        return "rejected"
    return "awaiting"


def live_entries(template_file: Path, po_file: Path, session: Session, locale: str):
    """(entry, key, kind, state) for each live message, in catalog order (kind: review.review_kind)."""
    reviewed = reviewed_keys_of(template_file)
    approved, rejected = review_status(session, locale)
    for entry in load_po(po_file):
        if entry.obsolete or not entry.msgid:
            continue
        key = message_key(entry)
        kind = reviewed.get(key)
        yield entry, key, kind, state_of(entry, kind is not None, approved, rejected)


def _view(entry: polib.POEntry, key: MessageKey, kind: str | None, state: str, terms: Terms,
          locale: str) -> MessageView:
    result = check_translation(entry.msgid, entry.msgid_plural, forms_of(entry), locale, terms)
    return MessageView(entry, key, message_id(key), kind, state, result.warnings, result.blocking)


def messages(template_file: Path, po_file: Path, session: Session, locale: str, terms: Terms) -> list[MessageView]:
    """Every live message of a catalog with its state and check results, in catalog order."""
    return [_view(*live, terms, locale) for live in live_entries(template_file, po_file, session, locale)]


def find_message(template_file: Path, po_file: Path, session: Session, locale: str, terms: Terms,
                 id_: str) -> MessageView:
    """One message by its id, checked alone (not the whole catalog); raises UnknownMessage."""
    for entry, key, kind, state in live_entries(template_file, po_file, session, locale):
        if message_id(key) == id_:
            return _view(entry, key, kind, state, terms, locale)
    raise UnknownMessage(GONE)


def progress(views: list[MessageView]) -> Progress:
    result = Progress()
    for view in views:
        words = word_count(view.entry.msgid)
        result.strings[view.state] += 1
        result.words[view.state] += words
        result.total_strings += 1
        result.total_words += words
        result.warnings += bool(view.warnings)
    return result


def select_messages(views: list[MessageView], state: str | None = None, warnings_only: bool = False,
                    query: str = "") -> list[MessageView]:
    """Filter by state, by "has warnings", and by a case-insensitive search of source and translation."""
    needle = query.strip().casefold()
    chosen = []
    for view in views:
        if state and view.state != state:
            continue
        if warnings_only and not view.warnings:
            continue
        if needle and needle not in (view.entry.msgid + " " + (view.entry.msgid_plural or "") + " "
                                     + " ".join(view.forms)).casefold():
            continue
        chosen.append(view)
    return chosen


def current_revision(session: Session, locale: str) -> int:
    row = session.get(CatalogRevision, locale)
    return row.revision if row else 0


def _next_revision(session: Session, locale: str) -> int:
    row = session.get(CatalogRevision, locale)
    if row is None:
        row = CatalogRevision(locale=locale, revision=0)
        session.add(row)
    row.revision += 1
    return row.revision


def _find_entry(catalog: polib.POFile, key: MessageKey) -> polib.POEntry:
    entry = find_entry(catalog, key)
    if entry is None:
        raise UnknownMessage(GONE)
    return entry


def _last_author(session: Session, locale: str, print_: str) -> str | None:
    edit = latest_edit(session, locale, print_)
    return edit.author.username if edit and edit.author else None


@dataclass
class Change:
    """One message to change: its key, the new forms, and the fingerprint the change was based on."""

    key: MessageKey
    forms: list[str]
    base: str | None  # None: do not check (the caller has checked, e.g. an upload preview)
    fuzzy: bool = False


def apply_changes(po_file: Path, session: Session, locale: str, changes: list[Change], author: User | None,
                  terms: Terms, origin: str = "web") -> int:
    """Write several changes as one save: all of them, or (on a conflict or a blocked check) none.

    Returns the catalog's new revision.
    """
    with catalog_lock(po_file):
        catalog = load_po(po_file)
        planned = []
        for change in changes:
            entry = _find_entry(catalog, change.key)
            expected = (len(entry.msgstr_plural) or 2) if entry.msgid_plural else 1
            if len(change.forms) != expected:
                raise WorkspaceError(f"Give {expected} plural forms, one for each field.")
            current = forms_of(entry)
            if change.base is not None and entry_fingerprint(entry) != change.base and current != change.forms:
                raise Conflict(current, change.forms, entry_fingerprint(entry),
                               _last_author(session, locale, entry_fingerprint(entry)))
            result = check_translation(entry.msgid, entry.msgid_plural, change.forms, locale, terms)
            if result.blocking:
                raise BlockedByChecks(result.blocking)
            planned.append((entry, change, result.warnings, entry.previous_msgid or "", current))
        for entry, change, *_ in planned:
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(change.forms))
            else:
                entry.msgstr = change.forms[0]
            if change.fuzzy and "fuzzy" not in entry.flags:
                entry.flags.append("fuzzy")
            elif not change.fuzzy and "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        revision = _next_revision(session, locale)
        for entry, _, warnings, previous, replaced in planned:  # what it replaced, read before the change
            record_edit(session, locale, entry, author, origin, revision=revision, warnings=warnings,
                        previous_msgid=previous, replaced=replaced)
        session.flush()
        # History first, file second: the new file is on disk (fsynced) before the commit, and
        # takes the old one's place only after it. A crash in between leaves the history ahead
        # of the file, never text in the file that no edit accounts for (which would let its
        # author approve it). If the commit fails, the file is untouched.
        save_po(po_file, catalog, before_replace=session.commit)
    return revision


def save(po_file: Path, session: Session, locale: str, key: MessageKey, forms: list[str], base: str,
         author: User, terms: Terms, fuzzy: bool = False) -> int:
    """Save one message from the browser; raises Conflict, BlockedByChecks or UnknownMessage."""
    return apply_changes(po_file, session, locale, [Change(key, forms, base, fuzzy)], author, terms)


def history(session: Session, locale: str, key: MessageKey) -> list[Edit]:
    """Every saved version of a message, newest first."""
    return list(session.scalars(select(Edit).where(*same_message(Edit, locale, key)).order_by(Edit.id.desc())))


def objections(session: Session, locale: str, key: MessageKey) -> list[TrailEvent]:
    """The message's rejections and revocations, newest first (the translator reads the reasons)."""
    return [e for e in reversed(trail.events(session, locale, key)) if e.kind != "approved"]


def revert(po_file: Path, session: Session, locale: str, key: MessageKey, edit_id: int, base: str,
           author: User, terms: Terms) -> int:
    """Save an earlier version again, as a new edit by ``author`` (history is never rewritten)."""
    edit = session.get(Edit, edit_id)
    if edit is None or edit.locale != locale or (edit.msgctxt, edit.msgid, edit.msgid_plural) != key:
        raise WorkspaceError("That version does not belong to this message.")
    return apply_changes(po_file, session, locale, [Change(key, edit.forms, base, edit.fuzzy)], author, terms,
                         origin="revert")
