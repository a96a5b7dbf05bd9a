"""Gettext catalogs on disk: the template and the working ``.po`` files.

The working texts live in the database (``units``); files are the template, written by
extraction, and ``.po`` files in and out (``operations``). Every catalog is read by
``pofile.parse`` and written by ``pofile.dumps`` (the one reader and writer, exact for any
text), through ``atomic_write`` (docs/design.md, invariant 5): a temporary file in the same folder,
``fsync``, then ``os.replace``, so a crash leaves the old file or the new one, never half of
one. Extraction uses Babel's own API, as ``pybabel extract`` would, on objects only.

Pure domain code: no Flask.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import stat
import tempfile
import textwrap
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import polib
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from portal.translation.pofile import WIDTH, PoSyntaxError, dumps, parse

PROJECT = "relapse-portal"
VERSION = "1.0"
BUGS_ADDRESS = "translators@relapse-portal.invalid"
COPYRIGHT = "Relapse portal contributors"
TEAM = f"Relapse portal translators <{BUGS_ADDRESS}>"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
# A temporary file of ``atomic_write`` untouched for this long belongs to a write that was killed
# (a live one is written, fsynced and renamed within moments), and is removed.
ORPHAN_AGE = 60.0

log = logging.getLogger(__name__)


class CatalogError(Exception):
    """A catalog problem a person can fix; the message says how."""


def pot_path(translations_dir: Path) -> Path:
    return Path(translations_dir) / "messages.pot"


@contextmanager
def catalog_lock(path: Path):
    """An exclusive lock for one catalog, across threads and processes (``flock``)."""
    lock_file = Path(f"{path}.lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_written: ContextVar[list[Path] | None] = ContextVar("catalogs_written", default=None)


@contextmanager
def recording_writes():
    """Collect the paths ``atomic_write`` replaces inside the block (a list, filled as they are):
    a command that fails half-way can then say which files it had already written."""
    written: list[Path] = []
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


def _temporary_name(target: str) -> re.Pattern:
    """The names ``atomic_write`` gives its temporary files for ``target``: tempfile.mkstemp's
    ``.<target>.<8 random characters>.tmp``."""
    return re.compile(rf"\.{re.escape(target)}\.[a-z0-9_]{{8}}\.tmp")


ANY_TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def _remove_old(folder: Path, pattern: re.Pattern, age: float) -> int:
    """Remove the regular files in ``folder`` whose whole name matches ``pattern`` and that nobody
    wrote for ``age`` seconds. Never raises OSError: a file that cannot go is logged and left."""
    cutoff, removed = time.time() - age, 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    except OSError as exc:
        log.warning("could not look for temporary files of interrupted writes in %s: %s", folder, exc.strerror)
        return 0
    for entry in entries:
        if pattern.fullmatch(entry.name) is None:
            continue
        try:
            found = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(found.st_mode) or found.st_mtime > cutoff:
                continue  # not a file we made (a symlink, a folder), or a write still under way
            os.unlink(entry.path)
            removed += 1
        except FileNotFoundError:
            continue  # another process removed it first
        except OSError as exc:
            log.warning("could not remove %s, left by an interrupted write: %s", entry.path, exc.strerror)
    if removed:
        log.info("removed %d temporary file(s) of interrupted writes in %s", removed, folder)
    return removed


def remove_orphans(path: Path, age: float = ORPHAN_AGE) -> int:
    """Remove the temporary files that earlier writes of ``path`` left when they were killed
    (``.<name>.<8 random characters>.tmp`` next to it, untouched for ``age`` seconds); a
    concurrent write's own file is younger and stays. Returns how many went."""
    path = Path(path)
    return _remove_old(path.parent, _temporary_name(path.name), age)


def remove_orphans_under(folder: Path, age: float = ORPHAN_AGE) -> int:
    """``remove_orphans`` for every target in ``folder`` and its subfolders (symlinks not
    followed): the app's start, for the folders whose files it writes. Returns how many went."""
    def unreadable(exc: OSError) -> None:
        if not isinstance(exc, FileNotFoundError):  # a folder not made yet holds nothing to remove
            log.warning("could not look for temporary files of interrupted writes in %s: %s", exc.filename,
                        exc.strerror)

    removed = 0
    for place, _folders, _files in os.walk(folder, onerror=unreadable):
        removed += _remove_old(Path(place), ANY_TEMPORARY_NAME, age)
    return removed


def _names_no_other_file(exc: OSError, path: Path) -> bool:
    """Whether ``exc`` (raised while writing ``path``) names nothing, or only a temporary file of it."""
    if exc.filename is None:
        return True
    name = Path(os.fsdecode(exc.filename))
    return (exc.filename2 is None or Path(os.fsdecode(exc.filename2)) == path) and name.parent == path.parent \
        and _temporary_name(path.name).fullmatch(name.name) is not None


def _missing_folders(folder: Path) -> list[Path]:
    """The folders that do not exist yet on the way to ``folder``, innermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def atomic_write(path: Path, data: bytes, before_replace=None, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never a mix.

    ``before_replace`` runs after the new bytes are safely on disk and before they take the
    file's place; if it raises, the file is left as it was. The workspace commits its history
    there, so a crash can leave the history ahead of the file but never text without an author.
    The caller holds the catalog's lock when the file is a catalog.
    ``mode`` sets the new file's permissions; by default an existing file keeps its own (a new
    one gets 0644).
    An OSError names ``path`` (not the temporary file, and not nothing, as a failed ``write``
    would), so whoever reports it can say which file could not be written. A write that is
    killed leaves its temporary file: the next write of ``path`` removes it (``remove_orphans``).
    """
    path = Path(path)
    tmp, made = None, _missing_folders(path.parent)
    if not made:
        remove_orphans(path)  # what killed writes of this file left behind (never fails the write)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:  # gone already, or cannot go: report what failed the write, not this
                pass
        for folder in made:  # a failed write leaves no trace, not even the folders made for it
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError) and exc.errno is not None and _names_no_other_file(exc, path):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # the same subclass, e.g. PermissionError
        raise
    written = _written.get()
    if written is not None:
        written.append(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def _babel_entry(message: Message, nplurals: int, obsolete: bool = False) -> polib.POEntry:
    """One Babel message as the portal's in-memory entry (no text is serialised on the way); a
    plural gets exactly the locale's number of forms, as Babel's own writer gives it."""
    plural = isinstance(message.id, (list, tuple))
    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string or "",)
    entry = polib.POEntry(
        msgid=message.id[0] if plural else message.id, msgid_plural=message.id[1] if plural else "",
        msgctxt=message.context, obsolete=obsolete,
        msgstr="" if plural else (message.string or ""),
        msgstr_plural={index: strings[index] if index < len(strings) else "" for index in range(nplurals)}
        if plural else {},
        occurrences=[(path, str(line) if line else "") for path, line in message.locations],
        flags=sorted(message.flags), comment="\n".join(message.auto_comments),
        tcomment="\n".join(message.user_comments),
    )
    if message.previous_id:
        previous = message.previous_id
        entry.previous_msgid = previous[0] if isinstance(previous, (list, tuple)) else previous
        if isinstance(previous, (list, tuple)) and len(previous) > 1:
            entry.previous_msgid_plural = previous[1]
    return entry


def from_babel(catalog: Catalog) -> polib.POFile:
    """A Babel catalog (extraction) as the portal's in-memory catalog,
    written only by ``pofile.dumps``."""
    po = polib.POFile(wrapwidth=WIDTH)
    header = []
    for line in catalog.header_comment.rstrip("\n").split("\n"):
        line = line[2:] if line.startswith("# ") else line.lstrip("#")
        header += textwrap.wrap(line, WIDTH - 2, break_long_words=False) or [""]  # as Babel's writer wraps
    po.header = "\n".join(header)
    po.metadata_is_fuzzy = catalog.fuzzy
    for name, value in catalog.mime_headers:
        po.metadata[name] = value.strip()
    for message in catalog:
        if message.id:
            po.append(_babel_entry(message, catalog.num_plurals))
    for message in catalog.obsolete.values():
        po.append(_babel_entry(message, catalog.num_plurals, obsolete=True))
    return po


def to_babel(po: polib.POFile, locale: str | None = None) -> Catalog:
    """The portal's catalog as a Babel one (to compare a template with extraction); strings unchanged."""
    catalog = Catalog(locale=locale, fuzzy=po.metadata_is_fuzzy)
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        msgid = (entry.msgid, entry.msgid_plural) if entry.msgid_plural else entry.msgid
        string = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)) if entry.msgid_plural \
            else entry.msgstr
        previous = [p for p in (entry.previous_msgid, entry.previous_msgid_plural) if p is not None]
        catalog[msgid] = Message(msgid, string, locations=[(path, int(line) if line.isdigit() else None)
                                                           for path, line in entry.occurrences],
                                 flags=entry.flags, auto_comments=entry.comment.split("\n") if entry.comment else [],
                                 user_comments=entry.tcomment.split("\n") if entry.tcomment else [],
                                 previous_id=previous, context=entry.msgctxt)
    return catalog


def build_template(root: Path, mapping_file: Path) -> Catalog:
    """Extract every message from the project, as `pybabel extract -F babel.cfg` would."""
    root = Path(root)
    with open(mapping_file, encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(mapping_file))
    catalog = Catalog(project=PROJECT, version=VERSION, msgid_bugs_address=BUGS_ADDRESS,
                      copyright_holder=COPYRIGHT, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _message_key(catalog: Catalog) -> list:
    """What matters in a template, minus its dates: messages, comments, locations, flags."""
    return [(m.id, m.context, tuple(m.auto_comments), tuple(m.locations), tuple(sorted(m.flags)))
            for m in catalog if m.id]


def template_is_current(root: Path, mapping_file: Path, template_file: Path) -> bool:
    """True when the committed template holds exactly what extraction gives now."""
    if not Path(template_file).exists():
        return False
    committed = to_babel(load_po(template_file))
    return _message_key(committed) == _message_key(build_template(root, mapping_file))


def write_template(root: Path, mapping_file: Path, template_file: Path) -> bool:
    """Re-extract; write the template only if its messages changed. Returns whether it did."""
    fresh = build_template(root, mapping_file)
    template_file = Path(template_file)
    if template_file.exists():
        if _message_key(to_babel(load_po(template_file))) == _message_key(fresh):
            return False
    with catalog_lock(template_file):
        atomic_write(template_file, dumps(from_babel(fresh)).encode("utf-8"))
    return True


def load_po(path: Path) -> polib.POFile:
    """Read a catalog (the template or a working ``.po``) with the portal's one reader."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"No catalog at {path}.")
    try:
        return parse(path.read_text(encoding="utf-8"))
    except PoSyntaxError as error:
        raise CatalogError(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path} is not UTF-8 text; save it as UTF-8.") from None


def save_po(path: Path, catalog: polib.POFile, before_replace=None) -> None:
    """Write a polib catalog atomically; the caller holds ``catalog_lock(path)``."""
    atomic_write(path, dumps(catalog).encode("utf-8"), before_replace)
