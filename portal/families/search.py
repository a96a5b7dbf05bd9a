"""Search over what families can read in their language, and nothing else.

The index of a locale holds the text each block shows on the page: the served (approved and
published) translation, or the English shown in its place. A text nobody approved is never in it,
because the index is built from the same served catalog the pages are rendered from. It is built once
per published catalog and locale (``SearchIndexes``: one index per locale, replaced when the catalog
changes) and is small: the site's text, a few hundred blocks.

Matching is by characters, not words: a query matches a block that contains each of its
space-separated parts. This is what Chinese needs (no spaces between words: ``复发`` is found inside
``白血病复发了``), and works for every other language too. Both sides are normalised first:

* Unicode NFKC (full-width forms, ligatures) and case folding (``Á`` = ``á``, ``ß`` = ``ss``);
* control and format characters (zero-width, bidi marks) are dropped;
* Arabic: the short-vowel marks (harakat), shadda, sukun and tatweel are dropped, and ``أ إ آ`` count
  as ``ا``, ``ى`` as ``ي``: text and queries are usually written without them, or typed either way;
* Latin-script accents (Spanish, Vietnamese, English): a query typed *without* any accent matches
  text with or without them (``acido`` finds ``ácido``; ``sot`` finds ``sốt``, as people type on a
  keyboard without Vietnamese); a query typed *with* accents matches them exactly (``sốt``, fever,
  does not find ``sót``, left over). Vietnamese needs the second rule: its tone marks tell words apart.
  Spanish ``ñ`` counts as an accented ``n`` for the first rule (``nino`` finds ``niño``).

Pure domain code: no Flask.
"""
from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.families.content import Page
from portal.families.rendering import Renderer

MAX_QUERY = 100  # characters; a longer query gets a message
MAX_RESULTS = 50

_ARABIC_MARKS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}
_ARABIC_LETTERS = {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
                   "\u0649": "\u064a"}


class QueryTooLong(ValueError):
    """A query longer than MAX_QUERY characters."""


def _fold_char(c: str, accents: bool) -> str:
    """One character as it is compared (see the module docstring); ``accents``: keep accents."""
    if unicodedata.category(c) in ("Cc", "Cf") or c in _ARABIC_MARKS:
        return " " if c in "\t\n\r" else ""
    c = _ARABIC_LETTERS.get(c, c)
    folded = unicodedata.normalize("NFKC", c).casefold()
    if not accents:
        folded = "".join(x for x in unicodedata.normalize("NFD", folded) if not unicodedata.combining(x))
    else:
        folded = unicodedata.normalize("NFC", folded)
    return folded


def fold(text: str, accents: bool = True) -> tuple[str, list[int]]:
    """``text`` normalised for matching, and for each of its characters the index in ``text`` it came
    from (to highlight the match in the text as shown)."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    origin: list[int] = []
    for index, c in enumerate(text):
        if unicodedata.combining(c) and not accents:
            continue
        folded = _fold_char(c, accents)
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


def has_accents(text: str) -> bool:
    """Whether a query has accents or other combining marks (Latin-script rule above)."""
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


def parse_query(raw: str) -> list[str]:
    """The parts of a query, each normalised with accents kept; QueryTooLong past MAX_QUERY."""
    if len(raw) > MAX_QUERY:
        raise QueryTooLong(raw)
    folded, _ = fold(raw, accents=True)
    parts = []
    for part in folded.split():
        if part not in parts:
            parts.append(part)
    return parts


@dataclass(frozen=True)
class Entry:
    """One searchable piece of text, as the page shows it."""

    slug: str  # the page
    anchor: str  # the block's id on the page, or "" for the top of the page
    text: str  # plain text, as shown
    lang: str | None  # "en" when it is English on a page in another language
    strict: tuple[str, list[int]]  # folded with accents
    loose: tuple[str, list[int]]  # folded without accents


def entry(slug: str, anchor: str, text: str, lang: str | None) -> Entry:
    text = unicodedata.normalize("NFC", text)  # the positions ``fold`` gives are in this text
    return Entry(slug, anchor, text, lang, fold(text, True), fold(text, False))


def build_index(pages: dict[str, Page], renderer: Renderer) -> SearchIndex:
    """Every title, summary, block and glossary entry of ``pages`` as ``renderer`` shows it (its
    served catalog, or English), as plain text: links keep their words, markup is gone."""
    entries = []

    def add(slug: str, anchor: str, piece) -> None:
        entries.append(entry(slug, anchor, piece.html.striptags(), piece.lang))

    for page in pages.values():
        rendered = renderer.page(page)
        add(page.slug, "", rendered.title)
        add(page.slug, "", rendered.summary)
        for block in rendered.blocks:
            for piece in block.pieces:
                add(page.slug, block.id, piece)
        for slug, term, definition in rendered.glossary:
            add(page.slug, slug, term)
            add(page.slug, slug, definition)
    return SearchIndex(entries)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    html: Markup  # the text, escaped, with each match in <mark>


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with the characters in ``spans`` (start, end in ``text``) in ``<mark>``."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


class SearchIndex:
    """The searchable text of one locale's site, built from one served catalog."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries

    def search(self, parts: list[str], limit: int = MAX_RESULTS) -> tuple[list[Hit], int]:
        """Blocks containing every part, in reading order: up to ``limit`` hits, and how many matched."""
        if not parts:
            return [], 0
        strict = [p for p in parts if has_accents(p)]
        loose = [fold(p, accents=False)[0] for p in parts if not has_accents(p)]
        hits, total = [], 0
        for item in self.entries:
            spans = _find(item.strict, strict) if strict else []
            if strict and spans is None:
                continue
            more = _find(item.loose, loose) if loose else []
            if more is None:
                continue
            total += 1
            if len(hits) < limit:
                hits.append(Hit(item, highlight(item.text, spans + more)))
        return hits, total


def _find(folded: tuple[str, list[int]], parts: list[str]) -> list[tuple[int, int]] | None:
    """Spans in the original text of every occurrence of each part, or None if one is missing."""
    text, origin = folded
    spans = []
    for part in parts:
        if not part:
            continue
        start = text.find(part)
        if start < 0:
            return None
        while start >= 0:
            end = start + len(part)
            spans.append((origin[start], origin[end - 1] + 1))
            start = text.find(part, end)
    return spans


class SearchIndexes:
    """One index per locale, for the catalog it was built from: built again only when the served
    catalog changes (a publish, a revocation), so at most one per locale is kept."""

    def __init__(self):
        self._indexes: dict[str, tuple[str, SearchIndex]] = {}
        self._lock = threading.Lock()

    def get(self, locale: str, digest: str, build) -> SearchIndex:
        """The index of ``locale`` for the catalog ``digest``; ``build()`` makes it when missing."""
        with self._lock:
            found = self._indexes.get(locale)
        if found is not None and found[0] == digest:
            return found[1]
        index = build()
        with self._lock:
            self._indexes[locale] = (digest, index)
        return index
