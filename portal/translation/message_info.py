"""What the workspace shows beside a message: where it appears, its glossary terms, how its
source changed, and which numbers each plural form is for. Pure functions, no Flask."""
from __future__ import annotations

import gettext
import re
from difflib import SequenceMatcher

from babel.messages.plurals import get_plural

from portal.families.content import Page, plain_text


def where_used(occurrences: list[tuple[str, str]], pages: dict[str, Page]) -> list[dict]:
    """Each place a message appears: a content page (with its slug, to link to) or a template."""
    places = []
    for path, line in occurrences:
        if path.startswith("content/") and path.endswith(".md"):
            slug = path[len("content/"):-3]
            page = pages.get(slug)
            places.append({"path": path, "line": line, "slug": slug if page else None,
                           "title": page.title.text if page else slug})
        else:
            places.append({"path": path, "line": line, "slug": None, "title": "Interface"})
    return places


def glossary_for(text: str, pages: dict[str, Page]) -> list[dict]:
    """Glossary entries for the terms a message links to or mentions."""
    glossary = next((p for p in pages.values() if p.kind == "glossary"), None)
    if glossary is None:
        return []
    linked = set(re.findall(r"\]\(glossary:([a-z0-9-]+)\)", text))
    words = plain_text(text).lower()
    found = []
    for entry in glossary.glossary:
        term = plain_text(entry.term.text)
        if entry.slug in linked or re.search(rf"\b{re.escape(term.lower())}\b", words):
            found.append({"slug": entry.slug, "term": entry.term.text, "definition": entry.definition.text})
    return found


# A word, or one CJK character (Chinese has no spaces between words), or a run of spaces.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+|\s+")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference between two texts (English sources, or translations; each CJK
    character counts as a word): a list of ("same"|"del"|"ins", text)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(("del", "".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


source_diff = text_diff  # the English before and after a source change


def plural_examples(locale: str, upto: int = 1000, per_form: int = 6) -> list[list[int]]:
    """For each plural form index, some numbers that use it (CLDR's rule through gettext)."""
    rule = get_plural(locale)
    choose = gettext.c2py(rule.plural_expr)
    examples: list[list[int]] = [[] for _ in range(rule.num_plurals)]
    for number in range(upto + 1):
        form = choose(number)
        if len(examples[form]) < per_form:
            examples[form].append(number)
    return examples
