"""Turn content messages into HTML for one locale, with raw HTML switched off.

Whatever a translation contains, markdown-it escapes it: ``html`` is off, so
``<script>`` arrives as text, and images are off, so no ``<img>`` is ever made
(invariant 6). Links are rewritten from the
content's own schemes (``glossary:term``, ``page:slug``) to real URLs; any
other target renders as plain text, without a link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from markdown_it import MarkdownIt
from markupsafe import Markup

from portal.families.content import Block, Message, Page
from portal.families.served import ServedCatalog
from portal.families.wayfinding import block_ids, has_contents_list

LinkResolver = Callable[[str], "str | None"]

# Images and autolinks are switched off: a family page never shows an <img> or a link a source
# did not have, whatever a translation contains (the checks refuse them too, invariant 6).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(["image", "autolink"])


def render_inline(text: str, resolve: LinkResolver) -> Markup:
    """Inline Markdown to HTML. ``resolve`` maps a link target to a URL, or None to drop the link."""
    tokens = _md.parseInline(text)
    for token in tokens:
        dropped = []
        for child in token.children or []:
            if child.type == "link_open":
                url = resolve(child.attrGet("href") or "")
                dropped.append(url is None)
                if url is None:
                    child.type, child.tag, child.nesting = "text", "", 0
                    child.content = ""
                else:
                    child.attrSet("href", url)
            elif child.type == "link_close" and dropped:
                if dropped.pop():
                    child.type, child.tag, child.nesting = "text", "", 0
                    child.content = ""
    return Markup(_md.renderer.render(tokens, _md.options, {}))


@dataclass
class Piece:
    """One rendered message: its HTML, and ``lang`` when it falls back to English."""

    html: Markup
    lang: str | None = None


@dataclass
class RenderedBlock:
    kind: str
    pieces: list[Piece]
    level: int = 0
    ordered: bool = False
    id: str = ""  # stable across languages (``portal.families.wayfinding``)


@dataclass
class RenderedPage:
    page: Page
    title: Piece
    summary: Piece
    blocks: list[RenderedBlock] = field(default_factory=list)
    glossary: list[tuple[str, Piece, Piece]] = field(default_factory=list)
    fallbacks: int = 0
    contents: list[tuple[str, Piece]] = field(default_factory=list)  # "On this page": (id, heading)


class Renderer:
    """Renders messages through one served catalog, counting English fallbacks."""

    def __init__(self, catalog: ServedCatalog, translated: bool, resolve: LinkResolver):
        self.catalog = catalog
        self.translated = translated  # False for the English source pages
        self.resolve = resolve
        self.fallbacks = 0

    def piece(self, message: Message) -> Piece:
        if not self.translated:
            return Piece(render_inline(message.text, self.resolve))
        found = self.catalog.lookup(message.text)
        if found is None:
            self.fallbacks += 1
            return Piece(render_inline(message.text, self.resolve), lang="en")
        return Piece(render_inline(found, self.resolve))

    def block(self, block: Block) -> RenderedBlock:
        return RenderedBlock(block.kind, [self.piece(m) for m in block.messages], block.level,
                             block.ordered)

    def page(self, page: Page) -> RenderedPage:
        rendered = RenderedPage(page, self.piece(page.title), self.piece(page.summary))
        rendered.blocks = [self.block(block) for block in page.blocks]
        for block, block_id in zip(rendered.blocks, block_ids(page)):
            block.id = block_id
        if has_contents_list(page):
            rendered.contents = [(b.id, b.pieces[0]) for b in rendered.blocks if b.kind == "heading" and b.level == 2]
        rendered.glossary = [(entry.slug, self.piece(entry.term), self.piece(entry.definition))
                             for entry in page.glossary]
        rendered.fallbacks = self.fallbacks
        return rendered
