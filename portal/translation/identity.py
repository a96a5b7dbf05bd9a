"""Message identity: which message a text belongs to, and which exact text it is.

* A message is its key: (context, English, English plural); ``message_id`` is a short,
  stable id for URLs.
* A text is pinned by its ``fingerprint`` (the key and every form, hashed together): an
  approval is for one fingerprint, and any edit changes it (docs/design.md, invariant 1).
* Who wrote a text is judged by its words (``words_fingerprint``: normalised, so a tool that
  rewrites spaces, line breaks or invisible characters changes no authorship; invariant 3).

Pure functions, no Flask, no database.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata

import polib

MessageKey = tuple[str, str, str]  # (msgctxt, msgid, msgid_plural)


def message_id(key: MessageKey) -> str:
    """A short, stable id for URLs."""
    return hashlib.sha1("\x04".join(key).encode("utf-8")).hexdigest()[:16]


def message_key(entry: polib.POEntry) -> MessageKey:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def forms_of(entry: polib.POEntry) -> list[str]:
    """The translation as a list: one form, or one per plural form in index order."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def fingerprint(key: MessageKey, forms: list[str]) -> str:
    """SHA-256 over the exact text: context, source, plural source and each form."""
    payload = json.dumps([key[0], key[1], key[2], list(forms)], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def entry_fingerprint(entry: polib.POEntry) -> str:
    return fingerprint(message_key(entry), forms_of(entry))


def normalized_words(text: str) -> str:
    """A text as its words: Unicode NFC; every kind of space or line break (tab, vertical tab,
    form feed, U+0085, U+2028, U+2029, no-break space) as one space; invisible and control
    characters dropped; the ends trimmed. What tools rewrite, and readers cannot see."""
    from portal.translation.checks import SCRIPT_JOINERS, is_invisible

    kept = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            kept.append(" ")
        elif not (is_invisible(ch) or ch in SCRIPT_JOINERS):
            kept.append(ch)
    return " ".join("".join(kept).split())


def words_fingerprint(forms: list[str]) -> str:
    """SHA-256 over the normalised words of every form: the same for a text and its rewrites."""
    payload = json.dumps([normalized_words(form) for form in forms], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_translated(entry: polib.POEntry) -> bool:
    """Every form has text (polib's translated() ignores plural forms left empty)."""
    return all(form for form in forms_of(entry))
