"""Operations that change state: publish, approve. Views and CLI call these.

Each takes plain values (paths, a session, people) so it runs the same from a
web request, a command or a test.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polib
from sqlalchemy.orm import Session

from portal import review
from portal.catalogs import CatalogMissing, load_po, po_path, pot_path
from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import User
from portal.publish import ApprovedText, PublishReport, publish


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


def standing_approvals(session: Session, locale: str) -> list[ApprovedText]:
    return [ApprovedText(key=(a.msgctxt, a.msgid, a.msgid_plural), forms=tuple(a.forms),
                         fingerprint=a.fingerprint)
            for a in review.approvals_for(session, locale)]


def publish_locale(paths: Paths, session: Session, locale: str) -> PublishReport:
    """Rebuild one locale's served catalog through the gate."""
    by_code(locale)
    return publish(locale, paths.template, paths.po(locale), paths.published_dir,
                   standing_approvals(session, locale))


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
    review.require_reviewer(reviewer, locale)
    if not paths.po(locale).exists():
        raise CatalogMissing(paths.po(locale), locale)
    template = load_po(paths.template)
    working = load_po(paths.po(locale))
    medical = review.medical_keys(template)
    entries: list[polib.POEntry]
    if msgid is not None:
        entries = [e for e in working if e.msgid == msgid and not e.obsolete]
        if not entries:
            raise review.NothingToApprove(f"No message with msgid {msgid!r} in the {locale} catalog; "
                                          "copy the English text exactly as it appears in the .po file.")
    else:
        entries = [e for e in working if not e.obsolete and review.message_key(e) in medical]
    approved, skipped = [], []
    for entry in entries:
        if approve_all:
            if review.current_approval(session, locale, review.entry_fingerprint(entry)):
                continue
            problem = review.check_approvable(session, locale, entry, medical, reviewer)
            if problem:
                skipped.append((entry.msgid, problem))
                continue
        review.approve(session, locale, entry, medical, reviewer)
        approved.append(entry.msgid)
    session.commit()
    report = publish_locale(paths, session, locale) if approved else None
    return ApprovalOutcome(approved, skipped, report)
