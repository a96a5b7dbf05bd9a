"""Gettext catalogs on disk: the template, the working ``.po`` files, and the one writer.

Every write of a catalog goes through ``atomic_write`` under ``catalog_lock``
(DESIGN invariant 5): a temporary file in the same folder, ``fsync``, then
``os.replace``, so a crash leaves the old file or the new one, never half of
one. Extraction, ``init`` and ``update`` use Babel's own API, as ``pybabel``
would, without shelling out.

Pure domain code: no Flask.
"""
from __future__ import annotations

import fcntl
import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import polib
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

PROJECT = "relapse-portal"
VERSION = "1.0"
BUGS_ADDRESS = "translators@relapse-portal.invalid"
COPYRIGHT = "Relapse portal contributors"
TEAM = f"Relapse portal translators <{BUGS_ADDRESS}>"
WIDTH = 76  # Babel's and Poedit's default wrap width; keeps diffs small.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)


class CatalogError(Exception):
    """A catalog problem a person can fix; the message says how."""


class CatalogMissing(CatalogError):
    def __init__(self, path: Path, locale: str):
        super().__init__(f"No catalog for {locale} at {path}. Create it with "
                         f"`flask translate init {locale}`.")


def po_path(translations_dir: Path, locale: str) -> Path:
    return Path(translations_dir) / locale / "LC_MESSAGES" / "messages.po"


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


def atomic_write(path: Path, data: bytes, before_replace=None, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never a mix.

    ``before_replace`` runs after the new bytes are safely on disk and before they take the
    file's place; if it raises, the file is left as it was. The workspace commits its history
    there, so a crash can leave the history ahead of the file but never text without an author.
    The caller holds the catalog's lock when the file is a catalog.
    ``mode`` sets the new file's permissions; by default an existing file keeps its own (a new
    one gets 0644).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
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
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def _babel_bytes(catalog: Catalog, **options) -> bytes:
    """Babel's catalog as .po bytes in polib's layout, so every writer produces the same file
    (a save from the workspace after an `update` then changes only what was edited)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, **options)
    same_layout = polib.pofile(buffer.getvalue().decode("utf-8"), wrapwidth=WIDTH)
    return same_layout.__unicode__().encode("utf-8")


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
    with open(template_file, "rb") as handle:
        committed = read_po(handle)
    return _message_key(committed) == _message_key(build_template(root, mapping_file))


def write_template(root: Path, mapping_file: Path, template_file: Path) -> bool:
    """Re-extract; write the template only if its messages changed. Returns whether it did."""
    fresh = build_template(root, mapping_file)
    template_file = Path(template_file)
    if template_file.exists():
        with open(template_file, "rb") as handle:
            committed = read_po(handle)
        if _message_key(committed) == _message_key(fresh):
            return False
    with catalog_lock(template_file):
        atomic_write(template_file, _babel_bytes(fresh))
    return True


def init_catalog(template_file: Path, translations_dir: Path, locale: str) -> Path:
    """Create a new working catalog from the template, with Babel's CLDR plural rules."""
    target = po_path(translations_dir, locale)
    if target.exists():
        raise CatalogError(f"{target} already exists; use `flask translate update` to bring it "
                           "up to date with the template.")
    with open(template_file, "rb") as handle:
        template = read_po(handle)
    # A fresh catalog for the locale gets CLDR's Plural-Forms; update() copies the messages in.
    catalog = Catalog(locale=locale, project=PROJECT, version=VERSION, msgid_bugs_address=BUGS_ADDRESS,
                      copyright_holder=COPYRIGHT, last_translator=TEAM, language_team=TEAM,
                      charset="utf-8", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=True)
    catalog.revision_date = catalog.creation_date
    with catalog_lock(target):
        atomic_write(target, _babel_bytes(catalog))
    return target


def update_catalog(template_file: Path, translations_dir: Path, locale: str) -> dict:
    """Merge the template into a working catalog, keeping every translation.

    Messages whose source changed keep their old translation marked fuzzy, with
    the previous source (``#| msgid``) so translators see what changed.
    """
    target = po_path(translations_dir, locale)
    if not target.exists():
        raise CatalogMissing(target, locale)
    with open(template_file, "rb") as handle:
        template = read_po(handle)
    with catalog_lock(target):
        with open(target, "rb") as handle:
            catalog = read_po(handle, locale=locale)
        before = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=False,
                       keep_user_comments=True, update_creation_date=False)
        after = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog if m.id}
        atomic_write(target, _babel_bytes(catalog, include_previous=True))
    return {
        "added": len(after - before),
        "obsolete": len(catalog.obsolete),
        "fuzzy": sum(1 for m in catalog if m.id and m.fuzzy),
    }


def load_po(path: Path) -> polib.POFile:
    """Parse a catalog with polib (the template or a working ``.po``)."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"No catalog at {path}.")
    return polib.pofile(str(path), wrapwidth=WIDTH)


def save_po(path: Path, catalog: polib.POFile, before_replace=None) -> None:
    """Write a polib catalog atomically; the caller holds ``catalog_lock(path)``."""
    catalog.wrapwidth = WIDTH
    atomic_write(path, catalog.__unicode__().encode("utf-8"), before_replace)
