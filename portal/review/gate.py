"""The publish gate: the only code that decides what families may read.

It reads the units of a locale (their text, kind and stored check results) and the standing
approvals, and writes one thing: the locale's row of ``published_catalogs`` (the compiled
catalog, the date each served text was approved, a new version, and the count of review
decisions it was built from), which nothing else writes (docs/design.md, invariant 4). Every worker on
every host checks that version and serves a new publish on its next request (invariant 8).

A decision is committed before the publish it causes, so a publish that fails leaves the
locale's catalog *behind* its approvals (``is_behind``) until a later publish succeeds.

For each message of the template (each live unit):

* reviewed (medical content, and site text families read; ``template.review_kind``):
  served when an approval matches the current text's fingerprint; otherwise the last approved
  translation of the same source; otherwise nothing, so the page shows English (invariant 1);
* staff only: served when translated, not fuzzy;

and in every case only a text with no blocking problem (``checks.blocking_problems``: stored
with the text when it was saved, and asked again of any earlier approved text served instead).

Pure domain code: no Flask.
"""
from __future__ import annotations

import json
import struct
import time
from dataclasses import asdict, dataclass, field

from babel.messages.plurals import get_plural
from sqlalchemy import false, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.review.models import Approval, PublishedCatalog, ReviewRevision
from portal.translation.checks import blocking_problems
from portal.translation.identity import MessageKey, fingerprint
from portal.translation.models import Unit


@dataclass
class PublishReport:
    locale: str
    version: int = 0
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
        del data["reviewed"]  # stored beside the catalog, not in the report
        return data


class UnitText:
    """What the gate needs of a unit: its message, what it is, and its current text.

    Built from a row, the forms are parsed only if the gate serves them, and the stored
    fingerprint (computed from the forms when they were saved) is used as it is."""

    __slots__ = ("key", "kind", "fuzzy", "blocked", "translated", "_forms", "_forms_json", "_fingerprint")

    def __init__(self, key: MessageKey, kind: str | None, forms: tuple[str, ...] | None, fuzzy: bool, blocked: bool,
                 fingerprint: str = "", forms_json: str = "", translated: bool | None = None):
        self.key, self.kind, self.fuzzy, self.blocked = key, kind, fuzzy, blocked
        self._forms, self._forms_json, self._fingerprint = forms, forms_json, fingerprint
        # Every form has text (stored with the unit; the form count is the locale's, kept by every save)
        self.translated = all(forms) if translated is None else translated

    @property
    def forms(self) -> tuple[str, ...]:
        if self._forms is None:
            self._forms = tuple(json.loads(self._forms_json))
        return self._forms

    @property
    def fingerprint(self) -> str:
        if not self._fingerprint:
            self._fingerprint = fingerprint(self.key, list(self.forms))
        return self._fingerprint


class ApprovedText:
    """What the gate needs of an approval: the pinned text (its forms parsed only if served)."""

    __slots__ = ("key", "fingerprint", "approved_at", "_forms", "_forms_json")

    def __init__(self, key: MessageKey, forms: tuple[str, ...] | None, fingerprint: str, approved_at: str = "",
                 forms_json: str = ""):
        self.key, self.fingerprint, self.approved_at = key, fingerprint, approved_at  # approved_at: ISO time, UTC
        self._forms, self._forms_json = forms, forms_json

    @property
    def forms(self) -> tuple[str, ...]:
        if self._forms is None:
            self._forms = tuple(json.loads(self._forms_json))
        return self._forms


def lookup_key(key: MessageKey) -> str:
    """The key gettext looks a singular or plural message up by (context, EOT, msgid)."""
    return f"{key[0]}\x04{key[1]}" if key[0] else key[1]


def decide(units: list[UnitText], approvals: list[ApprovedText], nplurals: int,
           locale: str = "") -> tuple[dict[MessageKey, list[str]], PublishReport]:
    """What to serve for each message. ``approvals`` are standing ones, oldest first."""
    report = PublishReport(locale=locale)
    approved_at = {a.fingerprint: a.approved_at for a in approvals}
    last_approved: dict[MessageKey, ApprovedText] = {}
    for approval in approvals:  # oldest first, so the newest wins
        last_approved[approval.key] = approval

    def complete(key: MessageKey, forms: tuple[str, ...]) -> bool:
        return len(forms) == (nplurals if key[2] else 1) and all(forms)

    served: dict[MessageKey, list[str]] = {}
    for unit in units:
        key = unit.key
        ready = unit.translated and not unit.fuzzy  # a text a translator calls done
        if ready and unit.blocked:
            report.blocked += 1
            report.blocked_messages.append(key[1][:80])
        usable = ready and not unit.blocked
        if unit.kind is None:
            if usable and complete(key, unit.forms):
                served[key] = list(unit.forms)
                report.unreviewed += 1
            else:
                report.untranslated += 1
            continue
        previous = last_approved.get(key)
        if usable and unit.fingerprint in approved_at and complete(key, unit.forms):
            served[key] = list(unit.forms)
            report.approved += 1
            report.reviewed[lookup_key(key)] = approved_at[unit.fingerprint]
        elif previous is not None and fingerprint(key, list(previous.forms)) == previous.fingerprint \
                and complete(key, previous.forms) \
                and not blocking_problems(key[1], key[2], list(previous.forms), locale):
            served[key] = list(previous.forms)
            report.previous += 1
            report.reviewed[lookup_key(key)] = previous.approved_at
        else:
            report.english += 1
    report.served = len(served)
    return served, report


def build_mo(locale: str, served: dict[MessageKey, list[str]]) -> bytes:
    """A GNU ``.mo`` holding exactly ``served``, with CLDR's plural rule for ``locale``.

    The format (gettext manual, "The Format of GNU MO Files"): a header, the table of
    originals and the table of translations (length and offset of each), no hash table,
    then the strings, each ending in NUL; originals sorted as bytes.
    """
    header = ("Project-Id-Version: relapse-portal published\nLanguage: " + locale + "\nMIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
              f"Plural-Forms: {get_plural(locale)}\n")
    pairs = {b"": header.encode("utf-8")}
    for (msgctxt, msgid, msgid_plural), forms in served.items():
        original = (f"{msgctxt}\x04" if msgctxt else "") + msgid + (f"\x00{msgid_plural}" if msgid_plural else "")
        pairs[original.encode("utf-8")] = "\x00".join(forms).encode("utf-8")
    keys = sorted(pairs)
    count = len(keys)
    originals_at, translations_at = 28, 28 + 8 * count
    offset = 28 + 16 * count
    index, strings = [], []
    for table in (keys, [pairs[k] for k in keys]):
        for text in table:
            index.append((len(text), offset))
            strings.append(text + b"\x00")
            offset += len(text) + 1
    head = struct.pack("<7I", 0x950412DE, 0, count, originals_at, translations_at, 0, offset)
    table = b"".join(struct.pack("<2I", length, at) for length, at in index)
    return head + table + b"".join(strings)


def unit_texts(session: Session, locale: str) -> list[UnitText]:
    """The live units of a locale as the gate reads them: one query, in template order."""
    rows = session.execute(select(Unit.msgctxt, Unit.msgid, Unit.msgid_plural, Unit.kind, Unit.forms_json, Unit.fuzzy,
                                  Unit.blocking_json, Unit.fingerprint, Unit.translated)
                           .where(Unit.locale == locale, Unit.obsolete == false()).order_by(Unit.position))
    return [UnitText((ctxt, msgid, plural), kind, None, fuzzy, blocking != "[]", print_, forms, translated)
            for ctxt, msgid, plural, kind, forms, fuzzy, blocking, print_, translated in rows]


def standing_approvals(session: Session, locale: str) -> list[ApprovedText]:
    rows = session.execute(select(Approval.msgctxt, Approval.msgid, Approval.msgid_plural, Approval.translation_json,
                                  Approval.fingerprint, Approval.created_at)
                           .where(Approval.locale == locale, Approval.revoked_at.is_(None))
                           .order_by(Approval.created_at, Approval.id))
    return [ApprovedText((ctxt, msgid, plural), None, print_, created.isoformat(), forms)
            for ctxt, msgid, plural, forms, print_, created in rows]


def stage_publish(session: Session, locale: str) -> PublishReport:
    """Build one locale's served catalog through the gate and store it with a new version, in the
    caller's transaction. Not an entry point: ``portal.review.operations.publish_locale`` (and
    ``publish_all``) call it, commit, and tell the purge hook; anything else would leave a catalog
    uncommitted or a CDN stale (tests/test_structure.py checks that nothing else calls it).

    One publish of a locale at a time, on any host: the locale's row is taken first (a row lock
    on PostgreSQL, the write lock on SQLite), and the units and approvals are read after it, so
    whichever publish stores last read after every earlier commit: an older read never replaces
    a newer catalog. The locale's review revision is read before the approvals: a decision
    committed after that read is counted as not yet published, even if the approvals read see it,
    so the catalog is never stamped newer than what it holds. Flushes; the caller commits.
    """
    started = time.perf_counter()
    _take_row(session, locale)
    decisions = session.scalar(select(ReviewRevision.revision).where(ReviewRevision.locale == locale)) or 0
    served, report = decide(unit_texts(session, locale), standing_approvals(session, locale),
                            get_plural(locale).num_plurals, locale)
    row = session.get(PublishedCatalog, locale, populate_existing=True)
    row.version += 1
    row.mo = build_mo(locale, served)
    row.reviewed_json = json.dumps(report.reviewed, ensure_ascii=False)
    row.review_revision = decisions
    report.version = row.version
    report.seconds = round(time.perf_counter() - started, 4)
    row.report_json = json.dumps(report.as_dict(), ensure_ascii=False)
    row.published_at = utcnow()
    session.flush()
    return report


def _take_row(session: Session, locale: str) -> None:
    """Hold the locale's row for this transaction (a no-op UPDATE), making it on the first publish.
    Two first publishes at once on PostgreSQL: the second one's INSERT waits for the first to
    commit, then fails on the key; it takes the row the first made instead (in a savepoint, so its
    transaction goes on)."""
    def take() -> int:
        return session.execute(update(PublishedCatalog).where(PublishedCatalog.locale == locale)
                               .values(version=PublishedCatalog.version)
                               .execution_options(synchronize_session=False)).rowcount

    if take():
        return
    try:
        with session.begin_nested():
            session.add(PublishedCatalog(locale=locale, version=0, mo=b"", reviewed_json="{}", review_revision=0))
    except IntegrityError:
        take()


def published_version(session: Session, locale: str) -> int | None:
    """The version of a locale's served catalog, or None if it was never published."""
    return session.scalar(select(PublishedCatalog.version).where(PublishedCatalog.locale == locale))


def _behind():
    """Locales whose served catalog was built before their latest review decision, or never built
    though a decision exists: both tables are keyed by locale, so it reads two primary keys a locale."""
    return (select(ReviewRevision.locale)
            .outerjoin(PublishedCatalog, PublishedCatalog.locale == ReviewRevision.locale)
            .where(or_(PublishedCatalog.review_revision.is_(None),
                       PublishedCatalog.review_revision < ReviewRevision.revision)))


def is_behind(session: Session, locale: str) -> bool:
    """Whether an approval or a revocation of this locale was recorded after its served catalog was
    built (its publish failed, or is still running): families do not read it yet. One small query."""
    return session.scalar(_behind().where(ReviewRevision.locale == locale)) is not None


def behind_locales(session: Session) -> set[str]:
    """Every locale whose served catalog is behind its review decisions (see ``is_behind``)."""
    return set(session.scalars(_behind()))
