"""Quality checks of one translation against its source.

Issue-level note: this module starts with the *blocking* checks that protect
families (invariant 6): a translation whose links or placeholders differ from
its source is never served, whoever approved it.
"""
from __future__ import annotations

import re
from collections import Counter

from portal.content import inline_links

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
