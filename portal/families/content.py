"""English source pages: front matter, blocks, and the messages they hold.

A page is a Markdown file in ``content/`` with YAML front matter. Its body may
use only paragraphs, ``##``/``###`` headings and flat lists; the glossary page
is a run of ``## Term`` headings each followed by one definition paragraph.
Every heading, paragraph, list item, glossary term and definition is one
gettext message whose text is the block's Markdown *inline* source, so
translators keep links and emphasis where they belong.

A note for the medical reviewer is written on its own line(s) just before the
block it is about: ``<!-- reviewer: what to confirm -->``. It is no part of the
page; it goes to the block's messages (``Message.note``) and from there into the
template as an extracted comment, shown beside the message to translators and
reviewers. Any other HTML, comments included, is refused.

Pure domain code: no Flask. Errors a content author can cause raise
ContentError naming the file and line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

PAGE_KEYS = {"title", "summary", "order", "reviewed", "next_review", "sources"}
OPTIONAL_KEYS = {"type", "callout"}
CALLOUTS = ("urgent",)  # `callout: urgent`: the urgent-help box near the top of the page
ALLOWED_INLINE = {
    "text", "softbreak", "strong_open", "strong_close", "em_open", "em_close",
    "link_open", "link_close",
}
LINK_SCHEMES = ("glossary:", "page:", "https://")

_parser = MarkdownIt("commonmark", {"html": False})


class ContentError(ValueError):
    """A content file that breaks the authoring rules; says where and what to fix."""


@dataclass(frozen=True)
class Message:
    """One translatable piece of a page."""

    text: str
    lineno: int
    kind: str  # title, summary, heading, paragraph, item, term, definition
    note: str = ""  # for the medical reviewer (a `<!-- reviewer: ... -->` line before the block)


@dataclass(frozen=True)
class Block:
    """A heading, a paragraph or a list, in page order."""

    kind: str  # heading, paragraph, list
    messages: tuple[Message, ...]
    level: int = 0  # headings: 2 or 3
    ordered: bool = False  # lists: numbered or bulleted


@dataclass(frozen=True)
class GlossaryEntry:
    slug: str
    term: Message
    definition: Message


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    publisher: str
    date: str  # as the document says it, e.g. "updated 2014-02-25" (shown in English, with the title)
    url: str
    dated: dt.date  # the month of that date, machine-readable (sources.yml `dated: YYYY-MM`), for localised dates


@dataclass
class Page:
    slug: str
    path: str
    title: Message
    summary: Message
    order: int
    reviewed: dt.date
    next_review: dt.date
    sources: tuple[Source, ...]
    kind: str = "page"  # or "glossary"
    callout: str | None = None  # "urgent": the page shows the urgent-help box after its lead
    blocks: list[Block] = field(default_factory=list)
    glossary: list[GlossaryEntry] = field(default_factory=list)

    def messages(self) -> list[Message]:
        """Every message of the page, in reading order."""
        out = [self.title, self.summary]
        for block in self.blocks:
            out.extend(block.messages)
        for entry in self.glossary:
            out.extend((entry.term, entry.definition))
        return out


def slugify(term: str) -> str:
    """Anchor for a glossary term: lowercase, runs of other characters become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def inline_links(text: str) -> list[str]:
    """The link targets in a piece of Markdown inline text, in order."""
    tokens = _parser.parseInline(text)
    return [
        child.attrGet("href") or ""
        for tok in tokens
        for child in (tok.children or [])
        if child.type == "link_open"
    ]


def plain_text(text: str) -> str:
    """Inline Markdown without its markup: link text kept, emphasis marks dropped."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


_RAW_HTML = re.compile(r"<[A-Za-z/!?]")


def _check_inline(text: str, where: str) -> None:
    if _RAW_HTML.search(text):
        raise ContentError(f"{where}: raw HTML is not allowed in content; write plain words "
                           "and Markdown (**bold**, *emphasis*, [links](glossary:term)).")
    for tok in _parser.parseInline(text):
        for child in tok.children or []:
            if child.type not in ALLOWED_INLINE:
                raise ContentError(f"{where}: {child.type!r} is not allowed in content text; "
                                   "use plain words, **bold**, *emphasis* and links only.")
            if child.type == "text" and "](" in child.content:
                raise ContentError(f"{where}: {child.content!r} looks like a link but is not one; "
                                   f"link targets must start with one of {', '.join(LINK_SCHEMES)}.")
            if child.type == "link_open":
                href = child.attrGet("href") or ""
                if not href.startswith(LINK_SCHEMES):
                    raise ContentError(f"{where}: link {href!r} must start with one of "
                                       f"{', '.join(LINK_SCHEMES)}.")


def _split_front_matter(text: str, name: str) -> tuple[dict, str, int]:
    if not text.startswith("---\n"):
        raise ContentError(f"{name}:1: a page must start with '---' front matter.")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ContentError(f"{name}:1: front matter is not closed with '---'.")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        raise ContentError(f"{name}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ContentError(f"{name}:2: front matter must be a mapping of keys to values.")
    body_offset = text[: end + 5].count("\n")  # lines before the body starts
    return meta, text[end + 5:], body_offset


def _front_matter_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def parse_page(text: str, name: str, sources: dict[str, Source]) -> Page:
    """Parse one content file's text; ``name`` is its path relative to the project."""
    meta, body, offset = _split_front_matter(text, name)
    missing = PAGE_KEYS - meta.keys()
    unknown = meta.keys() - PAGE_KEYS - OPTIONAL_KEYS
    if missing or unknown:
        raise ContentError(f"{name}: front matter needs exactly {sorted(PAGE_KEYS)} "
                           f"(plus optional {sorted(OPTIONAL_KEYS)}); missing {sorted(missing)}, unknown {sorted(unknown)}.")
    for key in ("reviewed", "next_review"):
        if not isinstance(meta[key], dt.date):
            raise ContentError(f"{name}: {key} must be a date written YYYY-MM-DD.")
    unknown_sources = [key for key in meta["sources"] if key not in sources]
    if unknown_sources:
        raise ContentError(f"{name}: unknown sources {unknown_sources}; "
                           f"add them to content/sources.yml or use {sorted(sources)}.")
    kind = meta.get("type", "page")
    if kind not in ("page", "glossary"):
        raise ContentError(f"{name}: type must be 'page' or 'glossary'.")
    callout = meta.get("callout")
    if callout is not None and callout not in CALLOUTS:
        raise ContentError(f"{name}: callout must be one of {list(CALLOUTS)} (or left out).")
    title = Message(str(meta["title"]).strip(), _front_matter_line(text, "title"), "title")
    summary = Message(str(meta["summary"]).strip(), _front_matter_line(text, "summary"), "summary")
    for msg in (title, summary):
        _check_inline(msg.text, f"{name}:{msg.lineno}")
    page = Page(
        slug=Path(name).stem, path=name, title=title, summary=summary, order=int(meta["order"]),
        reviewed=meta["reviewed"], next_review=meta["next_review"],
        sources=tuple(sources[key] for key in meta["sources"]), kind=kind, callout=callout,
    )
    blocks = _parse_blocks(body, name, offset)
    if kind == "glossary":
        page.glossary = _glossary_entries(blocks, name)
    else:
        page.blocks = blocks
    return page


_REVIEWER_NOTE = re.compile(r"^<!--[ \t]*reviewer:(.*?)-->[ \t]*$", re.MULTILINE | re.DOTALL)


def _take_notes(body: str, name: str, offset: int) -> tuple[str, list[tuple[int, str]]]:
    """The body with each reviewer note blanked out (line numbers kept), and the notes as
    (line of the note's end, text), in order."""
    notes = []

    def blank(match: re.Match) -> str:
        text = " ".join(match.group(1).split())
        line = offset + body.count("\n", 0, match.end()) + 1
        if not text:
            raise ContentError(f"{name}:{line}: the reviewer note is empty; say what the reviewer should check.")
        notes.append((line, text))
        return "\n" * match.group(0).count("\n")

    return _REVIEWER_NOTE.sub(blank, body), notes


def _attach_notes(blocks: list[Block], notes: list[tuple[int, str]], name: str) -> list[Block]:
    """Give each note to the messages of the first block after it."""
    for line, text in notes:
        index = next((i for i, block in enumerate(blocks) if block.messages[0].lineno > line), None)
        if index is None:
            raise ContentError(f"{name}:{line}: a reviewer note must come just before the block it is about.")
        block = blocks[index]
        messages = tuple(Message(m.text, m.lineno, m.kind, " ".join(filter(None, (m.note, text))))
                         for m in block.messages)
        blocks[index] = Block(block.kind, messages, block.level, block.ordered)
    return blocks


def _parse_blocks(body: str, name: str, offset: int) -> list[Block]:
    body, notes = _take_notes(body, name, offset)
    blocks: list[Block] = []
    tokens = _parser.parse(body)
    i = 0
    depth_list = 0
    items: list[Message] = []
    ordered = False
    while i < len(tokens):
        tok = tokens[i]
        line = offset + (tok.map[0] + 1 if tok.map else 0)
        where = f"{name}:{line}"
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            if level not in (2, 3):
                raise ContentError(f"{where}: use '##' or '###' headings; the title is the page's only h1.")
            msg = _inline_message(tokens[i + 1], name, offset, "heading")
            blocks.append(Block("heading", (msg,), level=level))
            i += 3
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            if depth_list:
                raise ContentError(f"{where}: lists inside lists are not allowed; keep lists flat.")
            depth_list, items, ordered = 1, [], tok.type == "ordered_list_open"
            i += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            blocks.append(Block("list", tuple(items), ordered=ordered))
            depth_list = 0
            i += 1
        elif tok.type in ("list_item_open", "list_item_close", "paragraph_close"):
            i += 1
        elif tok.type == "paragraph_open":
            kind = "item" if depth_list else "paragraph"
            msg = _inline_message(tokens[i + 1], name, offset, kind)
            if depth_list:
                items.append(msg)
            else:
                blocks.append(Block("paragraph", (msg,)))
            i += 2
        else:
            raise ContentError(f"{where}: {tok.type!r} is not allowed in content; use paragraphs, "
                               "'##'/'###' headings and flat lists only.")
    return _attach_notes(blocks, notes, name)


def _inline_message(tok, name: str, offset: int, kind: str) -> Message:
    lineno = offset + tok.map[0] + 1
    text = " ".join(tok.content.split())
    if not text:
        raise ContentError(f"{name}:{lineno}: empty {kind}.")
    _check_inline(text, f"{name}:{lineno}")
    return Message(text, lineno, kind)


def _glossary_entries(blocks: list[Block], name: str) -> list[GlossaryEntry]:
    entries = []
    for index in range(0, len(blocks), 2):
        head = blocks[index]
        if head.kind != "heading" or head.level != 2:
            line = head.messages[0].lineno
            raise ContentError(f"{name}:{line}: each glossary entry starts with '## Term'.")
        if index + 1 >= len(blocks) or blocks[index + 1].kind != "paragraph":
            line = head.messages[0].lineno
            raise ContentError(f"{name}:{line}: the term needs exactly one definition paragraph after it.")
        head_message, body_message = head.messages[0], blocks[index + 1].messages[0]
        term = Message(head_message.text, head_message.lineno, "term", head_message.note)
        definition = Message(body_message.text, body_message.lineno, "definition", body_message.note)
        entries.append(GlossaryEntry(slugify(plain_text(term.text)), term, definition))
    slugs = [entry.slug for entry in entries]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise ContentError(f"{name}: glossary terms repeat: {sorted(duplicates)}.")
    return entries


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _month(value, where: str) -> dt.date:
    """``dated: YYYY-MM`` (a date YYYY-MM-DD is taken as its month) as the first day of that month."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = _MONTH.fullmatch(str(value).strip())
    if match and 1 <= int(match.group(2)) <= 12:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    raise ContentError(f"{where}: dated must be the month of the document, written YYYY-MM (e.g. 2014-02); "
                       f"got {value!r}.")


def load_sources(content_dir: Path) -> dict[str, Source]:
    path = Path(content_dir) / "sources.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for key, value in data.items():
        where = f"{Path(content_dir).name}/sources.yml: {key}"
        if "dated" not in value:
            raise ContentError(f"{where}: add `dated: YYYY-MM`, the month of the document's date.")
        out[key] = Source(key=key, **{**value, "dated": _month(value["dated"], where)})
    return out


# The site's own family pages (not from content/), by the name in their address, with the endpoint
# that answers it (portal.families.views): each is cached, exported (portal.families.export), purged
# after a publish and reachable through the language switcher like a content page.
HOW_WE_CHECKED = "how-we-checked"
SITE_PAGES = {"about": "public.about", HOW_WE_CHECKED: "public.how_we_checked"}
# Addresses a content page may not take: the site's own pages and the search (it could never be read).
RESERVED_SLUGS = frozenset(SITE_PAGES) | {"search"}


# Parsed content by the bytes it was parsed from: an app (each gunicorn worker, each test's app)
# parses the same files once per process, and a changed file is parsed again. Pages are not
# changed after parsing (rendering builds new objects), so apps may share them.
_PARSED: dict[str, dict[str, Page]] = {}


def _content_digest(content_dir: Path) -> str:
    digest = hashlib.sha256(str(content_dir.resolve()).encode())
    for path in sorted(content_dir.glob("*.md")) + [content_dir / "sources.yml"]:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"\1missing")
        digest.update(b"\0")
    return digest.hexdigest()


def load_pages(content_dir: Path) -> dict[str, Page]:
    """All pages in ``content_dir``, keyed by slug, in their front-matter order."""
    content_dir = Path(content_dir)
    key = _content_digest(content_dir)
    if key not in _PARSED:
        _PARSED[key] = _parse_pages(content_dir)
    return dict(_PARSED[key])


def _parse_pages(content_dir: Path) -> dict[str, Page]:
    sources = load_sources(content_dir)
    pages = []
    for path in sorted(content_dir.glob("*.md")):
        name = f"{content_dir.name}/{path.name}"
        pages.append(parse_page(path.read_text(encoding="utf-8"), name, sources))
    taken = [page.path for page in pages if page.slug in RESERVED_SLUGS]
    if taken:
        raise ContentError(f"{', '.join(taken)}: the site's own pages use the addresses {sorted(RESERVED_SLUGS)}; "
                           "rename the file.")
    pages.sort(key=lambda page: (page.order, page.slug))
    glossaries = [page for page in pages if page.kind == "glossary"]
    if len(glossaries) > 1:
        raise ContentError(f"only one glossary page is allowed, found {[p.path for p in glossaries]}.")
    return {page.slug: page for page in pages}
