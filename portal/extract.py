"""Babel extractor for ``content/*.md``, registered in ``babel.cfg``.

Each heading, paragraph, list item, glossary term and definition becomes one
message, located at its file and line. Every content message carries the
extracted comment MEDICAL_COMMENT: that comment in the *template* is what makes
a string medical (DESIGN invariant 2), so nothing a translator writes in a
``.po`` can change it.
"""
from __future__ import annotations

from pathlib import Path

from portal.content import load_sources, parse_page

# Short enough never to be wrapped onto two "#." lines by a .po writer.
MEDICAL_COMMENT = "medical: families see it only after review"

_HINTS = {
    "title": "Page title.",
    "summary": "One-line page summary, shown in the list of pages.",
    "heading": "Section heading.",
    "paragraph": "Paragraph.",
    "item": "List item.",
    "term": "Glossary term. Its link target stays the English term's anchor.",
    "definition": "Glossary definition.",
}


def extract_content(fileobj, keywords, comment_tags, options):
    """Yield (lineno, funcname, message, comments) for one content file, as Babel expects."""
    name = getattr(fileobj, "name", "content/page.md")
    path = Path(name)
    sources = load_sources(path.parent)
    page = parse_page(fileobj.read().decode("utf-8"), f"{path.parent.name}/{path.name}", sources)
    for message in page.messages():
        yield message.lineno, None, message.text, [MEDICAL_COMMENT, _HINTS[message.kind]]
