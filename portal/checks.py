"""Quality checks of one translation against its source.

Blocking (the translation is not saved, and never served): placeholders and
Markdown links must match the source's exactly (invariant 6), and so must the
numbers. Warnings (shown, and stored with the edit for the reviewer):
emphasis, medicine names and kept terms, leading and trailing spaces, ending
punctuation, unchanged from the source, empty plural forms.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from portal.content import inline_links, plain_text

# Python %-format ("%(name)s", "%d") and str.format ("{name}") placeholders.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|%[diouxXeEfFgGcrsa]|\{\w*\}")


def placeholders(text: str) -> Counter:
    return Counter(match.group(0) for match in _PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def link_targets(text: str) -> Counter:
    return Counter(inline_links(text))


COUNT_NAME = "%(num)"  # Jinja's and Flask-Babel's ngettext name the count "num"


def blocking_problems(msgid: str, msgid_plural: str | None, forms: list[str]) -> list[str]:
    """Problems that stop a translation from being saved or served, as readable sentences.

    Links must match the source's exactly. Placeholders must match too, except
    that a plural form may leave out the count (Arabic's "one" and "two" forms
    often say the number in words), never add one the source lacks.
    """
    problems = []
    wanted_links = link_targets(msgid)
    wanted = placeholders(msgid_plural) if msgid_plural else placeholders(msgid)
    allowed = wanted | placeholders(msgid)
    for index, form in enumerate(forms):
        if not form:
            continue
        label = f"plural form {index}" if msgid_plural else "the translation"
        got_links = link_targets(form)
        if got_links != wanted_links:
            problems.append(f"{label} has links {sorted(got_links.elements())} but the source has "
                            f"{sorted(wanted_links.elements())}; keep each link's target exactly as in the source")
        got = placeholders(form)
        extra = got - allowed
        if extra:
            problems.append(f"{label} has placeholders {sorted(extra)} that the source does not have")
        missing = wanted - got
        if msgid_plural:
            missing = Counter({p: n for p, n in missing.items() if not p.startswith(COUNT_NAME)})
        if missing:
            problems.append(f"{label} is missing placeholders {sorted(missing.elements())}")
    return problems


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


def kept_term_problems(source: str, translation: str, medicines: list[str], keep: list[str]) -> list[str]:
    """Medicine names that are no longer recognisable, and kept abbreviations that went missing."""
    if not translation:
        return []
    problems = []
    # Link targets (glossary:methotrexate) do not count: the reader never sees them.
    translation = re.sub(r"\]\([^)]*\)", "]", translation)
    lowered = re.sub(r"\]\([^)]*\)", "]", source).lower()
    for name in medicines:
        if name.lower() in lowered and not _recognisable(name, translation):
            problems.append(f"the medicine name {name!r} is not recognisable in the translation; "
                            "keep the international name (or its usual local spelling)")
    squash = lambda text: re.sub(r"[\s-]+", "", text)  # noqa: E731  ("CAR T" = "CAR-T")
    for term in keep:
        if re.search(rf"\b{re.escape(term)}\b", source) and squash(term) not in squash(translation):
            problems.append(f"{term!r} must stay as written")
    return problems


def numbers(text: str) -> Counter:
    """Numbers written as digits (placeholders excluded); 85, 2.5 and 1,000 count as one each."""
    text = _PLACEHOLDER.sub(" ", text)
    return Counter(re.findall(r"\d+(?:[.,]\d+)?", text))


def number_problems(source: str, translation: str) -> list[str]:
    if not translation:
        return []
    if re.search(r"[\u0660-\u0669\u06f0-\u06f9]", translation):
        return ["use Western digits (0-9), as in the source"]
    missing, extra = numbers(source) - numbers(translation), numbers(translation) - numbers(source)
    if missing or extra:
        return [f"numbers differ from the source: missing {sorted(missing.elements())}, "
                f"extra {sorted(extra.elements())}"]
    if source.count("%") - source.count("%%") - len(placeholders(source)) != \
            translation.count("%") - translation.count("%%") - len(placeholders(translation)):
        return ["percent signs differ from the source"]
    return []


# --- All checks of one translation, as the workspace and `flask translate check` run them -------

@dataclass(frozen=True)
class Terms:
    """Names that must stay recognisable (content/terms.yml)."""

    medicines: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    @classmethod
    def load(cls, content_dir: Path) -> "Terms":
        path = Path(content_dir) / "terms.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(tuple(data.get("medicines", ())), tuple(data.get("keep", ())))


@dataclass
class CheckResult:
    blocking: list[str] = field(default_factory=list)  # placeholders, links, numbers: not saved
    warnings: list[str] = field(default_factory=list)  # shown, and stored for the reviewer


_ENDINGS = {".": ".。", "?": "?？؟", "!": "!！", ":": ":：", "…": "…"}


def _ending(text: str) -> str | None:
    text = text.rstrip()
    for plain, variants in _ENDINGS.items():
        if text and text[-1] in variants:
            return plain
    return None


def _emphasis(text: str) -> tuple[int, int]:
    return text.count("**"), len(re.findall(r"(?<!\*)\*(?!\*)", text))


def check_translation(msgid: str, msgid_plural: str | None, forms: list[str], terms: Terms = Terms()) -> CheckResult:
    """Every check of a translation against its source. An empty translation is not checked."""
    result = CheckResult()
    if not any(forms):
        return result
    result.blocking.extend(blocking_problems(msgid, msgid_plural, forms))
    if msgid_plural and not all(forms):
        empty = [str(index) for index, form in enumerate(forms) if not form]
        result.warnings.append(f"plural forms {', '.join(empty)} are empty; families would see English for those numbers")
    for index, form in enumerate(forms):
        if not form:
            continue
        source = msgid_plural if (msgid_plural and index > 0) else msgid
        label = f"plural form {index}: " if msgid_plural else ""
        result.blocking.extend(label + problem for problem in number_problems(source, form)
                               if not (msgid_plural and index == 0 and len(forms) > 1))
        if _emphasis(form) != _emphasis(source):
            result.warnings.append(f"{label}bold or emphasis marks (* and **) differ from the source")
        result.warnings.extend(label + p for p in kept_term_problems(source, form, list(terms.medicines),
                                                                      list(terms.keep)))
        if (form[:1].isspace(), form[-1:].isspace()) != (source[:1].isspace(), source[-1:].isspace()):
            result.warnings.append(f"{label}leading or trailing spaces differ from the source")
        if _ending(source) != _ending(form):
            result.warnings.append(f"{label}the ending punctuation differs from the source "
                                   f"({_ending(source) or 'none'} in the source)")
        kept = {term.lower() for term in (*terms.medicines, *terms.keep)}
        if (form.strip() == source.strip() and re.search(r"[A-Za-z]{3}", source)
                and plain_text(source).lower() not in kept):
            result.warnings.append(f"{label}the translation is the same as the English source")
    return result
