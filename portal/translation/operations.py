"""Operations on the units of every locale: the template's merge, and ``.po`` files in and out of
the repository. Commands call these; each command is one transaction, committed by the command's
unit of work (``portal.db.command_unit_of_work``): these only flush.

* ``update_locales``: `flask translate update`, the template merged into every locale's units.
* ``import_locales``: `flask translate import`, the repository's ``.po`` files read into the
  units through the same path as an upload (checks; conflicts reported, not applied unless
  asked; authorship "edited outside the portal").
* ``export_locales``: `flask translate export`, the units written to the repository's ``.po``
  files, the same bytes for the same data.

Pure domain code: no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.locales import by_code
from portal.paths import Paths
from portal.translation import files, template, uploads
from portal.translation.catalogs import CatalogError, atomic_write, load_po
from portal.translation.checks import Terms
from portal.translation.identity import forms_of, message_key
from portal.translation.models import Edit, SourceChange, Unit
from portal.translation.pofile import PoSyntaxError, parse
from portal.translation.units import current_revision, refresh_state, set_text


def update_locales(paths: Paths, session: Session, locales: list[str], terms: Terms = Terms()
                   ) -> list[template.SyncReport]:
    """Merge the template into the units of these locales (flushed; the caller's one transaction)."""
    for code in locales:
        by_code(code)
    catalog = template.load(paths.template)
    reports = [template.sync(session, catalog, code, terms) for code in locales]
    session.flush()
    return reports


@dataclass
class ImportReport:
    locale: str
    applied: int = 0
    conflicts: list[str] = field(default_factory=list)  # English of messages whose text differs from the units'
    failures: list[tuple[str, list[str]]] = field(default_factory=list)  # (English, blocking problems)
    unknown: list[str] = field(default_factory=list)
    missing_file: bool = False


def import_locales(paths: Paths, session: Session, locales: list[str], terms: Terms, *, replace: bool = False
                   ) -> list[ImportReport]:
    """Read the repository's ``.po`` files of these locales into their units, in the caller's one
    transaction (flushed here): every file is read before any unit changes, so a file that cannot be read
    (raises ``CatalogError`` naming it) leaves every locale as it was.

    A file has no download stamp, so a text that differs from a unit's non-empty text is a
    conflict: reported and left alone, unless ``replace``. New texts (the unit is empty) are
    applied, as written by an unknown author (edited outside the portal). Texts with a blocking
    problem are reported and never applied.
    """
    for code in locales:
        by_code(code)
    catalogs = {code: _read_po(paths, code) for code in locales}
    reports = []
    for code, catalog in catalogs.items():
        report = ImportReport(code)
        reports.append(report)
        if catalog is None:
            report.missing_file = True
            continue
        preview = uploads.preview(session, code, catalog, terms, secret="")
        report.conflicts = [item.msgid for item in preview.conflicts]
        report.failures = [(item.msgid, item.problems) for item in preview.failures]
        report.unknown = list(preview.unknown)
        take = {item.id for item in preview.conflicts} if replace else set()
        chosen = len(preview.new) + len(preview.changed) + len(take)
        if chosen:
            uploads.apply(session, code, preview, as_fuzzy=False, take_mine=take, author=None, terms=terms,
                          origin="import")
            report.applied = chosen
    session.flush()
    return reports



def _read_po(paths: Paths, locale: str):
    """A locale's repository ``.po``, parsed; None when there is none."""
    path = paths.po(locale)
    if not path.exists():
        return None
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (PoSyntaxError, UnicodeDecodeError) as error:
        raise CatalogError(f"{path}: {error}") from None


def export_locale(paths: Paths, session: Session, locale: str) -> bool:
    """Write a locale's units to the repository's ``.po`` (atomically); returns whether it changed."""
    by_code(locale)
    template_date = load_po(paths.template).metadata.get("POT-Creation-Date", "") if paths.template.exists() else ""
    data = files.export(session, locale, template_date).encode("utf-8")
    target = paths.po(locale)
    if target.exists() and target.read_bytes() == data:
        return False
    atomic_write(target, data)
    return True


def adopt_catalog(session: Session, locale: str, po, terms: Terms = Terms()) -> int:
    """Take over a working catalog as it is: the move of an installation from files to the
    database, once (migration 0007). Every text becomes its unit's text, exactly; a blocking
    problem is stored (so the text is never approved or served) but nothing is refused or
    lost. A text no saved edit accounts for gets an edit by an unknown author, as an import
    would record it. Returns how many texts were taken over. Flushes only.
    """
    found = {unit.key: unit for unit in session.scalars(select(Unit).where(Unit.locale == locale))}
    revision, now, taken = current_revision(session, locale), utcnow(), 0
    saved: dict[str, list[Edit]] = {}
    for edit in session.scalars(select(Edit).where(Edit.locale == locale).order_by(Edit.id)):
        saved.setdefault(edit.mid, []).append(edit)
    known = set(session.execute(select(SourceChange.msgctxt, SourceChange.msgid_before, SourceChange.msgid)
                                .where(SourceChange.locale == locale)))
    with session.no_autoflush:  # one flush at the end, not one per query
        for entry in po:
            unit = found.get(message_key(entry)) if entry.msgid and not entry.obsolete else None
            if unit is not None:
                taken += _adopt_entry(session, unit, entry, locale, terms, saved.get(unit.mid, []), known,
                                      revision, now)
    session.flush()
    return taken


def _adopt_entry(session: Session, unit: Unit, entry, locale: str, terms: Terms, edits: list[Edit],
                 known: set, revision: int, now) -> int:
    """One entry of ``adopt_catalog``; returns 1 when it gave its unit a text."""
    forms = forms_of(entry)
    size = len(unit.forms)
    forms = (forms + [""] * size)[:size] if unit.msgid_plural else forms[:1]
    set_text(unit, forms, locale, terms)
    unit.fuzzy = "fuzzy" in entry.flags
    unit.previous_msgctxt, unit.previous_msgid = entry.previous_msgctxt, entry.previous_msgid
    unit.previous_msgid_plural = entry.previous_msgid_plural
    unit.translator_comment = entry.tcomment or ""
    change = (unit.msgctxt, entry.previous_msgid, unit.msgid)
    if entry.previous_msgid and entry.previous_msgid != unit.msgid and change not in known:
        known.add(change)
        session.add(SourceChange(locale=locale, msgctxt=unit.msgctxt, msgid_before=entry.previous_msgid,
                                 msgid=unit.msgid))
    same = [edit for edit in edits if edit.fingerprint == unit.fingerprint]
    unit.source_before = next((e.previous_msgid for e in reversed(edits) if e.previous_msgid), "")
    if unit.translated and not same:
        session.add(Edit(locale=locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                         msgid=unit.msgid, msgid_plural=unit.msgid_plural, translation_json=unit.forms_json,
                         words=unit.words, author_id=None, origin="import", revision=revision,
                         fuzzy=unit.fuzzy, warnings_json=unit.warnings_json, created_at=now))
    unit.changed_at = same[-1].created_at if same else (now if unit.translated else None)
    refresh_state(session, unit)
    return int(unit.translated)
