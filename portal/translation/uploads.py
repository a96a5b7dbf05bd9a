"""Offline work in Poedit: download with a revision, upload, preview, apply what still stands.

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

The preview's page is not the last word: others keep saving while a translator reads it. The
pending file remembers what its preview showed of each message it would apply (``Preview.seen``);
the apply compares the server again, under the locale's lock, and applies exactly the chosen
messages that are still as shown. Each other one is left as it is on the server and named, for the
translator to decide on a new upload: all or nothing holds per message, not per file.

Files are read by the portal's one strict reader (``pofile.parse``): syntax
errors, duplicates and a charset other than UTF-8 are refused with the line.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

import polib
from babel.messages.plurals import get_plural
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, false, select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.people.models import User
from portal.translation import files
from portal.translation.checks import Terms, check_translation
from portal.translation.identity import MessageKey, forms_of, message_id, message_key
from portal.translation.models import Edit, PendingUpload, Unit
from portal.translation.pofile import PoSyntaxError, dumps, parse
from portal.translation.units import Change, WorkspaceError, apply_changes, current_revision, lock_locale

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
    server_fuzzy: bool = False
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
    same: set[str] = field(default_factory=set)  # ids whose text and mark in the file are the server's

    def seen(self) -> dict[str, list]:
        """What this preview shows of each message an apply could change: its list, and the
        server's text (fingerprint) and "needs edit" mark it was compared with; by message id."""
        return {item.id: [name, item.server_fingerprint, item.server_fuzzy]
                for name in APPLICABLE for item in getattr(self, name)}

    def seen_json(self) -> str:
        """``seen`` as stored with the pending file (one canonical text: its digest names the page)."""
        return json.dumps(self.seen(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


APPLICABLE = ("new", "changed", "conflicts")  # the lists an apply takes messages from


def seen_digest(seen_json: str) -> str:
    """Names one preview page of a pending file: a page whose digest is not the stored one's shows
    choices made against something else (an older preview of the same file)."""
    return hashlib.sha256(seen_json.encode("utf-8")).hexdigest()


def read_seen(seen_json: str | None) -> dict[str, list] | None:
    """A stored ``seen``; None when there is none (a preview from before it was kept) or it is not
    one (then the preview is shown again rather than trusted)."""
    try:
        seen = json.loads(seen_json) if seen_json else None
    except ValueError:
        return None
    if not isinstance(seen, dict) or not all(
            isinstance(value, list) and len(value) == 3 and value[0] in APPLICABLE for value in seen.values()):
        return None
    return seen


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
    server = {unit.key: unit for unit in session.scalars(  # as stored now, not as this session read them earlier
        select(Unit).where(Unit.locale == locale, Unit.obsolete == false()).execution_options(populate_existing=True))}
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
        if (mine, file_fuzzy) == (theirs, current.fuzzy):
            result.unchanged += 1
            result.same.add(current.mid)
            continue
        if not any(mine):
            result.unchanged += 1  # an empty form in the file never erases the server's text
            continue
        if len(mine) != len(theirs):
            mine = (mine + [""] * len(theirs))[:len(theirs)]
        item = Item(key, message_id(key), entry.msgid, theirs, mine, server_fingerprint=current.fingerprint,
                    server_fuzzy=current.fuzzy, fuzzy=file_fuzzy)
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
    whole apply is refused and nothing changes. (For a preview just made in this transaction, as an
    import does; a person's apply, after they read the preview, is ``apply_as_previewed``.)
    """
    chosen = result.new + result.changed + [i for i in result.conflicts if i.id in take_mine]
    if not chosen:
        raise UploadError(NOTHING_TO_APPLY)
    return apply_changes(session, locale, _changes(chosen, as_fuzzy), author, terms, origin=origin)


NOTHING_TO_APPLY = "There is nothing to apply: the file has no new or changed translations that pass the checks."


def _changes(items: list[Item], as_fuzzy: bool) -> list[Change]:
    return [Change(i.id, i.upload, None, fuzzy=as_fuzzy or i.fuzzy, expected_fingerprint=i.server_fingerprint)
            for i in items]


@dataclass
class Applied:
    revision: int  # the locale's revision after the apply
    applied: list[Item]
    not_applied: list[str]  # the English of each chosen message someone changed after the preview


class NothingApplied(UploadError):
    """Every message the translator chose changed after the preview: nothing was applied. Carries
    the new preview, to show instead."""

    def __init__(self, not_applied: list[str], preview: Preview):
        if len(not_applied) == 1:
            what = _quoted(not_applied)
        else:
            what = f"all {len(not_applied)} translations you chose ({_quoted(not_applied)})"
        super().__init__(f"Nothing was applied: someone changed {what} after your preview. Check the new "
                         "preview below, then apply again.")
        self.not_applied, self.preview = not_applied, preview


def apply_as_previewed(session: Session, locale: str, uploaded: polib.POFile, seen: dict[str, list], *,
                       as_fuzzy: bool, take_mine: set[str], author: User | None, terms: Terms,
                       secret: str) -> Applied:
    """Apply what the translator chose on a preview (``seen``: what it showed, ``Preview.seen``):
    its new and changed translations, and the conflicts they resolved as "mine"; of these, exactly
    the ones still in the same list with the same server text and mark. The others are left as
    they are on the server, and named.

    The preview is made again under the locale's lock, so nothing changes between the comparison
    and the save; each change is still bound to the server text it replaces. One transaction, which
    the caller commits. Raises UploadError when nothing was chosen, NothingApplied when everything
    chosen changed since the preview.
    """
    wanted = {mid for mid, (name, _, _) in seen.items() if name != "conflicts" or mid in take_mine}
    if not wanted:
        raise UploadError(NOTHING_TO_APPLY)
    lock_locale(session, locale)  # until the commit: what is compared is what is written over
    result = preview(session, locale, uploaded, terms, secret)
    now = result.seen()
    chosen = [item for name in APPLICABLE for item in getattr(result, name)
              if item.id in wanted and now[item.id] == seen[item.id]]
    taken = {item.id for item in chosen}
    # A message whose file text the server holds already (saved so since the preview) is not lost.
    moved = wanted - taken - result.same
    names = [entry.msgid for entry in uploaded if not entry.obsolete and entry.msgid
             and message_id(message_key(entry)) in moved] if moved else []
    if not chosen:
        if names:
            raise NothingApplied(names, result)
        return Applied(current_revision(session, locale), [], [])
    revision = apply_changes(session, locale, _changes(chosen, as_fuzzy), author, terms, origin="upload")
    return Applied(revision, chosen, names)


def _shortened(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + "\u2026"


def _quoted(names: list[str], shown: int = 5) -> str:
    """The English of some messages, shortened and quoted: at most ``shown``, then how many more."""
    quoted = [f"\u201c{_shortened(name)}\u201d" for name in names[:shown]]
    if len(names) > shown:
        return ", ".join(quoted) + f" and {len(names) - shown} more"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def not_applied_note(names: list[str]) -> str:
    """What the translator is told of the messages an apply left alone ("" when there are none)."""
    if not names:
        return ""
    if len(names) == 1:
        return (f"1 was not applied because someone changed it after your preview: {_quoted(names)}. "
                "Upload the file again to decide it.")
    return (f"{len(names)} were not applied because someone changed them after your preview: {_quoted(names)}. "
            "Upload the file again to decide them.")


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

    def store(self, person_id: int, data: bytes, filename: str = "messages.po", seen_json: str | None = None) -> str:
        """Keep a file and what its preview showed (``Preview.seen_json``); returns its token.
        Flushes; the caller commits."""
        self.prune()
        token = secrets.token_hex(16)
        self.session.add(PendingUpload(token=token, locale=self.locale, user_id=person_id, filename=filename[:255],
                                       data=data, created_at=utcnow(), seen_json=seen_json))
        self.session.flush()
        mine = self.session.scalars(select(PendingUpload.token).where(PendingUpload.user_id == person_id)
                                    .order_by(PendingUpload.created_at.desc(), PendingUpload.token == token)).all()
        keep = [token] + [t for t in mine if t != token][:self.PER_PERSON - 1]
        self.session.execute(delete(PendingUpload).where(PendingUpload.user_id == person_id,
                                                         PendingUpload.token.not_in(keep)))
        return token

    def load(self, person_id: int, token: str) -> PendingUpload | None:
        """The person's pending file of this locale by its token; None when there is none (expired,
        applied, never made, or someone else's)."""
        if not self._TOKEN.match(token or ""):
            return None
        row = self.session.get(PendingUpload, token)
        if row is None or row.user_id != person_id or row.locale != self.locale:
            return None
        if row.created_at < utcnow() - self.MAX_AGE:
            return None
        return row

    def remember(self, person_id: int, token: str, seen_json: str) -> None:
        """What a new preview of a pending file shows: the apply compares with that from now on."""
        self.session.execute(update(PendingUpload).where(PendingUpload.token == token,
                                                         PendingUpload.user_id == person_id)
                             .values(seen_json=seen_json).execution_options(synchronize_session=False))

    def discard(self, person_id: int, token: str) -> None:
        self.session.execute(delete(PendingUpload).where(PendingUpload.token == token,
                                                         PendingUpload.user_id == person_id))
