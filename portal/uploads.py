"""Offline work in Poedit: download with a revision, upload, preview, apply all or nothing.

A downloaded file carries ``X-Portal-Revision``: the catalog's revision when it
was made. On upload, each message is compared three ways: the file, the
server now, and the server at that revision (from the edit history). A
message changed in the file *and* on the server since then is a conflict;
one changed only on the server is left alone (the file is simply older).

Pure domain code: no Flask.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polib
from babel.messages.plurals import get_plural
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogs import catalog_lock, load_po
from portal.checks import Terms, check_translation
from portal.models import Edit, User
from portal.review import MessageKey, entry_fingerprint, fingerprint, forms_of, message_key, same_message
from portal.workspace import Change, WorkspaceError, apply_changes, current_revision, message_id

MAX_BYTES = 5 * 1024 * 1024
REVISION_HEADER = "X-Portal-Revision"


class UploadError(WorkspaceError):
    """The file was refused; nothing changed. The message says what to do."""


def download(po_file: Path, session: Session, locale: str) -> bytes:
    """The working catalog as a file for Poedit, stamped with the catalog's revision.

    File and revision are read together under the catalog's lock (saves commit their revision
    before releasing it), so a file is never stamped newer than its content.
    """
    with catalog_lock(po_file):
        session.rollback()  # a fresh transaction: the revision read below is the latest committed
        catalog = load_po(po_file)
        revision = current_revision(session, locale)
    catalog.metadata[REVISION_HEADER] = str(revision)
    return catalog.__unicode__().encode("utf-8")


def _plural_count(header: str) -> str:
    return header.replace(" ", "").rstrip(";")


def read_upload(data: bytes, filename: str, locale: str) -> polib.POFile:
    """Parse an uploaded file, refusing anything that is not this locale's .po."""
    if not filename.lower().endswith(".po"):
        raise UploadError(f"{filename!r} is not a .po file. Upload the .po file you downloaded "
                          "(Poedit saves it as messages.po).")
    if len(data) > MAX_BYTES:
        raise UploadError(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB. "
                          "Upload only the catalog, not a zip or a compiled .mo file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UploadError(f"Line {line}: the file is not UTF-8 text. In Poedit, keep the catalog's "
                          "encoding UTF-8 (Catalog > Properties).") from None
    if "msgid" not in text:
        raise UploadError("The file has no messages in it; is it the right file?")
    try:
        catalog = polib.pofile(text, wrapwidth=76)
    except (OSError, ValueError) as exc:
        raise UploadError(f"The file could not be read: {exc}. Fix that line (Poedit shows errors "
                          "under Catalog > Validate) and upload again.") from None
    language = catalog.metadata.get("Language", "").replace("-", "_")
    if language.lower() != locale.lower():
        raise UploadError(f"This file is for language {language or '(none)'!r}, not {locale}. "
                          f"Upload it to the {language or 'right'} workspace, or download the {locale} file.")
    expected = _plural_count(str(get_plural(locale)))
    got = _plural_count(catalog.metadata.get("Plural-Forms", ""))
    if got != expected:
        raise UploadError(f"The file's Plural-Forms header is {got!r}, but {locale} uses {expected!r}. "
                          "Keep the header as downloaded (Poedit: Catalog > Properties).")
    return catalog


@dataclass
class Item:
    key: MessageKey
    id: str
    msgid: str
    server: list[str]
    upload: list[str]
    base: list[str] | None = None
    server_fingerprint: str = ""
    fuzzy: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Preview:
    revision: int | None
    new: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    conflicts: list[Item] = field(default_factory=list)
    failures: list[Item] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    server_newer: int = 0
    unchanged: int = 0

    def digest(self) -> str:
        """What the preview was computed against, so an apply can tell if the server moved on."""
        parts = [(i.id, i.server_fingerprint, i.upload) for i in self.new + self.changed + self.conflicts]
        return fingerprint(("", json.dumps(parts, ensure_ascii=False), ""), [])


def _text_at(session: Session, locale: str, key: MessageKey, revision: int) -> list[str] | None:
    edit = session.scalars(select(Edit).where(*same_message(Edit, locale, key), Edit.revision <= revision,
                                              Edit.revision > 0).order_by(Edit.revision.desc(), Edit.id.desc())).first()
    return edit.forms if edit else None


def _changed_since(session: Session, locale: str, key: MessageKey, revision: int) -> bool:
    return session.scalars(select(Edit.id).where(*same_message(Edit, locale, key),
                                                 Edit.revision > revision)).first() is not None


def preview(po_file: Path, session: Session, locale: str, uploaded: polib.POFile, terms: Terms) -> Preview:
    """Sort every message of the file: new, changed, conflict, failing checks, unknown, or nothing to do."""
    raw = uploaded.metadata.get(REVISION_HEADER, "").strip()
    revision = int(raw) if raw.isdigit() else None
    result = Preview(revision)
    server = {message_key(e): e for e in load_po(po_file) if not e.obsolete and e.msgid}
    for entry in uploaded:
        if entry.obsolete or not entry.msgid:
            continue
        key = message_key(entry)
        if key not in server:
            result.unknown.append(entry.msgid)
            continue
        current = server[key]
        mine, theirs = forms_of(entry), forms_of(current)
        if not any(mine) or mine == theirs:
            result.unchanged += 1  # an empty form in the file never erases the server's text
            continue
        if len(mine) != len(theirs):
            mine = (mine + [""] * len(theirs))[:len(theirs)]
        item = Item(key, message_id(key), entry.msgid, theirs, mine, server_fingerprint=entry_fingerprint(current),
                    fuzzy="fuzzy" in entry.flags)
        checks = check_translation(entry.msgid, entry.msgid_plural, mine, locale, terms)
        item.problems, item.warnings = checks.blocking, checks.warnings
        if revision is None:
            changed_on_server = _changed_since(session, locale, key, 0)
            item.base = None
        else:
            changed_on_server = _changed_since(session, locale, key, revision)
            item.base = _text_at(session, locale, key, revision)
        if changed_on_server and item.base == mine:
            result.server_newer += 1  # only the server changed it: the file is older, keep the server's
            continue
        if item.problems:
            result.failures.append(item)
        elif changed_on_server:
            result.conflicts.append(item)
        elif not any(theirs):
            result.new.append(item)
        else:
            result.changed.append(item)
    return result


def apply(po_file: Path, session: Session, locale: str, result: Preview, *, as_fuzzy: bool,
          take_mine: set[str], author: User, terms: Terms) -> int:
    """Apply new and changed translations, and the conflicts resolved as "mine", in one save.

    Each change is bound to the server text the preview showed: if anything moved since, the
    whole apply is refused and nothing changes.
    """
    chosen = result.new + result.changed + [i for i in result.conflicts if i.id in take_mine]
    if not chosen:
        raise UploadError("There is nothing to apply: the file has no new or changed translations "
                          "that pass the checks.")
    changes = [Change(i.key, i.upload, i.server_fingerprint, fuzzy=as_fuzzy or i.fuzzy) for i in chosen]
    return apply_changes(po_file, session, locale, changes, author, terms, origin="upload")
