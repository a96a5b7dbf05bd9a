"""``.po`` files made from the units: the repository's catalogs and the workspace's downloads.

``export`` writes a locale's units as a catalog, deterministically: the same data gives the
same bytes (entries in template order, then obsolete ones; no clock in the header), in the
layout Poedit and GNU ``msgfmt -c`` accept. The repository's
``translations/<locale>/LC_MESSAGES/messages.po`` are such exports, for git; a download is one
too, stamped with the locale's revision. Files come back in through ``uploads`` (a person's
upload, or `flask translate import`).

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt

import polib
from babel import Locale
from babel.messages.plurals import get_plural
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.translation.catalogs import BUGS_ADDRESS, COPYRIGHT, PROJECT, TEAM, VERSION
from portal.translation.models import Unit
from portal.translation.pofile import dumps

EPOCH = dt.datetime(2026, 1, 1)  # the date of a catalog nothing was saved to yet


def _header(locale: str, latest: dt.datetime | None, template_date: str) -> tuple[str, dict[str, str]]:
    name = Locale.parse(locale).get_display_name("en") or locale
    year = (latest or EPOCH).year
    comment = (f"{name} translations for {PROJECT}.\nCopyright (C) {year} {COPYRIGHT}\n"
               f"This file is distributed under the same license as the {PROJECT}\nproject.\n")
    when = (latest or EPOCH).strftime("%Y-%m-%d %H:%M+0000")
    metadata = {
        "Project-Id-Version": f"{PROJECT} {VERSION}",
        "Report-Msgid-Bugs-To": BUGS_ADDRESS,
        "POT-Creation-Date": template_date or when,
        "PO-Revision-Date": when,
        "Last-Translator": TEAM,
        "Language-Team": TEAM,
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": str(get_plural(locale)),
    }
    return comment, metadata


def entry_of(unit: Unit) -> polib.POEntry:
    """One unit as a catalog entry (what a translator sees in Poedit)."""
    forms = unit.forms
    entry = polib.POEntry(
        msgctxt=unit.msgctxt or None, msgid=unit.msgid, msgid_plural=unit.msgid_plural,
        msgstr="" if unit.msgid_plural else forms[0],
        msgstr_plural=dict(enumerate(forms)) if unit.msgid_plural else {},
        comment=unit.extracted, tcomment=unit.translator_comment, occurrences=unit.occurrences,
        flags=sorted(set(unit.template_flags) | ({"fuzzy"} if unit.fuzzy else set())),
        obsolete=unit.obsolete,
    )
    if unit.fuzzy and unit.previous_msgid is not None:
        entry.previous_msgctxt = unit.previous_msgctxt
        entry.previous_msgid = unit.previous_msgid
        entry.previous_msgid_plural = unit.previous_msgid_plural
    return entry


def catalog(session: Session, locale: str, template_date: str = "") -> polib.POFile:
    """A locale's units as a catalog: live ones in template order, then obsolete ones that hold a
    translation (so no one's work is lost from the repository)."""
    latest = session.scalar(select(func.max(Unit.changed_at)).where(Unit.locale == locale))
    po = polib.POFile()
    po.header, metadata = _header(locale, latest, template_date)
    po.metadata.update(metadata)
    units = session.scalars(select(Unit).where(Unit.locale == locale)
                            .order_by(Unit.obsolete, Unit.position, Unit.msgid, Unit.id))
    for unit in units:
        if unit.obsolete and not unit.translated:
            continue
        po.append(entry_of(unit))
    return po


def export(session: Session, locale: str, template_date: str = "") -> str:
    """The ``.po`` text of a locale: the same bytes for the same data."""
    return dumps(catalog(session, locale, template_date))
