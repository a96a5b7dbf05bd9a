"""Quality checks of one translation against its source: each declared once, one verdict.

``CHECKS`` lists every check with its id, its severity and the function that
finds its problems. ``blocking_problems`` is the one function that decides
whether a text may be saved, uploaded, approved or served: the workspace, the
upload preview, approval (web and CLI), the publish gate and
``flask translate check`` all call it (docs/design.md, invariants 1 and 6).

Blocking: invisible and control characters, markup the source does not use
(images, raw HTML, block syntax, bare URLs, ...), link targets, placeholders and
numbers that differ from the source's. Numbers may be written as words of the
target language (``portal.translation.number_words``).

Warnings (shown, and stored with the edit for the reviewer): emphasis counts,
medicine names and kept terms, spaces at the ends, ending punctuation, text
left in English, empty plural forms, and each language's term policy
(``locales`` in content/terms.yml: Spanish LLA for ALL, 白细胞介素-2, ...).

Pure domain code: no Flask.
"""
from __future__ import annotations

import gettext
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Callable

import yaml
from babel.messages.plurals import get_plural
from markdown_it import MarkdownIt

from portal.families.content import inline_links, plain_text
from portal.translation.number_words import number_words

# Python %-format ("%(name)s", "%d") and str.format ("{name}") placeholders.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%[diouxXeEfFgGcrsa]|\{\w*\}")


def placeholders(text: str) -> Counter:
    return Counter(match.group(0) for match in _PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def link_targets(text: str) -> Counter:
    return Counter(inline_links(text))


COUNT_NAME = "%(num)"  # Jinja's and Flask-Babel's ngettext name the count "num"


@dataclass(frozen=True)
class Text:
    """What every check looks at: one translation (all its forms) and its source."""

    locale: str
    msgid: str
    msgid_plural: str
    forms: tuple[str, ...]

    def each_form(self):
        """(label, source, form, index) for each non-empty form; a plural's forms after the first
        are checked against the plural source."""
        for index, form in enumerate(self.forms):
            if not form:
                continue
            source = self.msgid_plural if (self.msgid_plural and index > 0) else self.msgid
            label = f"Plural form {index}: " if self.msgid_plural else ""
            yield label, source, form, index


# --- Invisible and control characters --------------------------------------------------------

# Zero-width non-joiner and joiner: scripts (and emoji) need them to shape text correctly.
SCRIPT_JOINERS = {"\u200c", "\u200d"}
# Invisible letters that are not format characters (Hangul fillers, the braille blank).
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def is_invisible(ch: str) -> bool:
    """Control, format (bidi overrides and isolates, zero-width space, BOM, soft hyphen), line and
    paragraph separators, private use: characters a reader cannot see that can hide or reorder text."""
    return (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")
            or ch in _INVISIBLE_LETTERS) and ch not in SCRIPT_JOINERS


def _character_name(ch: str) -> str:
    names = {"\n": "LINE FEED", "\t": "TAB", "\r": "CARRIAGE RETURN", "\x00": "NUL"}
    return names.get(ch) or unicodedata.name(ch, "control character")


def invisible_problems(text: Text) -> list[str]:
    """Each invisible character, named, with its position (the first of each kind)."""
    problems = []
    for label, source, form, _ in text.each_form():
        seen = set()
        for position, ch in enumerate(form, start=1):
            if is_invisible(ch) and ch not in source and ch not in seen:
                seen.add(ch)
                problems.append(f"{label}There is an invisible character, U+{ord(ch):04X} ({_character_name(ch)}), "
                                f"at position {position}. Delete it: it can hide or reorder text.")
    return problems


# --- Markup a translation cannot add ---------------------------------------------------------

_blocks = MarkdownIt("commonmark", {"html": False}).enable("table")
_RAW_HTML = re.compile(r"<[A-Za-z/!?]")
_BARE_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+")
_INLINE_KINDS = {"strong_open": "bold (**)", "em_open": "emphasis (*)", "link_open": "a link",
                 "image": "an image", "code_inline": "code (`)", "html_inline": "raw HTML",
                 "hardbreak": "a forced line break"}
_BLOCK_KINDS = {"heading_open": "a heading", "bullet_list_open": "a list", "ordered_list_open": "a numbered list",
                "table_open": "a table", "blockquote_open": "a quote", "code_block": "a code block",
                "fence": "a code block", "hr": "a horizontal line", "html_block": "raw HTML"}


def _syntax(text: str) -> set[str]:
    """The Markdown constructs a text uses: block kinds, and inline kinds (autolinks apart)."""
    kinds = set()
    for token in _blocks.parse(text):
        if token.type in _BLOCK_KINDS:
            kinds.add(_BLOCK_KINDS[token.type])
        if token.type == "paragraph_open" and kinds & {"a paragraph"}:
            kinds.add("a second paragraph")
        if token.type == "paragraph_open":
            kinds.add("a paragraph")
        for child in token.children or []:
            if child.type == "link_open" and child.markup == "autolink":
                kinds.add("an autolink (<...>)")
            elif child.type in _INLINE_KINDS:
                kinds.add(_INLINE_KINDS[child.type])
    return kinds


def markup_problems(text: Text) -> list[str]:
    """A translation uses only the Markdown its source uses: no images, raw HTML, code, headings,
    lists, tables, autolinks or web addresses the source does not have."""
    problems = []
    for label, source, form, _ in text.each_form():
        added = sorted(_syntax(form) - _syntax(source) - {"a paragraph"})
        if _RAW_HTML.search(form) and not _RAW_HTML.search(source) and "raw HTML" not in added:
            added.append("raw HTML")
        urls = [u for u in (m.rstrip(").,;:!?'\"»”") for m in _BARE_URL.findall(form)) if u not in source]
        if urls:
            added.append(f"the web address {urls[0]!r}")
        if added:
            problems.append(f"{label}The translation adds {', '.join(added)}, which the English does not have. "
                            "Use only the formatting and links of the English.")
    return problems


def link_problems(text: Text) -> list[str]:
    problems = []
    wanted = link_targets(text.msgid)
    for label, _, form, _ in text.each_form():
        got = link_targets(form)
        if got != wanted:
            problems.append(f"{label}The links differ from the English: it links to "
                            f"{', '.join(sorted(wanted.elements())) or 'nothing'}; the translation links to "
                            f"{', '.join(sorted(got.elements())) or 'nothing'}. Keep each link's target "
                            "(the part in brackets) exactly as in the English.")
    return problems


def placeholder_problems(text: Text) -> list[str]:
    """Placeholders must match; a plural form may leave out the count (Arabic's "one" and "two"
    forms often say the number in words), never add one the source lacks."""
    problems = []
    wanted = placeholders(text.msgid_plural) if text.msgid_plural else placeholders(text.msgid)
    allowed = wanted | placeholders(text.msgid)
    for label, _, form, _ in text.each_form():
        got = placeholders(form)
        extra = got - allowed
        if extra:
            problems.append(f"{label}The translation has {', '.join(sorted(extra))}, which the English does not "
                            "have. Remove it: the portal fills these in.")
        missing = wanted - got
        if text.msgid_plural:
            missing = Counter({p: n for p, n in missing.items() if not p.startswith(COUNT_NAME)})
        if missing:
            problems.append(f"{label}The translation is missing {', '.join(sorted(missing.elements()))}. "
                            "Copy it from the English exactly: the portal fills it in.")
    return problems


# --- Numbers ---------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
_NON_WESTERN_DIGITS = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
_NUMBERED_NAME = re.compile(r"[A-Za-z]+-(\d+)\b")  # interleukin-2
_LOCAL_NUMBERED_NAME = re.compile(r"[^\W\d_A-Za-z]-(\d+)\b")  # 白细胞介素-2, إنترلوكين-2


def _named_twice(source: str, translation: str) -> Counter:
    """The numbers of a name given twice, in the language's own script and then as the English
    name in Latin letters ("白细胞介素-2（interleukin-2）", as content/terms.yml asks): each such
    pair holds one number of the English, not two."""
    names = {match.group(0).lower() for match in _NUMBERED_NAME.finditer(source)}
    latin = Counter(match.group(1) for match in _NUMBERED_NAME.finditer(translation)
                    if match.group(0).lower() in names)
    return latin & Counter(_LOCAL_NUMBERED_NAME.findall(translation))


def numbers(text: str) -> Counter:
    """Numbers written as digits (placeholders excluded); 85, 2.5 and 1,000 count as one each."""
    return Counter(_DIGITS.findall(_PLACEHOLDER.sub(" ", text)))


def _as_int(number: str) -> int | None:
    return int(number) if number.isdigit() else None


def _in_order(numbers) -> list[str]:
    """Numbers as a reader lists them: smallest first (85 before 100)."""
    return sorted(numbers, key=lambda n: (float(n.replace(",", ".")) if re.fullmatch(r"\d+(?:[.,]\d+)?", n) else 0, n))


def number_problems(source: str, translation: str, locale: str = "", also_allowed: frozenset[int] = frozenset()) -> list[str]:
    """The numbers of the source, each as digits or as a word of the target language; no other number.

    Words that also mean something else ("un", "một", Chinese "一" outside a count) may stand for
    a source number but are never counted as an extra one.
    """
    if not translation:
        return []
    if _NON_WESTERN_DIGITS.search(translation):
        return ["Use Western digits (0-9), as the English does."]
    wanted = numbers(source)
    digits = numbers(translation) - _named_twice(source, translation)
    worded = number_words(translation, locale)
    as_words = Counter(str(value) for value, _, _ in worded)
    source_values = (set(wanted) | {str(value) for value, _, _ in number_words(source, "en")}
                     | {str(value) for value in also_allowed})
    source_words = set(re.findall(r"\w+", source.casefold()))  # a word kept from the English is not a number
    missing = _in_order((wanted - (digits + as_words)).elements())
    extra = _in_order(list((digits - wanted).elements()) +
                      [str(value) for value in {value for value, counts, word in worded
                                                if counts and str(value) not in source_values and word not in source_words}])
    if missing and extra:
        same = "the same number" if len(missing) == 1 else "the same numbers"
        return [f"The English has {', '.join(missing)}; your translation has {', '.join(extra)}. "
                f"Use {same}."]
    if missing:
        return [f"The English has {', '.join(missing)}; your translation does not. "
                "Write the same number, in digits or as a word."]
    if extra:
        return [f"Your translation has {', '.join(extra)}, which the English does not have. "
                "Use only the numbers of the English."]
    if source.count("%") - source.count("%%") - len(placeholders(source)) != \
            translation.count("%") - translation.count("%%") - len(placeholders(translation)):
        return ["The percent signs (%) differ from the English. Use as many as the English has."]
    return []


def numbers_check(text: Text) -> list[str]:
    problems = []
    for label, source, form, index in text.each_form():
        # A plural message's first form is for one (or zero) in many languages: it may say the
        # number in words or not at all, so only the other forms are held to the plural source's.
        if text.msgid_plural and index == 0 and len(text.forms) > 1:
            continue
        allowed = numbers_of_form(text.locale, index) if text.msgid_plural else frozenset()
        problems.extend(label + problem for problem in number_problems(source, form, text.locale, allowed))
    return problems


@lru_cache(maxsize=64)
def numbers_of_form(locale: str, index: int) -> frozenset[int]:
    """The numbers (up to 100) that use plural form ``index`` in a locale: that form may say them in
    words (Arabic's form for two may say "two")."""
    try:
        choose = gettext.c2py(get_plural(locale or "en").plural_expr)
    except Exception:  # an unknown locale: no form says any number
        return frozenset()
    return frozenset(n for n in range(101) if choose(n) == index)


# --- Terms that must stay recognisable (content/terms.yml) -----------------------------------

RECOGNISABLE = 0.75  # similarity of a local spelling to the international name ("metotrexato")


def _fold(text: str) -> str:
    """Lowercase, no accents, and spelling variants folded (ph/f, th/t, y/i, k/c)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for variant, plain in (("ph", "f"), ("th", "t"), ("y", "i"), ("k", "c"), ("qu", "c")):
        text = text.replace(variant, plain)
    return text


def _recognisable(name: str, translation: str) -> bool:
    words = re.findall(r"[^\W_][\w-]*", _fold(translation))
    wanted = _fold(name)
    size = len(wanted.split())
    candidates = {" ".join(words[i:i + size]) for i in range(len(words))}
    return any(SequenceMatcher(None, wanted, candidate).ratio() >= RECOGNISABLE for candidate in candidates)


def kept_term_problems(source: str, translation: str, medicines: list[str], keep: list[str],
                       replace: dict[str, str] | None = None) -> list[str]:
    """Medicine names that are no longer recognisable, and kept abbreviations that went missing.
    ``replace``: the language's own abbreviation for an English one (Spanish LLA for ALL): the
    translation must have it instead, and must not have the English one."""
    if not translation:
        return []
    replace = replace or {}
    problems = []
    # Link targets (glossary:methotrexate) do not count: the reader never sees them.
    translation = re.sub(r"\]\([^)]*\)", "]", translation)
    lowered = re.sub(r"\]\([^)]*\)", "]", source).lower()
    for name in medicines:
        if name.lower() in lowered and not _recognisable(name, translation):
            problems.append(f"the medicine name {name!r} is not recognisable in the translation; "
                            "keep the international name (or its usual local spelling)")
    squash = lambda text: re.sub(r"[\s-]+", "", text)  # noqa: E731  ("CAR T" = "CAR-T")
    for term in [*keep, *(term for term in replace if term not in keep)]:
        wanted = replace.get(term, term)
        bare = wanted != term and re.search(rf"\b{re.escape(term)}\b", translation)  # said just below
        if re.search(rf"\b{re.escape(term)}\b", source) and squash(wanted) not in squash(translation) and not bare:
            problems.append(f"{term!r} must stay as written" if wanted == term
                            else f"{term!r} is written {wanted!r} in this language (term policy)")
    for term, wanted in replace.items():
        if re.search(rf"\b{re.escape(term)}\b", translation):
            problems.append(f"write {wanted!r}, not {term!r}, in this language (term policy)")
    return problems


@dataclass(frozen=True)
class LanguagePolicy:
    """One language's own terms (content/terms.yml, ``locales``)."""

    replace: dict[str, str] = field(default_factory=dict)  # English abbreviation -> this language's
    require: dict[str, tuple[str, ...]] = field(default_factory=dict)  # English words -> accepted spellings
    avoid: dict[str, str] = field(default_factory=dict)  # word -> why, and what to write instead
    policy: str = ""  # what no check can see, for translators to read

    @classmethod
    def from_yaml(cls, data: dict) -> "LanguagePolicy":
        require = {str(words): tuple(str(s) for s in ([spellings] if isinstance(spellings, str) else spellings))
                   for words, spellings in (data.get("require") or {}).items()}
        return cls({str(k): str(v) for k, v in (data.get("replace") or {}).items()}, require,
                   {str(k): " ".join(str(v).split()) for k, v in (data.get("avoid") or {}).items()},
                   " ".join(str(data.get("policy") or "").split()))


def _visible(text: str) -> str:
    """What a reader sees of a text, for comparing words: no link targets, NFC, lowercase."""
    return unicodedata.normalize("NFC", re.sub(r"\]\([^)]*\)", "]", text)).lower()


def term_policy_problems(source: str, translation: str, policy: LanguagePolicy) -> list[str]:
    """Where a translation breaks its language's required or avoided words."""
    if not translation:
        return []
    source, translation = _visible(source), _visible(translation)
    problems = []
    for words, spellings in policy.require.items():
        if _visible(words) in source and not any(_visible(s) in translation for s in spellings):
            problems.append(f"term policy: where the English says {words!r}, write "
                            + " or ".join(repr(s) for s in spellings))
    for word, why in policy.avoid.items():
        if re.search(rf"(?<!\w){re.escape(_visible(word))}(?!\w)", translation):
            problems.append(f"term policy: avoid {word!r}: {why}")
    return problems


@dataclass(frozen=True)
class Terms:
    """Names that must stay recognisable (content/terms.yml)."""

    medicines: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    locales: dict[str, LanguagePolicy] = field(default_factory=dict)  # each language's own terms

    @classmethod
    def load(cls, content_dir: Path) -> "Terms":
        path = Path(content_dir) / "terms.yml"
        return cls._from_text(path.read_text(encoding="utf-8") if path.exists() else "")

    @classmethod
    @lru_cache(maxsize=8)  # each app of a process reads the same file: parse it once
    def _from_text(cls, text: str) -> "Terms":
        data = yaml.safe_load(text) or {}
        locales = {str(code): LanguagePolicy.from_yaml(policy or {})
                   for code, policy in (data.get("locales") or {}).items()}
        return cls(tuple(data.get("medicines", ())), tuple(data.get("keep", ())), locales)

    def for_locale(self, locale: str) -> LanguagePolicy:
        return self.locales.get(locale, LanguagePolicy())


# --- Warnings --------------------------------------------------------------------------------

_ENDINGS = {".": ".。", "?": "?？؟", "!": "!！", ":": ":：", "…": "…"}


def _ending(text: str) -> str | None:
    text = text.rstrip()
    for plain, variants in _ENDINGS.items():
        if text and text[-1] in variants:
            return plain
    return None


def _emphasis(text: str) -> tuple[int, int]:
    return text.count("**"), len(re.findall(r"(?<!\*)\*(?!\*)", text))


def empty_form_warnings(text: Text, terms: Terms) -> list[str]:
    if text.msgid_plural and any(text.forms) and not all(text.forms):
        empty = [str(index) for index, form in enumerate(text.forms) if not form]
        return [f"plural forms {', '.join(empty)} are empty; families would see English for those numbers"]
    return []


def style_warnings(text: Text, terms: Terms) -> list[str]:
    warnings = []
    kept = {term.lower() for term in (*terms.medicines, *terms.keep)}
    replace = terms.for_locale(text.locale).replace
    for label, source, form, _ in text.each_form():
        label = label.lower()
        if _emphasis(form) != _emphasis(source):
            warnings.append(f"{label}bold or emphasis marks (* and **) differ from the source")
        warnings.extend(label + p for p in kept_term_problems(source, form, list(terms.medicines),
                                                              list(terms.keep), replace))
        if (form[:1].isspace(), form[-1:].isspace()) != (source[:1].isspace(), source[-1:].isspace()):
            warnings.append(f"{label}leading or trailing spaces differ from the source")
        if _ending(source) != _ending(form):
            warnings.append(f"{label}the ending punctuation differs from the source "
                            f"({_ending(source) or 'none'} in the source)")
        if (form.strip() == source.strip() and re.search(r"[A-Za-z]{3}", source)
                and plain_text(source).lower() not in kept):
            warnings.append(f"{label}the translation is the same as the English source")
    return warnings


def term_policy_warnings(text: Text, terms: Terms) -> list[str]:
    policy = terms.for_locale(text.locale)
    return [label.lower() + problem for label, source, form, _ in text.each_form()
            for problem in term_policy_problems(source, form, policy)]


# --- The registry ----------------------------------------------------------------------------

BLOCKING, WARNING = "blocking", "warning"


@dataclass(frozen=True)
class Check:
    id: str
    severity: str  # BLOCKING: never saved, approved or served; WARNING: shown to translator and reviewer
    title: str
    run: Callable[..., list[str]]


CHECKS: tuple[Check, ...] = (
    Check("invisible", BLOCKING, "Invisible or control characters", lambda text, terms: invisible_problems(text)),
    Check("markup", BLOCKING, "Formatting the English does not use", lambda text, terms: markup_problems(text)),
    Check("links", BLOCKING, "Links", lambda text, terms: link_problems(text)),
    Check("placeholders", BLOCKING, "Placeholders", lambda text, terms: placeholder_problems(text)),
    Check("numbers", BLOCKING, "Numbers", lambda text, terms: numbers_check(text)),
    Check("empty_forms", WARNING, "Empty plural forms", empty_form_warnings),
    Check("style", WARNING, "Emphasis, terms, spaces, punctuation, untranslated text", style_warnings),
    Check("term_policy", WARNING, "Term policy of this language (content/terms.yml)", term_policy_warnings),
)


@dataclass
class CheckResult:
    blocking: list[str] = field(default_factory=list)  # never saved, approved or served
    warnings: list[str] = field(default_factory=list)  # shown, and stored for the reviewer


def run_checks(msgid: str, msgid_plural: str | None, forms: list[str], locale: str, terms: Terms = Terms(),
               severity: str | None = None) -> CheckResult:
    """Every check (or those of one severity) of a translation against its source. An empty
    translation is not checked."""
    result = CheckResult()
    if not any(forms):
        return result
    text = Text(locale, msgid, msgid_plural or "", tuple(forms))
    for check in CHECKS:
        if severity is None or check.severity == severity:
            found = check.run(text, terms)
            (result.blocking if check.severity == BLOCKING else result.warnings).extend(found)
    return result


def blocking_problems(msgid: str, msgid_plural: str | None, forms: list[str], locale: str) -> list[str]:
    """The one verdict on whether a text may be saved, approved or served: its blocking problems,
    as sentences that say what to do (none: it may)."""
    return run_checks(msgid, msgid_plural, forms, locale, severity=BLOCKING).blocking


def check_translation(msgid: str, msgid_plural: str | None, forms: list[str], locale: str,
                      terms: Terms = Terms()) -> CheckResult:
    """Every check of a translation against its source, blocking and warnings."""
    return run_checks(msgid, msgid_plural, forms, locale, terms)
