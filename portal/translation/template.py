"""The template (``translations/messages.pot``) and how it reaches the units of every locale.

The template is extracted from ``content/`` and the templates, committed, and identical on
every host because it ships with the code. It decides what each message is (``review_kind``,
docs/design.md, invariant 2). `flask translate update` merges it into the units of every locale in one
transaction (``sync``):

* a message new in the template gets an empty unit;
* a message whose English changed keeps its translation, marked fuzzy, with the English it
  replaced (``previous_msgid``), matched as Babel matches (``difflib``, cutoff 0.6); the
  carry-over is recorded (``SourceChange``) so the words stay their writer's (four eyes);
* a message gone from the template keeps its unit, marked obsolete, with its history.

Pure domain code: no Flask.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import polib
from babel.messages.plurals import get_plural
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import utcnow
from portal.translation.checks import Terms
from portal.translation.extract import MEDICAL_COMMENT, STAFF_COMMENT
from portal.translation.identity import MessageKey, message_id, message_key
from portal.translation.models import SourceChange, Unit
from portal.translation.units import queue_kind, review_state, set_text, take_revision

KIND_LABELS = {"medical": "Medical", "site": "Site text"}


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


def reviewed_keys(template: polib.POFile) -> dict[MessageKey, str]:
    """Every message that needs a reviewer's approval before families read it, with its kind."""
    found = {}
    for entry in template:
        if not entry.obsolete and entry.msgid:
            kind = review_kind(entry)
            if kind is not None:
                found[message_key(entry)] = kind
    return found


def live_entries(template: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in template if not entry.obsolete and entry.msgid]


def plural_count(locale: str) -> int:
    return get_plural(locale).num_plurals


def empty_forms(key: MessageKey, locale: str) -> list[str]:
    return [""] * (plural_count(locale) if key[2] else 1)


@dataclass
class SyncReport:
    locale: str
    added: int = 0
    fuzzy: int = 0  # carried over to a changed English
    obsolete: int = 0
    source_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (msgctxt, before, now)


def _template_values(entry: polib.POEntry, position: int) -> dict:
    """The columns of a unit that the template decides."""
    return {
        "kind": review_kind(entry), "position": position, "extracted": entry.comment or "",
        "occurrences_json": json.dumps([list(pair) for pair in entry.occurrences]),
        "template_flags_json": json.dumps([flag for flag in entry.flags if flag != "fuzzy"]),
        "obsolete": False, "word_count": len(entry.msgid.split()),
    }


def _template_side(unit: Unit, entry: polib.POEntry, position: int) -> None:
    for name, value in _template_values(entry, position).items():
        setattr(unit, name, value)


def _quietly(session: Session, unit: Unit, values: dict) -> None:
    """Write columns of an existing unit that are not its translation (the template's side, the
    review state) with a plain UPDATE, as ``units.refresh_states`` does: the unit's revision, the
    base of a translator's open editor, stays, so a deploy that moves or re-labels messages makes
    no one's save a conflict. The loaded object is kept in step without being marked changed."""
    session.execute(update(Unit).where(Unit.id == unit.id).values(**values)
                    .execution_options(synchronize_session=False))
    for name, value in values.items():
        set_committed_value(unit, name, value)


def sync(session: Session, template: polib.POFile, locale: str, terms: Terms = Terms()) -> SyncReport:
    """Merge the template into one locale's units (see the module's docstring). Flushes only;
    the caller commits all locales together."""
    take_revision(session, locale)  # the locale's changes queue behind this one
    report = SyncReport(locale)
    units = {unit.mid: unit for unit in session.scalars(select(Unit).where(Unit.locale == locale))}
    wanted = {}
    for position, entry in enumerate(live_entries(template)):
        wanted[message_id(message_key(entry))] = (position, entry)
    gone = {mid: unit for mid, unit in units.items() if mid not in wanted}
    # Candidates for a changed English: translated units leaving the template, by (context, English).
    candidates = {}
    for unit in gone.values():
        if unit.translated and not unit.obsolete:
            candidates.setdefault(unit.msgctxt, {})[unit.msgid.lower().strip()] = unit
    now = utcnow()
    for mid, (position, entry) in wanted.items():
        unit = units.get(mid)
        if unit is not None:
            values = _template_values(entry, position)
            if any(getattr(unit, name) != value for name, value in values.items()):
                restate = unit.obsolete or unit.kind != values["kind"]  # reviewed or not decides the state
                _quietly(session, unit, values)
                if restate:
                    stands = {"state": review_state(session, unit), "queue_kind": queue_kind(session, unit)}
                    if stands != {"state": unit.state, "queue_kind": unit.queue_kind}:
                        _quietly(session, unit, stands)
            continue
        key = message_key(entry)
        unit = Unit(locale=locale, mid=mid, msgctxt=key[0], msgid=key[1], msgid_plural=key[2], changed_at=None)
        _template_side(unit, entry, position)
        pool = candidates.get(key[0], {})
        match = get_close_matches(key[1].lower().strip(), list(pool), 1) if pool else []
        if match:
            old = pool.pop(match[0])
            forms = old.forms if bool(old.msgid_plural) == bool(key[2]) else empty_forms(key, locale)
            set_text(unit, forms, locale, terms)
            unit.fuzzy = True
            unit.previous_msgctxt = old.msgctxt or None
            unit.previous_msgid = old.msgid
            unit.previous_msgid_plural = old.msgid_plural or None
            unit.translator_comment = old.translator_comment
            unit.changed_at = now
            session.add(SourceChange(locale=locale, msgctxt=key[0], msgid_before=old.msgid, msgid=key[1]))
            report.fuzzy += 1
            report.source_changes.append((key[0], old.msgid, key[1]))
        else:
            set_text(unit, empty_forms(key, locale), locale, terms)
            report.added += 1
        unit.state = "fuzzy" if unit.fuzzy else "untranslated"
        session.add(unit)
    for unit in gone.values():
        if not unit.obsolete:
            unit.obsolete = True
            report.obsolete += 1
    session.flush()
    return report


def load(template_file: Path) -> polib.POFile:
    from portal.translation.catalogs import load_po

    return load_po(template_file)
