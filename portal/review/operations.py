"""Operations that change state: publish, approve. Views and CLI call these.

Each takes plain values (paths, a session, people) so it runs the same from a
web request, a command or a test.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polib
from sqlalchemy.orm import Session

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import SourceChange, User
from portal.review import rules
from portal.review.gate import ApprovedText, PublishReport, publish
from portal.translation import catalogs
from portal.translation.catalogs import CatalogMissing, catalog_lock, load_po, po_path, pot_path
from portal.translation.identity import MessageKey, entry_fingerprint, message_key


@dataclass(frozen=True)
class Paths:
    """Where the portal's files live; built from the app config."""

    root: Path
    content_dir: Path
    translations_dir: Path
    published_dir: Path
    mapping_file: Path

    @classmethod
    def from_config(cls, config) -> "Paths":
        return cls(root=Path(config["PROJECT_ROOT"]), content_dir=Path(config["CONTENT_DIR"]),
                   translations_dir=Path(config["TRANSLATIONS_DIR"]),
                   published_dir=Path(config["PUBLISHED_DIR"]), mapping_file=Path(config["BABEL_CFG"]))

    @property
    def template(self) -> Path:
        return pot_path(self.translations_dir)

    def po(self, locale: str) -> Path:
        return po_path(self.translations_dir, locale)


def update_locales(paths: Paths, session: Session, locales: list[str]) -> list[catalogs.Merged]:
    """`flask translate update`: merge the template into these locales' catalogs, all or none.

    Each source change that carried a translation over is recorded first (``SourceChange``), so
    the words stay the same message's for four eyes whoever confirms them; then every catalog is
    written, each whole, after all of them were merged without error.
    """
    for code in locales:
        by_code(code)
    results = catalogs.merge_catalogs(paths.template, paths.translations_dir, locales)
    for result in results:
        for msgctxt, before, now in result.source_changes:
            session.add(SourceChange(locale=result.locale, msgctxt=msgctxt, msgid_before=before, msgid=now))
    session.commit()
    catalogs.write_merged(results)
    return results


def standing_approvals(session: Session, locale: str) -> list[ApprovedText]:
    return [ApprovedText(key=(a.msgctxt, a.msgid, a.msgid_plural), forms=tuple(a.forms),
                         fingerprint=a.fingerprint, approved_at=a.created_at.isoformat())
            for a in rules.approvals_for(session, locale)]


def publish_locale(paths: Paths, session: Session, locale: str) -> PublishReport:
    """Rebuild one locale's served catalog through the gate.

    One publish of a locale at a time, reading the approvals inside the lock: two approvals
    committed together each publish, and whichever publish writes last read after both
    commits, so an older read never replaces a newer catalog.
    """
    by_code(locale)
    with catalog_lock(Path(paths.published_dir) / locale / "publish"):
        with Session(session.get_bind()) as fresh:  # a new transaction: the approvals as committed now
            approvals = standing_approvals(fresh, locale)
        return publish(locale, paths.template, paths.po(locale), paths.published_dir, approvals)


def publish_all(paths: Paths, session: Session) -> list[PublishReport]:
    return [publish_locale(paths, session, loc.code) for loc in TRANSLATED_LOCALES]


@dataclass
class ApprovalOutcome:
    approved: list[str]
    skipped: list[tuple[str, str]]  # (msgid, reason)
    report: PublishReport | None


def approve_messages(paths: Paths, session: Session, locale: str, reviewer: User,
                     msgid: str | None = None, approve_all: bool = False) -> ApprovalOutcome:
    """Approve one message (by exact msgid) or every approvable one, then publish.

    With ``msgid`` any refusal raises; with ``approve_all`` refusals are listed
    and the rest are approved.
    """
    by_code(locale)
    rules.require_reviewer(reviewer, locale)
    if not paths.po(locale).exists():
        raise CatalogMissing(paths.po(locale), locale)
    template = load_po(paths.template)
    working = load_po(paths.po(locale))
    reviewed = rules.reviewed_keys(template)
    entries: list[polib.POEntry]
    if msgid is not None:
        entries = [e for e in working if e.msgid == msgid and not e.obsolete]
        if not entries:
            raise rules.NothingToApprove(f"No message with msgid {msgid!r} in the {locale} catalog; "
                                          "copy the English text exactly as it appears in the .po file.")
    else:
        entries = [e for e in working if not e.obsolete and message_key(e) in reviewed]
    approved, skipped = [], []
    for entry in entries:
        if approve_all:
            if rules.current_approval(session, locale, entry_fingerprint(entry)):
                continue
            problem = rules.check_approvable(session, locale, entry, reviewed, reviewer)
            if problem:
                skipped.append((entry.msgid, problem))
                continue
        rules.approve(session, locale, entry, reviewed, reviewer)
        approved.append(entry.msgid)
    session.commit()
    report = publish_locale(paths, session, locale) if approved else None
    return ApprovalOutcome(approved, skipped, report)


@dataclass
class ReviewOutcome:
    """What one review action recorded, and the publish it caused (None when nothing served changed)."""

    record: object  # the Approval or Rejection row
    report: PublishReport | None


def _current_entry(catalog: polib.POFile, key: MessageKey) -> polib.POEntry:
    entry = rules.find_entry(catalog, key)
    if entry is not None:
        return entry
    raise rules.NothingToApprove("This message is no longer in the catalog (its English may have "
                                  "changed). Go back to the queue and open it again.")


def review_message(paths: Paths, session: Session, locale: str, key: MessageKey, reviewer: User,
                   seen: str, decision: str, text: str = "") -> ReviewOutcome:
    """Approve (``text``: an optional note) or reject (``text``: the required reason) the text the
    reviewer saw, identified by its fingerprint ``seen``.

    Under the catalog's lock, so no save slips in between reading the text and recording the
    decision: if the text is no longer ``seen``, TextChanged is raised and nothing is recorded.
    An approval publishes the locale at once.
    """
    by_code(locale)
    if decision not in ("approve", "reject"):
        raise ValueError(decision)
    with catalog_lock(paths.po(locale)):
        entry = _current_entry(load_po(paths.po(locale)), key)
        reviewed = rules.reviewed_keys_of(paths.template)
        if decision == "approve":
            record = rules.approve(session, locale, entry, reviewed, reviewer, seen_fingerprint=seen, note=text)
        else:
            record = rules.reject(session, locale, entry, reviewed, reviewer, text, seen_fingerprint=seen)
        session.commit()
    report = publish_locale(paths, session, locale) if decision == "approve" else None
    return ReviewOutcome(record, report)


def revoke_approval(paths: Paths, session: Session, locale: str, approval_id: int, reviewer: User,
                    reason: str) -> ReviewOutcome:
    """Revoke a standing approval with a reason, and publish at once: families get the previous
    approved text of that message, or English."""
    by_code(locale)
    approval = rules.revoke(session, locale, approval_id, reviewer, reason)
    session.commit()
    return ReviewOutcome(approval, publish_locale(paths, session, locale))
