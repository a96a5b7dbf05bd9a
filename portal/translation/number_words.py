"""Numbers written as words, per language, for the numbers check.

Languages write small numbers as words ("dos medicamentos", "hai loại thuốc",
"两种药", "دواءان"): forcing digits makes a translation unnatural. The numbers
check accepts a source number written as a word of the target language, and
still refuses a different one.

Words come from `num2words` where it covers the language (Spanish, Vietnamese,
Arabic), with a small table of the forms it leaves out (gender, case, the
Arabic dual); Chinese numerals are read by a small parser (num2words has no
Chinese). Pure functions, no Flask.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from num2words import num2words

# The numbers a word may stand for: 0 to 20, and the tens up to 100.
WORD_VALUES = tuple(range(0, 21)) + tuple(range(30, 101, 10))

_NUM2WORDS = {"en": "en", "es": "es", "vi": "vi", "ar": "ar"}

# Forms num2words does not give: feminine and shortened forms, Arabic case endings.
_EXTRA_WORDS: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {2: ("both",), 100: ("a hundred",)},
    "es": {1: ("un", "una"), 21: ("veintiún", "veintiuna"), 100: ("ciento",)},
    "vi": {4: ("tư",), 10: ("chục",), 15: ("mười lăm",), 100: ("trăm",)},
    "ar": {1: ("واحدة",), 2: ("اثنين", "اثنتان", "اثنتين", "اثنان"), 3: ("ثلاث",), 4: ("أربع",), 5: ("خمس",),
           6: ("ست",), 7: ("سبع",), 8: ("ثماني", "ثمان"), 9: ("تسع",), 10: ("عشر",), 100: ("مئة",)},
}

# Words that also mean something else ("un" is the Spanish article, "năm" is "year",
# "ba" is "father"): they satisfy a source number, but are never counted as an extra one.
_AMBIGUOUS = {
    "en": {"one", "a hundred"},
    "es": {"un", "una", "uno"},
    "vi": {"không", "một", "ba", "năm", "tư", "chục", "trăm"},  # "không" is also "not"
    "ar": {"واحد", "واحدة", "ست", "عشر"},
}

# Words after which a number is not a count: an ordinal ("lần thứ hai": the second time), or
# "both" ("cả hai").
_NOT_A_COUNT_AFTER = {"vi": {"thứ", "cả"}}

# Arabic: clitics written on the front of a word ("و" and, "ب" with, "ال" the).
_AR_PREFIX = re.compile(r"^(?:وال|بال|كال|فال|لل|ال|و|ف|ب|ل|ك)")
_AR_MARKS = re.compile(r"[\u064b-\u0652\u0670\u0640]")  # short vowels, shadda, sukun, tatweel

# Chinese numerals, and the measure words after which one is a count ("两种药", "三次").
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_RUN = re.compile(r"[零〇一二两兩三四五六七八九十百千]+")
_ZH_MEASURES = set("种種个個次名位年月周週天岁歲例倍项項条條组組类類期轮輪剂劑片粒份步点點")


def _fold(text: str, language: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    if language == "ar":
        text = _AR_MARKS.sub("", text)
        text = re.sub("[أإآ]", "ا", text).replace("ى", "ي")
    return text


@lru_cache(maxsize=None)
def words_for(language: str) -> dict[str, int]:
    """Every word form of the numbers in WORD_VALUES for a language (folded), to its value."""
    found: dict[str, int] = {}
    if language in _NUM2WORDS:
        for value in WORD_VALUES:
            word = num2words(value, lang=_NUM2WORDS[language])
            found[_fold(word.replace("-", " "), language)] = value
    for value, extras in _EXTRA_WORDS.get(language, {}).items():
        for word in extras:
            found[_fold(word, language)] = value
    return found


def _language(locale: str) -> str:
    return re.split(r"[-_]", locale or "en")[0].lower()


def _zh_value(run: str) -> int | None:
    """The value of a run of Chinese numerals ("十五" 15, "两" 2, "一百" 100), or None."""
    if all(ch in _ZH_DIGITS for ch in run):
        return int("".join(str(_ZH_DIGITS[ch]) for ch in run)) if len(run) > 1 else _ZH_DIGITS[run]
    total, digit = 0, None
    for ch in run:
        if ch in _ZH_DIGITS:
            if digit is not None:
                return None
            digit = _ZH_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _ZH_UNITS[ch]
            digit = None
    return total + (digit or 0)


def number_words(text: str, locale: str) -> list[tuple[int, bool, str]]:
    """The numbers written as words in ``text``: (value, counts as extra, the word) for each.

    The second item is False for words that also mean something else (they may stand for a
    source number but are never held against a translation), and for Chinese numerals that
    are not a count (not followed by a measure word: "一起" is "together", not "one").
    """
    language = _language(locale)
    if language == "zh":
        found = []
        for match in _ZH_RUN.finditer(text):
            value = _zh_value(match.group(0))
            if value is None:
                continue
            after = text[match.end():match.end() + 1]
            before = text[match.start() - 1:match.start()] if match.start() else ""
            found.append((value, after in _ZH_MEASURES and before != "第" and value > 1, match.group(0)))
        return found
    table = words_for(language)
    if not table:
        return []
    tokens = re.findall(r"\w+", _fold(text, language))
    not_a_count = _NOT_A_COUNT_AFTER.get(language, set())
    longest = max(len(word.split()) for word in table)
    found, index = [], 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            phrase = " ".join(tokens[index:index + size])
            if language == "ar" and phrase not in table:
                phrase = _AR_PREFIX.sub("", phrase)
            if phrase in table:
                value = table[phrase]
                counts = (phrase not in _AMBIGUOUS.get(language, ()) and value > 1
                          and not (index and tokens[index - 1] in not_a_count))
                found.append((value, counts, phrase))
                index += size
                break
        else:
            if language == "ar" and _is_arabic_dual(tokens[index]):
                found.append((2, False, tokens[index]))
            index += 1
    return found


def _is_arabic_dual(token: str) -> bool:
    """A noun in the dual ("دواءان", "طفلين"): Arabic says "two" by the ending alone."""
    stem = _AR_PREFIX.sub("", token)
    return len(stem) >= 4 and stem.endswith(("ان", "ين"))
