"""The one reader and writer of gettext ``.po`` files in the portal.

Every ``.po`` or ``.pot`` the portal reads (catalogs, the template, uploads)
goes through ``parse``, and every one it writes through ``dumps``. Both are
exact: a text is never changed on its way through, whatever characters it
holds. (polib and Babel split lines on vertical tab, form feed, U+0085,
U+2028 and U+2029 as well as on newlines, and rewrote or dropped translators'
words; GNU gettext splits on newlines only, and so do we.)

``parse`` is strict and says where a file is wrong: a line that is not part of
a message, a string not closed with a quote, an unknown escape, a message
without a translation, duplicate messages (with both line numbers), a charset
other than UTF-8. It returns polib objects, the portal's in-memory form of a
catalog. ``dumps`` writes polib's layout (wrapped at 76 columns), so files
written before keep their diffs small; the output is the same for the same
catalog, every time.

Pure domain code: no Flask.
"""
from __future__ import annotations

import re
import textwrap

import polib

WIDTH = 76  # Babel's and Poedit's default wrap width; keeps diffs small.


class PoSyntaxError(ValueError):
    """A file that is not a valid catalog; the message names the line and says what to fix."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"Line {line}: {problem}")
        self.line, self.problem = line, problem


# --- Reading -------------------------------------------------------------------------------------

_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?(?=\s|\")\s*(.*)$")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
                   "\\": "\\", '"': '"', "'": "'", "?": "?"}
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _string(text: str, line: int) -> str:
    """The value of one quoted PO string (with C escapes); nothing may follow its closing quote."""
    text = text.strip()
    if not text.startswith('"'):
        raise PoSyntaxError(line, 'a text must be in double quotes ("...").')
    out = bytearray()
    index = 1
    while True:
        if index >= len(text):
            raise PoSyntaxError(line, 'the text is not closed with a double quote (").')
        ch = text[index]
        if ch == '"':
            rest = text[index + 1:].strip()
            if rest:
                raise PoSyntaxError(line, f"there is text after the closing quote: {rest[:20]!r}. Put the "
                                          'whole text inside one pair of quotes, with \\" for a quote inside it.')
            break
        if ch == "\\":
            if index + 1 >= len(text):
                raise PoSyntaxError(line, 'the text is not closed with a double quote (").')
            code = text[index + 1]
            if code in _SIMPLE_ESCAPES:
                out += _SIMPLE_ESCAPES[code].encode()
                index += 2
                continue
            octal = _OCTAL.match(text, index + 1)
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                index = octal.end()
                continue
            hexa = _HEX.match(text, index + 2) if code == "x" else None
            if hexa:
                out.append(int(hexa.group(0)[-2:], 16))
                index = hexa.end()
                continue
            raise PoSyntaxError(line, f"unknown escape \\{code}. Write a backslash as \\\\.")
        out += ch.encode("utf-8")
        index += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise PoSyntaxError(line, "an escape (\\ooo or \\x..) makes bytes that are not UTF-8 text.") from None


class _Pending:
    """A message being read: its comments, then its fields."""

    def __init__(self):
        self.line = 0  # where its first keyword is
        self.first_line = 0  # where it starts, comments included
        self.tcomment: list[str] = []
        self.comment: list[str] = []
        self.occurrences: list[tuple[str, str]] = []
        self.flags: list[str] = []
        self.previous: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.plural: dict[int, str] = {}
        self.obsolete = False

    @property
    def has_fields(self) -> bool:
        return bool(self.fields or self.plural)


def _finish(pending: _Pending, catalog: polib.POFile, header: list, seen: dict, last_line: int) -> None:
    if not pending.has_fields:
        return  # comments with no message after them: nothing to keep
    where = pending.line
    if "msgid" not in pending.fields:
        raise PoSyntaxError(where, "this message has no msgid. Each message needs msgid, then msgstr.")
    if "msgid_plural" in pending.fields:
        if "msgstr" in pending.fields:
            raise PoSyntaxError(where, "a message with msgid_plural needs msgstr[0], msgstr[1], ..., not msgstr.")
        if not pending.plural:
            raise PoSyntaxError(where, "this plural message has no msgstr[0].")
        if sorted(pending.plural) != list(range(len(pending.plural))):
            raise PoSyntaxError(where, f"the plural forms are numbered {sorted(pending.plural)}; number them "
                                       "0, 1, 2, ... without gaps.")
    else:
        if pending.plural:
            raise PoSyntaxError(where, "msgstr[N] belongs to a plural message; this one has no msgid_plural.")
        if "msgstr" not in pending.fields:
            raise PoSyntaxError(where, "this message has no msgstr. Add msgstr \"\" after its msgid.")
    entry = polib.POEntry(
        msgid=pending.fields["msgid"], msgstr=pending.fields.get("msgstr", ""),
        msgid_plural=pending.fields.get("msgid_plural", ""), msgstr_plural=dict(pending.plural),
        msgctxt=pending.fields.get("msgctxt"), occurrences=pending.occurrences, flags=pending.flags,
        comment="\n".join(pending.comment), tcomment="\n".join(pending.tcomment), obsolete=pending.obsolete,
        previous_msgctxt=pending.previous.get("msgctxt"), previous_msgid=pending.previous.get("msgid"),
        previous_msgid_plural=pending.previous.get("msgid_plural"), linenum=where,
    )
    if not entry.obsolete and entry.msgid == "" and entry.msgctxt is None:
        if header:
            raise PoSyntaxError(where, f"a second header (msgid \"\"); the first is at line {header[0][0]}. "
                                       "Delete one.")
        header.append((where, entry))
        return
    if entry.msgid == "" and not entry.obsolete:
        raise PoSyntaxError(where, 'msgid "" is only for the header; a message needs its English text.')
    key = (entry.msgctxt, entry.msgid, entry.obsolete)
    if key in seen:
        raise PoSyntaxError(where, f"this message is a duplicate of the one at line {seen[key]} "
                                   f"({entry.msgid[:40]!r}). Keep one and delete the other.")
    seen[key] = where
    catalog.append(entry)


def parse(text: str, *, require_utf8: bool = True) -> polib.POFile:
    """Read a catalog from its text (already decoded); raises PoSyntaxError with the line.

    A byte-order mark at the start and CRLF line ends are accepted. With ``require_utf8``, a
    header that declares another charset is refused.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    catalog = polib.POFile(wrapwidth=WIDTH)
    header: list = []
    seen: dict = {}
    pending = _Pending()
    last_field: tuple[str, int | None] | None = None  # (where, plural index) continuation lines add to
    target: dict | None = None
    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.strip()
        if not stripped:
            if pending.has_fields:
                _finish(pending, catalog, header, seen, number)
                pending, last_field = _Pending(), None
            continue
        obsolete = stripped.startswith("#~")
        if obsolete:
            stripped = stripped[2:].strip() if not stripped.startswith("#~|") else "#|" + stripped[3:]
            if not stripped:
                continue
        if stripped.startswith("#") and not stripped.startswith("#|"):
            if pending.has_fields:  # a comment after a message's fields starts the next message
                _finish(pending, catalog, header, seen, number)
                pending, last_field = _Pending(), None
            pending.first_line = pending.first_line or number
            body = stripped[2:] if len(stripped) > 1 else ""
            kind = stripped[1:2]
            if kind == ".":
                pending.comment.append(body.strip())
            elif kind == ":":
                for reference in body.split():
                    path, _, lineno = reference.rpartition(":")
                    pending.occurrences.append((path, lineno) if path and lineno.isdigit() else (reference, ""))
            elif kind == ",":
                pending.flags.extend(flag.strip() for flag in body.split(",") if flag.strip())
            else:  # "# comment" (or "#comment"): the translator's own
                pending.tcomment.append(stripped[2:] if stripped.startswith("# ") else stripped[1:])
            continue
        previous = stripped.startswith("#|")
        if previous:
            stripped = stripped[2:].strip()
        if obsolete:
            if pending.has_fields and not pending.obsolete:
                _finish(pending, catalog, header, seen, number)
                pending, last_field = _Pending(), None
            pending.obsolete = True
        match = _KEYWORD.match(stripped)
        if match:
            keyword, index, rest = match.group(1), match.group(2), match.group(3)
            if previous:
                if index is not None or keyword == "msgstr":
                    raise PoSyntaxError(number, "a #| line holds only msgctxt, msgid or msgid_plural.")
                pending.previous[keyword] = _string(rest, number)
                target, last_field = pending.previous, (keyword, None)
                continue
            if keyword in ("msgctxt", "msgid") and ("msgstr" in pending.fields or pending.plural):
                _finish(pending, catalog, header, seen, number)  # no blank line between messages
                pending = _Pending()
            if keyword in ("msgctxt", "msgid") and not pending.line:
                pending.line = number
            elif not pending.line:
                raise PoSyntaxError(number, f"{keyword} comes before msgid. Each message starts with msgid "
                                            "(or msgctxt).")
            if (keyword == "msgstr" and index is not None and int(index) in pending.plural) or \
                    (index is None and keyword in pending.fields):
                raise PoSyntaxError(number, f"{keyword}{'[' + index + ']' if index else ''} appears twice "
                                            "in the same message.")
            if keyword == "msgctxt" and "msgid" in pending.fields:
                raise PoSyntaxError(number, "msgctxt must come before msgid.")
            value = _string(rest, number)
            if keyword == "msgstr" and index is not None:
                pending.plural[int(index)] = value
                target, last_field = pending.plural, ("plural", int(index))
            else:
                pending.fields[keyword] = value
                target, last_field = pending.fields, (keyword, None)
            continue
        if stripped.startswith('"'):
            if last_field is None or target is None:
                raise PoSyntaxError(number, "a text line with no msgid or msgstr before it.")
            name, index = last_field
            key = index if name == "plural" else name
            target[key] += _string(stripped, number)
            continue
        word = stripped.split()[0][:30]
        raise PoSyntaxError(number, f"{word!r} is not part of a message. A line is a comment (#), a keyword "
                                    "(msgid, msgstr, ...) with a quoted text, or a quoted text continuing one.")
    _finish(pending, catalog, header, seen, len(lines))
    if header:
        _read_header(catalog, header[0][1], require_utf8)
    return catalog


_CHARSET = re.compile(r"charset\s*=\s*([^\s;]+)", re.IGNORECASE)


def _read_header(catalog: polib.POFile, entry: polib.POEntry, require_utf8: bool) -> None:
    catalog.header = entry.tcomment
    catalog.metadata_is_fuzzy = "fuzzy" in entry.flags
    for line in entry.msgstr.split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip():
            catalog.metadata[name.strip()] = value.strip()
    charset = _CHARSET.search(catalog.metadata.get("Content-Type", ""))
    if require_utf8 and charset and charset.group(1).lower().replace("-", "") not in ("utf8", "charset"):
        raise PoSyntaxError(entry.linenum, f"the header says the file's charset is {charset.group(1)}; the portal "
                                           "reads UTF-8 only. Save the file as UTF-8 (Poedit: Catalog > "
                                           "Properties > Charset) and make the header say charset=UTF-8.")


# --- Writing -------------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\r": "\\r", "\n": "\\n", "\a": "\\a", "\b": "\\b",
            "\f": "\\f", "\v": "\\v"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')


def escape(text: str) -> str:
    """A PO string's escaped form: C escapes, and octal for other control characters."""
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(0)) or f"\\{ord(m.group(0)):03o}", text)


def _field(keyword: str, value: str, prefix: str = "", width: int = WIDTH) -> list[str]:
    """One keyword and its text, wrapped as polib and xgettext do: a text with newlines is split
    after each, a long one at spaces; only ever at a newline or a space, so the words are exact."""
    pieces = value.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    if len(lines) > 1:
        chunks = [""] + [escape(line) for line in lines]
    else:
        escaped = escape(value)
        if width > 0 and len(escaped) > width - len(keyword) - 3:
            chunks = [""] + textwrap.wrap(escaped, width - 2, drop_whitespace=False, break_long_words=False,
                                          expand_tabs=False, replace_whitespace=False)
        else:
            chunks = [escaped]
    out = [f'{prefix}{keyword} "{chunks[0]}"']
    out.extend(f'{prefix}"{chunk}"' for chunk in chunks[1:])
    return out


def _comment_lines(text: str, mark: str, width: int) -> list[str]:
    lines = []
    for comment in text.split("\n"):
        if width > 0 and len(comment) + len(mark) > width:
            lines += textwrap.wrap(comment, width, initial_indent=mark, subsequent_indent=mark,
                                   break_long_words=False)
        else:
            lines.append(f"{mark}{comment}".rstrip() if not comment else f"{mark}{comment}")
    return lines


def _entry(entry: polib.POEntry, width: int) -> list[str]:
    out: list[str] = []
    prefix = "#~ " if entry.obsolete else ""
    if entry.tcomment:
        out += _comment_lines(entry.tcomment, "# ", width)
    if entry.comment and not entry.obsolete:
        out += _comment_lines(entry.comment, "#. ", width)
    if entry.occurrences and not entry.obsolete:
        refs = " ".join(f"{path}:{line}" if line else path for path, line in entry.occurrences)
        if width > 0 and len(refs) + 3 > width:
            out += textwrap.wrap(refs, width, initial_indent="#: ", subsequent_indent="#: ",
                                 break_long_words=False, break_on_hyphens=False)
        else:
            out.append("#: " + refs)
    if entry.flags:
        out.append("#, " + ", ".join(entry.flags))
    previous = "#~| " if entry.obsolete else "#| "
    for keyword, value in (("msgctxt", entry.previous_msgctxt), ("msgid", entry.previous_msgid),
                           ("msgid_plural", entry.previous_msgid_plural)):
        if value is not None:
            out += _field(keyword, value, previous, width)
    if entry.msgctxt is not None:
        out += _field("msgctxt", entry.msgctxt, prefix, width)
    out += _field("msgid", entry.msgid, prefix, width)
    if entry.msgid_plural:
        out += _field("msgid_plural", entry.msgid_plural, prefix, width)
    if entry.msgstr_plural:
        for index in sorted(entry.msgstr_plural):
            out += _field(f"msgstr[{index}]", entry.msgstr_plural[index], prefix, width)
    else:
        out += _field("msgstr", entry.msgstr, prefix, width)
    return out


def dumps(catalog: polib.POFile, width: int = WIDTH) -> str:
    """A catalog as ``.po`` text: header comment, header, live messages in order, then obsolete ones."""
    out: list[str] = []
    for line in (catalog.header.split("\n") if catalog.header else []):
        out.append("#" if not line else (f"#{line}" if line[:1] in ",:" else f"# {line}"))
    header = polib.POEntry(msgid="", msgstr="".join(f"{name}: {value}\n" for name, value in catalog.ordered_metadata()),
                           flags=["fuzzy"] if catalog.metadata_is_fuzzy else [])
    blocks = [_entry(header, width)]
    blocks += [_entry(e, width) for e in catalog if not e.obsolete]
    blocks += [_entry(e, width) for e in catalog if e.obsolete]
    return "\n".join(out + ["\n".join(block) + "\n" for block in blocks])
