"""Finding the way on a page and between pages: stable ids for blocks, the reading order, and the
"On this page" list.

Every block of a page gets an id that is the same in every language, so a link into a page (from a
search result, from another page) lands on the same place whatever the reader's language:

* a heading's id comes from its English text (``## Step 1: Getting back into remission`` ->
  ``step-1-getting-back-into-remission``), so it stays when blocks are added above it;
* any other block (a paragraph, a list) is ``b<N>``, its position among the page's blocks
  (``b0`` is the first block after the lead);
* a glossary entry keeps its term's slug (``portal.families.content.slugify``), which other pages
  link to.

Pure domain code: no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from portal.families.content import Page, plain_text, slugify

# Ids the page itself uses: a heading may not take them.
RESERVED_IDS = frozenset({"main", "on-this-page", "glossary-index", "search", "q"})
MIN_SECTIONS = 3  # pages with fewer "##" sections get no "On this page" list


def block_ids(page: Page) -> list[str]:
    """The id of each of ``page.blocks``, in order (see the module docstring)."""
    ids: list[str] = []
    used = set(RESERVED_IDS)
    for number, block in enumerate(page.blocks):
        if block.kind == "heading":
            base = slugify(plain_text(block.messages[0].text)) or f"b{number}"
            if re.fullmatch(r"b[0-9]+", base):  # never one of the other blocks' ids
                base = f"h-{base}"
            candidate, n = base, 2
            while candidate in used:
                candidate, n = f"{base}-{n}", n + 1
        else:
            candidate = f"b{number}"
        used.add(candidate)
        ids.append(candidate)
    return ids


def sections(page: Page) -> list[tuple[str, int]]:
    """The page's ``##`` headings as (id, index of the block), in order."""
    ids = block_ids(page)
    return [(ids[i], i) for i, block in enumerate(page.blocks) if block.kind == "heading" and block.level == 2]


def has_contents_list(page: Page) -> bool:
    """Whether the page gets an "On this page" list: three or more ``##`` sections."""
    return len(sections(page)) >= MIN_SECTIONS


@dataclass(frozen=True)
class Neighbours:
    previous: Page | None
    next: Page | None


def neighbours(pages: dict[str, Page], slug: str) -> Neighbours:
    """The pages before and after ``slug`` in reading order (``pages`` is in front-matter order)."""
    order = list(pages.values())
    index = next(i for i, page in enumerate(order) if page.slug == slug)
    return Neighbours(order[index - 1] if index > 0 else None,
                      order[index + 1] if index + 1 < len(order) else None)
