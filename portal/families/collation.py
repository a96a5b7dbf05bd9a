"""The glossary in the reader's alphabet: terms sorted the way that language sorts words, and grouped
under the letters (or sounds) of its index.

Sorting uses the Unicode Collation Algorithm through ``pyuca`` (its default table, DUCET, ships in the
package: nothing is downloaded), tailored where a language's alphabet differs from it, as CLDR's
collation for that language does:

* Spanish (``es``): ``ñ`` is a letter of its own after ``n`` (CLDR: ``&N<ñ<<<Ñ``); accents are
  not letters (``ácido`` sorts with ``a``, at the second level, as DUCET has it).
* Vietnamese (``vi``): ``ă`` and ``â`` follow ``a``, ``đ`` follows ``d``, ``ê`` follows ``e``,
  ``ô`` and ``ơ`` follow ``o``, ``ư`` follows ``u`` (CLDR: ``&A<ă<â &D<đ &E<ê &O<ô<ơ &U<ư``); the five
  tone marks stay second-level differences.
* Arabic (``ar``): DUCET's order is the Arabic alphabet; a leading definite article ``ال`` is not
  sorted on (as in Arabic book indexes: ``الدم`` is found under ``د``), and hamza forms of alef
  (``أ إ آ``) are grouped under ``ا``.
* Chinese (``zh_Hans``): by Hanyu Pinyin, as Chinese glossaries and dictionaries for general
  readers are ordered, with the pinyin of each term from ``pypinyin`` (its dictionaries ship in the
  package; words are read as phrases, so a character with two readings gets the one the word uses),
  then by tone, then by the characters themselves (UCA order) for terms that sound the same. The
  index groups terms by the first letter of their pinyin (A-Z); a term that starts with Latin
  letters (``CAR-T``) goes under its own first letter, as in Chinese dictionaries' letter index.
* English and anything else: DUCET as it is.

A tailoring is an expansion added to pyuca's table: the tailored letter sorts as its base letter
followed by a weight above every letter of every script, which puts it after every word of its base
letter, as a letter of its own. Sorting happens when a glossary page is built, that is once per
published catalog and build (the page is cached, ``portal.families.pages``), never per request.

Pure domain code: no Flask.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field

# Weights above any primary weight DUCET gives (its implicit weights end below 0x10000).
_AFTER_ALL = 0x10000

# Per locale: letter (as base + combining mark, or a single character) -> (base letter, rank).
# Rank orders tailored letters that share a base: ă (1) before â (2) after plain a.
TAILORINGS: dict[str, dict[str, tuple[str, int]]] = {
    "es": {"n\u0303": ("n", 1)},
    "vi": {"a\u0306": ("a", 1), "a\u0302": ("a", 2), "\u0111": ("d", 1), "e\u0302": ("e", 1),
           "o\u0302": ("o", 1), "o\u031b": ("o", 2), "u\u031b": ("u", 1)},
}

_ARABIC_ARTICLE = re.compile(r"^\u0627\u0644(?=\w)")

_lock = threading.Lock()
_collators: dict[str, object] = {}


def collator(locale: str):
    """pyuca's collator with ``locale``'s tailoring (one per locale and process: loading DUCET
    takes a tenth of a second)."""
    key = locale if locale in TAILORINGS else ""
    with _lock:
        found = _collators.get(key)
        if found is None:
            import pyuca

            found = pyuca.Collator()
            for letter, (base, rank) in TAILORINGS.get(key, {}).items():
                for text in (letter, letter.upper()):
                    base_text = base.upper() if text != letter else base
                    elements = found.collation_elements(base_text)
                    extra = [_AFTER_ALL + rank, 0x20, 0x2]
                    found.table.add([ord(c) for c in text], [*elements, extra])
            _collators[key] = found
        return found


def _sortable(locale: str, term: str) -> str:
    """The part of a term it is sorted and grouped on."""
    text = unicodedata.normalize("NFC", term).strip()
    if locale == "ar":
        stripped = _ARABIC_ARTICLE.sub("", text)
        return stripped or text
    return text


def _first_letter(locale: str, text: str) -> str:
    """The index letter of a term: its first letter without accents, except the marks that make a
    letter of the language's alphabet (Spanish ñ, Vietnamese ă â đ ê ô ơ ư)."""
    decomposed = unicodedata.normalize("NFD", text)
    start = next((i for i, c in enumerate(decomposed) if c.isalnum()), None)
    if start is None:
        return "#"
    base = decomposed[start]
    if base.isdigit():
        return "#"
    marks = ""
    for c in decomposed[start + 1:]:
        if not unicodedata.combining(c):
            break
        if base.lower() + c in TAILORINGS.get(locale, {}):
            marks += c
    return unicodedata.normalize("NFC", base + marks).upper()


def _pinyin(text: str) -> list[str]:
    """Each syllable's pinyin with its tone as a digit (``bai2``); other characters as they are."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)


@dataclass
class Group:
    label: str  # the index's letter
    slugs: list[str] = field(default_factory=list)


def sort_terms(locale: str, terms: list[tuple[str, str]]) -> list[Group]:
    """``terms`` as (slug, the term as the reader sees it), sorted for ``locale`` and grouped by
    index letter, groups in order. Ties (the same term twice) keep the slug order."""
    coll = collator(locale)
    keyed = []
    for slug, term in terms:
        text = _sortable(locale, term)
        if locale == "zh_Hans":
            syllables = _pinyin(text)
            spoken = " ".join(syllables)
            toneless = re.sub(r"[1-5]", "", spoken)
            key = (coll.sort_key(toneless), coll.sort_key(spoken), coll.sort_key(text))
            label = _first_letter("en", spoken)
        else:
            key = (coll.sort_key(text),)
            label = _first_letter(locale, text)
        keyed.append((key, slug, label))
    keyed.sort(key=lambda item: (item[0], item[1]))
    groups: list[Group] = []
    for _key, slug, label in keyed:
        if not groups or groups[-1].label != label:
            groups.append(Group(label))
        groups[-1].slugs.append(slug)
    return groups
