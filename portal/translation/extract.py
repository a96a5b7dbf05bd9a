"""Babel extractors registered in ``babel.cfg``: what each extracted message is, decided at the source.

* ``content/*.md``: each heading, paragraph, list item, glossary term and
  definition becomes one message at its file and line, with MEDICAL_COMMENT, and the
  block's note for the medical reviewer if it has one (``REVIEWER_MARK`` lines).
* Families' templates (``portal/templates/*.html``): every string, with SITE_COMMENT.
  The disclaimer, the review notices and the fallback notice are read by families,
  so they are reviewed like content (docs/design.md, invariant 1).
* Staff templates (``portal/templates/staff/``): STAFF_COMMENT; only these are not reviewed.

These comments in the *template* decide whether a string is reviewed, and as what
(``portal.review.rules.review_kind``, docs/design.md, invariant 2); nothing a translator writes in a
``.po`` can change them. A string with none of them (for example one marked in Python
code) is reviewed as site text: the default is to review.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from jinja2.ext import babel_extract

from portal.families.content import load_sources, parse_page

# Each short enough never to be wrapped onto two "#." lines by a .po writer.
MEDICAL_COMMENT = "medical: families see it only after review"
SITE_COMMENT = "site text: families see it only after review"
STAFF_COMMENT = "staff only: not shown to families, not reviewed"
# Each line of a note for the medical reviewer starts with this mark, and no line is longer than a
# .po writer's "#. " line (76 - 3), so the note reads back exactly as written (and in any order the
# comments are merged in).
REVIEWER_MARK = "reviewer: "
COMMENT_WIDTH = 73

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
        yield message.lineno, None, message.text, [MEDICAL_COMMENT, _HINTS[message.kind],
                                                   *reviewer_note_lines(message.note)]


def reviewer_note_lines(note: str) -> list[str]:
    """A note for the medical reviewer as extracted-comment lines, each marked and short enough."""
    width = COMMENT_WIDTH - len(REVIEWER_MARK)
    return [REVIEWER_MARK + line for line in textwrap.wrap(note, width, break_long_words=False)]


def reviewer_note(extracted: str) -> str:
    """The note for the medical reviewer in a message's extracted comments ("" if none)."""
    return " ".join(line.strip()[len(REVIEWER_MARK):].strip() for line in (extracted or "").splitlines()
                    if line.strip().startswith(REVIEWER_MARK))


def other_comments(extracted: str) -> list[str]:
    """The extracted comments that are not the reviewer's note, non-empty, in order."""
    return [line for line in (extracted or "").splitlines()
            if line.strip() and not line.strip().startswith(REVIEWER_MARK)]


def _template_with(comment: str):
    def extract(fileobj, keywords, comment_tags, options):
        for lineno, funcname, message, comments in babel_extract(fileobj, keywords, comment_tags, options):
            yield lineno, funcname, message, [comment, *comments]
    return extract


extract_family_template = _template_with(SITE_COMMENT)
extract_family_template.__doc__ = "Jinja's extractor for the families' templates, each string marked site text."
extract_staff_template = _template_with(STAFF_COMMENT)
extract_staff_template.__doc__ = "Jinja's extractor for staff templates, each string marked staff only."
