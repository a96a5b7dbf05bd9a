"""Translation memory: saved translations of similar English, offered while translating.

For one message, up to three texts of other messages in the same language whose English is
similar: approved texts first, then other saved ones (waiting for review, or staff-only),
each with how similar its English is and which of its words differ. A suggestion is only ever
offered; nothing here writes.

Speed (issue 15: at most 50 ms at 20,000 messages). Each locale has an index in memory: per
(approved or not, number of forms), the casefolded English of every usable text, matched with
``rapidfuzz.process.extract`` (a score cutoff and a limit; its C code skips strings whose
length alone rules them out). The index is checked against the locale's *units version* on
each use, one indexed query: the locale's catalog revision (every change of a unit's text or
fuzzy mark, and every template merge, advances it), its review revision (every approval and
revocation) and its newest rejection. When that changed, the index is refreshed: one query of
the live units' fingerprints and states, and the text of only those whose fingerprint changed.
Memory is bounded by the live units of the locales (one entry each, the newest version only).

Pure domain code: no Flask.
"""
from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from portal.review.models import Rejection, ReviewRevision
from portal.translation.message_info import text_diff
from portal.translation.models import CatalogRevision, Unit

SHOWN = 3  # suggestions on a message page
MIN_SIMILARITY = 60  # percent; below it a text is not offered
USABLE_STATES = ("approved", "awaiting", "translated")  # not rejected, fuzzy or untranslated


@dataclass(frozen=True)
class Suggestion:
    mid: str  # the message it comes from
    msgid: str  # its English
    forms: tuple[str, ...]  # its translation
    approved: bool
    similarity: int  # percent, of the English
    pieces: tuple[tuple[str, str], ...]  # its English as ("same" | "ins", text): "ins" words differ

    @property
    def differing(self) -> list[str]:
        return [text for kind, text in self.pieces if kind == "ins" and text.strip()]


@dataclass(frozen=True)
class _Entry:
    mid: str
    msgid: str
    fingerprint: str
    forms: tuple[str, ...]
    approved: bool
    order: int = 0  # its place in the template
    english: str = ""  # msgid casefolded: what is matched


@dataclass
class _Group:
    """Texts of one kind (approved or not, so many forms), by the length of their English."""

    lengths: list[int] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)  # the English, casefolded
    entries: list[_Entry] = field(default_factory=list)

    def band(self, size: int) -> tuple[int, int]:
        """The slice whose English is near enough in length to reach MIN_SIMILARITY at all: the
        Indel similarity of texts of lengths a and b is at most 1 - |a - b| / (a + b)."""
        least = MIN_SIMILARITY / 100
        return (bisect_left(self.lengths, size * least / (2 - least)),
                bisect_right(self.lengths, size * (2 - least) / least))


@dataclass
class _Index:
    """One locale's usable texts, grouped by (approved, number of forms)."""

    version: tuple
    entries: dict[str, _Entry] = field(default_factory=dict)  # by mid, in template order
    groups: dict[tuple[bool, int], _Group] = field(default_factory=dict)

    def regroup(self) -> None:
        groups: dict[tuple[bool, int], _Group] = {}
        for entry in sorted(self.entries.values(), key=lambda e: (len(e.english), e.order)):
            group = groups.setdefault((entry.approved, len(entry.forms)), _Group())
            group.lengths.append(len(entry.english))
            group.choices.append(entry.english)
            group.entries.append(entry)
        self.groups = groups


def units_version(session: Session, locale: str) -> tuple:
    """What changes whenever a locale's usable texts or their approval may have: one query."""
    catalog = select(CatalogRevision.revision).where(CatalogRevision.locale == locale).scalar_subquery()
    review = select(ReviewRevision.revision).where(ReviewRevision.locale == locale).scalar_subquery()
    rejected = select(func.max(Rejection.id)).where(Rejection.locale == locale).scalar_subquery()
    return tuple(session.execute(select(catalog, review, rejected)).one())


class TranslationMemory:
    """The per-locale indexes of one process (kept in ``app.extensions``); safe across threads."""

    def __init__(self):
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.Lock()

    def index(self, session: Session, locale: str) -> _Index:
        """The locale's index as of now: reused while its units version stands, else refreshed."""
        version = units_version(session, locale)
        current = self._indexes.get(locale)
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._indexes.get(locale)
            if current is None or current.version != version:
                current = _refreshed(session, locale, version, current)
                self._indexes[locale] = current
            return current

    def suggestions(self, session: Session, unit: Unit, limit: int = SHOWN) -> list[Suggestion]:
        """Up to ``limit`` texts of other messages of the unit's locale with similar English and as
        many forms: approved first, then the others; each group by similarity, then template order.
        The same translation is offered once (the most similar)."""
        index = self.index(session, unit.locale)
        query = unit.msgid.casefold()
        size = len(unit.forms)
        chosen: list[Suggestion] = []
        seen = set()
        for approved in (True, False):
            group = index.groups.get((approved, size))
            if group is None:
                continue
            start, end = group.band(len(query))
            # A few extra, for this message itself and repeated texts, which are skipped.
            matches = process.extract(query, group.choices[start:end], scorer=fuzz.ratio, processor=None,
                                      score_cutoff=MIN_SIMILARITY, limit=limit + 4)
            ranked = sorted(((score, group.entries[start + position]) for _choice, score, position in matches),
                            key=lambda pair: (-pair[0], pair[1].order))
            for score, entry in ranked:
                if entry.mid == unit.mid or entry.forms in seen:
                    continue
                seen.add(entry.forms)
                pieces = tuple((kind, text) for kind, text in text_diff(unit.msgid, entry.msgid) if kind != "del")
                chosen.append(Suggestion(entry.mid, entry.msgid, entry.forms, approved, round(score), pieces))
                if len(chosen) == limit:
                    return chosen
        return chosen


def _usable():
    return (Unit.obsolete == false(), Unit.translated.is_(True), Unit.fuzzy.is_(False),
            Unit.state.in_(USABLE_STATES), Unit.blocking_json == "[]")


def _refreshed(session: Session, locale: str, version: tuple, old: _Index | None) -> _Index:
    """A new index: the live usable units' fingerprints and states are read; the text only of
    those new or changed since ``old`` (all of them the first time)."""
    rows = session.execute(select(Unit.mid, Unit.fingerprint, Unit.state)
                           .where(Unit.locale == locale, *_usable()).order_by(Unit.position, Unit.id)).all()
    known = old.entries if old is not None else {}
    wanted = [mid for mid, print_, _state in rows if mid not in known or known[mid].fingerprint != print_]
    texts = {}
    for start in range(0, len(wanted), 900):  # within every database's limit of bound values
        chunk = wanted[start:start + 900]
        for mid, msgid, forms_json in session.execute(
                select(Unit.mid, Unit.msgid, Unit.forms_json).where(Unit.locale == locale, Unit.mid.in_(chunk))):
            texts[mid] = (msgid, tuple(json.loads(forms_json)))
    index = _Index(version)
    for order, (mid, print_, state) in enumerate(rows):
        if mid in texts:
            msgid, forms = texts[mid]
            english = msgid.casefold()
        elif mid in known:
            msgid, forms, english = known[mid].msgid, known[mid].forms, known[mid].english
        else:
            continue  # changed between the two queries: the next version reads it
        index.entries[mid] = _Entry(mid, msgid, print_, forms, state == "approved", order, english)
    index.regroup()
    return index
