"""Operations of review that change state and commit: publish, approve, reject, revoke.

Views and commands call these; each is one transaction, committed here. Each takes plain
values (a session, a locale, people) so it runs the same from a web request, a command or a
test. Approving or revoking publishes the locale at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.people.models import User
from portal.review import rules
from portal.review.gate import PublishReport, publish
from portal.translation import units
from portal.translation.models import Unit


def publish_locale(session: Session, locale: str) -> PublishReport:
    """Rebuild one locale's served catalog through the gate, and commit it."""
    by_code(locale)
    report = publish(session, locale)
    session.commit()
    return report


def publish_all(session: Session) -> list[PublishReport]:
    return [publish_locale(session, loc.code) for loc in TRANSLATED_LOCALES]


@dataclass
class ApprovalOutcome:
    approved: list[str]
    skipped: list[tuple[str, str]]  # (msgid, reason)
    report: PublishReport | None


def approve_messages(session: Session, locale: str, reviewer: User, msgid: str | None = None,
                     approve_all: bool = False) -> ApprovalOutcome:
    """Approve one message (by exact English) or every approvable one, then publish.

    With ``msgid`` any refusal raises; with ``approve_all`` refusals are listed and the rest
    are approved.
    """
    by_code(locale)
    rules.require_reviewer(reviewer, locale)
    if msgid is not None:
        chosen = units.find(session, locale, msgid)
        if not chosen:
            raise rules.NothingToApprove(f"No message with msgid {msgid!r} in the {locale} catalog; "
                                         "copy the English text exactly as it appears in the .po file.")
    else:
        chosen = list(session.scalars(units.live(locale).where(Unit.kind.is_not(None))))
    approved, skipped = [], []
    # Approving adds no edit, so the locale's edits, loaded once, stay valid for the whole loop.
    authorship = rules.Authorship.load(session, locale) if approve_all else None
    for unit in chosen:
        if approve_all:
            if rules.current_approval(session, locale, unit.fingerprint):
                continue
            authors = authorship.authors(unit.key, unit.forms, unit.previous_msgid or "")
            problem = rules.check_approvable(session, unit, reviewer, authors)
            if problem:
                skipped.append((unit.msgid, problem))
                continue
        rules.approve(session, unit, reviewer, authorship=authorship)
        approved.append(unit.msgid)
    report = publish(session, locale) if approved else None
    session.commit()
    return ApprovalOutcome(approved, skipped, report)


@dataclass
class ReviewOutcome:
    """What one review action recorded, and the publish it caused (None when nothing served changed)."""

    record: object  # the Approval or Rejection row
    report: PublishReport | None


def review_message(session: Session, locale: str, mid: str, reviewer: User, seen: str, decision: str,
                   text: str = "") -> ReviewOutcome:
    """Approve (``text``: an optional note) or reject (``text``: the required reason) the text the
    reviewer saw, identified by its fingerprint ``seen``; TextChanged if it is no longer the
    current text, and nothing is recorded. An approval publishes the locale in the same
    transaction: families read it on their next request, on every host."""
    by_code(locale)
    if decision not in ("approve", "reject"):
        raise ValueError(decision)
    unit = units.get(session, locale, mid)
    if unit is None:
        raise rules.NothingToApprove("This message is no longer in the catalog (its English may have "
                                     "changed). Go back to the queue and open it again.")
    if decision == "approve":
        record = rules.approve(session, unit, reviewer, seen_fingerprint=seen, note=text)
        report = publish(session, locale)
    else:
        record = rules.reject(session, unit, reviewer, text, seen_fingerprint=seen)
        report = None
    session.commit()
    return ReviewOutcome(record, report)


def revoke_approval(session: Session, locale: str, approval_id: int, reviewer: User, reason: str) -> ReviewOutcome:
    """Revoke a standing approval with a reason, and publish at once: families get the previous
    approved text of that message, or English."""
    by_code(locale)
    approval = rules.revoke(session, locale, approval_id, reviewer, reason)
    report = publish(session, locale)
    session.commit()
    return ReviewOutcome(approval, report)
