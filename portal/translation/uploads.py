"""Offline work in Poedit: download with a revision, upload, preview, apply all or nothing.

A downloaded file carries ``X-Portal-Revision``: the catalog's revision when it
was made, signed with the installation's secret (``<locale>.<revision>.<mac>``),
so a file cannot claim a newer revision than it was downloaded at. On upload,
each message is compared three ways: the file, the server now, and the server
at that revision (from the edit history, which records what each save
replaced). Only a message changed in the file *and* on the server since then
is a conflict; one changed only on the server is kept (the file is simply
older), and the preview says so. A file whose stamp is missing or does not
verify has no known base: every difference from a text the server has is a
conflict the translator decides.

Files are read by the portal's one strict reader (``pofile.parse``): syntax
errors, duplicates and a charset other than UTF-8 are refused with the line.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field

import polib
from babel.messages.plurals import get_plural
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, false, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.people.models import User
from portal.translation import files
from portal.translation.checks import Terms, check_translation
from portal.translation.identity import MessageKey, fingerprint, forms_of, message_id, message_key
from portal.translation.models import Edit, PendingUpload, Unit
from portal.translation.pofile import PoSyntaxError, dumps, parse
from portal.translation.units import Change, WorkspaceError, apply_changes, current_revision

MAX_BYTES = 5 * 1024 * 1024
REVISION_HEADER = "X-Portal-Revision"
STAMP_SALT = "portal.po-download"


class UploadError(WorkspaceError):
    """The file was refused; nothing changed. The message says what to do."""


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=STAMP_SALT, sep=".")


def revision_stamp(secret: str, locale: str, revision: int) -> str:
    """The header value a download carries: the revision, signed for this locale."""
    return _signer(secret).sign(f"{locale}.{revision}").decode("ascii")


def stamped_revision(secret: str, locale: str, value: str) -> int | None:
    """The revision a file's stamp vouches for, or None when it is missing, forged or for another
    locale (then nothing the file says about its age is trusted)."""
    try:
        payload = _signer(secret).unsign(value.strip()).decode("ascii")
    except (BadSignature, UnicodeError, ValueError):
        return None
    code, _, number = payload.rpartition(".")
    return int(number) if code == locale and number.isdigit() else None


def download(session: Session, locale: str, secret: str) -> bytes:
    """The locale's units as a file for Poedit, stamped with the locale's revision.

    The revision is read before the units, in the same transaction: a change that commits in
    between has a higher revision than the stamp, so the file is never stamped newer than its
    content (at worst older, which the upload's three-way comparison handles)."""
    revision = current_revision(session, locale)
    catalog = files.catalog(session, locale)
    catalog.metadata[REVISION_HEADER] = revision_stamp(secret, locale, revision)
    return dumps(catalog).encode("utf-8")


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
        catalog = parse(text)
    except PoSyntaxError as exc:
        raise UploadError(f"The file could not be read. {exc} Fix that line (Poedit shows errors "
                          "under Catalog > Validate) and upload again.") from None
    if not catalog.metadata:
        raise UploadError("The file has no header (the first entry, msgid \"\", with Language and "
                          "Plural-Forms). Upload the file as downloaded from the portal.")
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
    revision: int | None  # the revision the file's stamp vouches for; None: missing or not valid
    stamped: bool = False  # the file has a stamp at all (valid or not)
    new: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    conflicts: list[Item] = field(default_factory=list)
    failures: list[Item] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    server_newer: list[Item] = field(default_factory=list)  # changed only on the server: kept
    unchanged: int = 0

    def digest(self) -> str:
        """What the preview was computed against, so an apply can tell if the server moved on."""
        parts = [(i.id, i.server_fingerprint, i.upload) for i in self.new + self.changed + self.conflicts]
        return fingerprint(("", json.dumps(parts, ensure_ascii=False), ""), [])


_UNKNOWN = object()


def state_at(session: Session, locale: str, key: MessageKey, revision: int, now: tuple[list[str], bool]):
    """A message's (text, fuzzy mark) at a catalog revision: its newest save at or before it; else
    what the first save after it replaced; else (nothing saved since) what it is now. ``_UNKNOWN``
    when the history cannot tell (a save that did not record what it replaced)."""
    same = (Edit.locale == locale, Edit.mid == message_id(key))
    before = session.scalars(select(Edit).where(*same, Edit.revision <= revision, Edit.revision > 0)
                             .order_by(Edit.revision.desc(), Edit.id.desc())).first()
    if before is not None:
        return before.forms, before.fuzzy
    after = session.scalars(select(Edit).where(*same, Edit.revision > revision)
                            .order_by(Edit.revision, Edit.id)).first()
    if after is None:
        return now
    if after.replaced_json is None or after.replaced_fuzzy is None:
        return _UNKNOWN
    return json.loads(after.replaced_json), after.replaced_fuzzy


def preview(session: Session, locale: str, uploaded: polib.POFile, terms: Terms, secret: str) -> Preview:
    """Sort every message of the file: new, changed, conflict, failing checks, changed only on the
    server (kept), unknown, or nothing to do.

    A message's state is its text and its "needs edit" mark, compared three ways: the file, the
    server now, and the server at the file's revision. Changed only in the file: applied.
    Changed only on the server: kept. Changed in both to different states: a conflict."""
    stamp = uploaded.metadata.get(REVISION_HEADER, "")
    revision = stamped_revision(secret, locale, stamp) if stamp else None
    result = Preview(revision, stamped=bool(stamp))
    server = {unit.key: unit for unit in session.scalars(select(Unit).where(Unit.locale == locale,
                                                                          Unit.obsolete == false()))}
    for entry in uploaded:
        if entry.obsolete or not entry.msgid:
            continue
        key = message_key(entry)
        if key not in server:
            result.unknown.append(entry.msgid)
            continue
        current = server[key]
        mine, theirs = forms_of(entry), current.forms
        file_fuzzy = "fuzzy" in entry.flags
        if not any(mine) or (mine, file_fuzzy) == (theirs, current.fuzzy):
            result.unchanged += 1  # an empty form in the file never erases the server's text
            continue
        if len(mine) != len(theirs):
            mine = (mine + [""] * len(theirs))[:len(theirs)]
        item = Item(key, message_id(key), entry.msgid, theirs, mine, server_fingerprint=current.fingerprint,
                    fuzzy=file_fuzzy)
        checks = check_translation(entry.msgid, entry.msgid_plural, mine, locale, terms)
        item.problems, item.warnings = checks.blocking, checks.warnings
        base = _UNKNOWN if revision is None else state_at(session, locale, key, revision, (theirs, current.fuzzy))
        item.base = None if base is _UNKNOWN else base[0]
        if base is not _UNKNOWN and tuple(base) == (mine, file_fuzzy):
            result.server_newer.append(item)  # only the server changed it since the download: kept
            continue
        if base is _UNKNOWN:  # no trusted base: any text on the server is a conflict to decide
            changed_on_server = any(theirs)
        else:
            changed_on_server = tuple(base) != (theirs, current.fuzzy)
        if item.problems:
            result.failures.append(item)
        elif changed_on_server:
            result.conflicts.append(item)
        elif not any(theirs):
            result.new.append(item)
        else:
            result.changed.append(item)
    return result


def apply(session: Session, locale: str, result: Preview, *, as_fuzzy: bool, take_mine: set[str], author: User | None,
          terms: Terms, origin: str = "upload") -> int:
    """Apply new and changed translations, and the conflicts resolved as "mine", in one save.

    Each change is bound to the server text the preview showed: if anything moved since, the
    whole apply is refused and nothing changes.
    """
    chosen = result.new + result.changed + [i for i in result.conflicts if i.id in take_mine]
    if not chosen:
        raise UploadError("There is nothing to apply: the file has no new or changed translations "
                          "that pass the checks.")
    changes = [Change(i.id, i.upload, None, fuzzy=as_fuzzy or i.fuzzy, expected_fingerprint=i.server_fingerprint)
               for i in chosen]
    return apply_changes(session, locale, changes, author, terms, origin=origin)


class PendingUploads:
    """Files waiting between preview and apply, in the database: the preview on one host can be
    applied on another. Each belongs to the person who uploaded it (only they can apply it); a
    person keeps at most PER_PERSON (an older one is dropped when they upload another), and none
    outlives MAX_AGE. Pruned on every upload, so the table never grows without bound."""

    MAX_AGE = dt.timedelta(hours=24)
    PER_PERSON = 3
    _TOKEN = re.compile(r"^[0-9a-f]{32}$")

    def __init__(self, session: Session, locale: str):
        self.session, self.locale = session, locale

    def prune(self, now: dt.datetime | None = None) -> None:
        """Drop every pending file older than MAX_AGE, of every locale."""
        self.session.execute(delete(PendingUpload).where(PendingUpload.created_at < (now or utcnow()) - self.MAX_AGE))

    def store(self, person_id: int, data: bytes, filename: str = "messages.po") -> str:
        """Keep a file for its preview; returns its token. Flushes; the caller commits."""
        self.prune()
        token = secrets.token_hex(16)
        self.session.add(PendingUpload(token=token, locale=self.locale, user_id=person_id, filename=filename[:255],
                                       data=data, created_at=utcnow()))
        self.session.flush()
        mine = self.session.scalars(select(PendingUpload.token).where(PendingUpload.user_id == person_id)
                                    .order_by(PendingUpload.created_at.desc(), PendingUpload.token == token)).all()
        keep = [token] + [t for t in mine if t != token][:self.PER_PERSON - 1]
        self.session.execute(delete(PendingUpload).where(PendingUpload.user_id == person_id,
                                                         PendingUpload.token.not_in(keep)))
        return token

    def load(self, person_id: int, token: str) -> bytes | None:
        if not self._TOKEN.match(token or ""):
            return None
        row = self.session.get(PendingUpload, token)
        if row is None or row.user_id != person_id or row.locale != self.locale:
            return None
        if row.created_at < utcnow() - self.MAX_AGE:
            return None
        return row.data

    def discard(self, person_id: int, token: str) -> None:
        self.session.execute(delete(PendingUpload).where(PendingUpload.token == token,
                                                         PendingUpload.user_id == person_id))
