"""The publish gate: the only code that decides what families may read.

It reads three things (the template, the working ``.po`` and the standing
approvals) and writes one: ``<published>/<locale>/LC_MESSAGES/messages.mo``,
in a folder of its own that nothing else writes (invariant 4).

For each message in the template:

* reviewed (medical content, and site text families read; ``review.review_kind``):
  served when an approval matches the current text's fingerprint; otherwise the
  last approved translation of the same source; otherwise nothing, so the page
  shows English (invariant 1);
* staff only: served when translated, not fuzzy;

and in every case only a text with no blocking problem (``checks.blocking_problems``).

Pure domain code: no Flask.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polib
from babel.messages.plurals import get_plural

from portal.review.rules import reviewed_keys
from portal.translation.catalogs import atomic_write, catalog_lock, load_po
from portal.translation.checks import blocking_problems
from portal.translation.identity import MessageKey, fingerprint, forms_of, is_translated, message_key


@dataclass
class PublishReport:
    locale: str
    served: int = 0
    unreviewed: int = 0  # staff-only strings, served once translated
    approved: int = 0  # reviewed strings served in the approved current text
    previous: int = 0  # ... in the last approved text (the current one waits for review)
    english: int = 0  # ... in English (no approved text yet)
    untranslated: int = 0
    blocked: int = 0
    seconds: float = 0.0
    blocked_messages: list[str] = field(default_factory=list)
    # For each served reviewed message ("ctxt\x04msgid" or "msgid"): when its served text was approved.
    reviewed: dict[str, str] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        del data["reviewed"]  # written beside the catalog, not in the report
        return data


@dataclass(frozen=True)
class ApprovedText:
    """What the gate needs of an approval: the pinned text."""

    key: MessageKey
    forms: tuple[str, ...]
    fingerprint: str
    approved_at: str = ""  # ISO time, UTC: the "translation last reviewed" date families see


def published_mo(published_dir: Path, locale: str) -> Path:
    return Path(published_dir) / locale / "LC_MESSAGES" / "messages.mo"


def reviewed_file(published_dir: Path, locale: str) -> Path:
    """When each served reviewed text was approved; written just before the catalog it describes."""
    return Path(published_dir) / locale / "reviewed.json"


def lookup_key(key: MessageKey) -> str:
    """The key gettext looks a singular or plural message up by (context, EOT, msgid)."""
    return f"{key[0]}\x04{key[1]}" if key[0] else key[1]


def decide(template: polib.POFile, working: polib.POFile | None, approvals: list[ApprovedText],
           nplurals: int, locale: str = "") -> tuple[dict[MessageKey, list[str]], PublishReport]:
    """What to serve for each message. ``approvals`` are standing ones, oldest first."""
    report = PublishReport(locale=locale)
    reviewed = reviewed_keys(template)
    working_entries = {message_key(e): e for e in (working or []) if not e.obsolete}
    approved_at = {a.fingerprint: a.approved_at for a in approvals}
    last_approved: dict[MessageKey, ApprovedText] = {}
    for approval in approvals:  # oldest first, so the newest wins
        if fingerprint(approval.key, list(approval.forms)) == approval.fingerprint:
            last_approved[approval.key] = approval

    def usable(key: MessageKey, forms: list[str]) -> bool:
        expected = nplurals if key[2] else 1
        return (len(forms) == expected and all(forms)
                and not blocking_problems(key[1], key[2], forms, locale))

    served: dict[MessageKey, list[str]] = {}
    for tentry in template:
        if tentry.obsolete or not tentry.msgid:
            continue
        key = message_key(tentry)
        entry = working_entries.get(key)
        current = None
        if entry is not None and is_translated(entry) and "fuzzy" not in entry.flags:
            current = forms_of(entry)
            if not usable(key, current):
                report.blocked += 1
                report.blocked_messages.append(key[1][:80])
                current = None
        if key not in reviewed:
            if current:
                served[key] = current
                report.unreviewed += 1
            else:
                report.untranslated += 1
            continue
        if current and fingerprint(key, current) in approved_at:
            served[key] = current
            report.approved += 1
            report.reviewed[lookup_key(key)] = approved_at[fingerprint(key, current)]
        elif key in last_approved and usable(key, list(last_approved[key].forms)):
            served[key] = list(last_approved[key].forms)
            report.previous += 1
            report.reviewed[lookup_key(key)] = last_approved[key].approved_at
        else:
            report.english += 1
    report.served = len(served)
    return served, report


def build_mo(locale: str, served: dict[MessageKey, list[str]]) -> bytes:
    """A binary catalog holding exactly ``served``, with CLDR's plural rule for ``locale``."""
    catalog = polib.POFile()
    catalog.metadata = {
        "Project-Id-Version": "relapse-portal published",
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": str(get_plural(locale)),
    }
    for (msgctxt, msgid, msgid_plural), forms in served.items():
        if msgid_plural:
            catalog.append(polib.POEntry(msgctxt=msgctxt or None, msgid=msgid, msgid_plural=msgid_plural,
                                         msgstr_plural=dict(enumerate(forms))))
        else:
            catalog.append(polib.POEntry(msgctxt=msgctxt or None, msgid=msgid, msgstr=forms[0]))
    return catalog.to_binary()


def publish(locale: str, template_file: Path, po_file: Path, published_dir: Path,
            approvals: list[ApprovedText]) -> PublishReport:
    """Build and atomically install the served catalog of one locale."""
    started = time.perf_counter()
    template = load_po(template_file)
    working = load_po(po_file) if Path(po_file).exists() else None
    served, report = decide(template, working, approvals, get_plural(locale).num_plurals, locale)
    target = published_mo(published_dir, locale)
    with catalog_lock(target):
        # The dates first, then the catalog: a reader reloads both when the catalog changes,
        # so it never pairs a new catalog with older dates.
        atomic_write(reviewed_file(published_dir, locale), json.dumps(report.reviewed).encode())
        atomic_write(target, build_mo(locale, served))
        report.seconds = round(time.perf_counter() - started, 4)
        atomic_write(target.parent.parent / "publish.json",
                     json.dumps({**report.as_dict(), "published_at": time.time()}).encode())
    return report
