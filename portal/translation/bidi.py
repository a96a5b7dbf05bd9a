"""Right-to-left display of a translation: placeholders and Latin words kept in reading order.

In an Arabic sentence, ``%(num)s`` or "ALL" sit inside right-to-left text, and the Unicode bidi
algorithm can show ``%(num)s`` as ``s(num)%``. For display only (the review page, the lists, the
"How this reads" preview under the editor), each placeholder and each run of Latin words is wrapped
in ``<bdi dir="ltr">``, so it reads left to right as one piece. The text is escaped first, piece by
piece; what is saved is never changed.

Pure domain code: no Flask.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

PLACEHOLDER = r"%\([^)\s]{1,40}\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]|%[sdif]|\{[A-Za-z_]\w{0,40}\}"
LATIN_RUN = r"[A-Za-z][A-Za-z0-9'’\-]*(?:[ .,:/][A-Za-z0-9][A-Za-z0-9'’\-]*)*"
ISOLATED = re.compile(f"(?:{PLACEHOLDER})|(?:{LATIN_RUN})")


def isolate_ltr(text: str, direction: str = "rtl") -> Markup:
    """``text`` escaped, with placeholders and Latin runs isolated when it is shown right to left."""
    text = "" if text is None else str(text)
    if direction != "rtl":
        return escape(text)
    pieces, at = [], 0
    for found in ISOLATED.finditer(text):
        pieces.append(escape(text[at:found.start()]))
        pieces.append(Markup('<bdi dir="ltr">%s</bdi>') % found.group())
        at = found.end()
    pieces.append(escape(text[at:]))
    return Markup("").join(pieces)
