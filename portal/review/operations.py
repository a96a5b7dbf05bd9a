"""Operations of review that change state and commit: publish, approve, reject, revoke.

Views and commands call these. Each is two units of work by design, so each commits here
(``portal.db.commit``) rather than at the end of the request or command: the decision, then the
publish it causes. Each takes plain values (a session, a locale, people) so it runs the same from a
web request, a command or a test.

Approving or revoking publishes the locale at once, in a second transaction: the decision is
committed first, so a publish that fails (a full disk, a database error, a bug in building the
catalog) never loses it. The outcome then carries ``publish_error``, families keep the previous
catalog, and the locale is behind its approvals (``gate.is_behind``) until a later publish
succeeds: the next approval, the next family request (``portal.web.ensure_published``) or
`flask translate publish`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from portal import db
from portal.locales import TRANSLATED_LOCALES, by_code
from portal.notify import events as notify_events
from portal.people.models import User
from portal.review import rules
from portal.review.gate import PublishReport, stage_publish
from portal.translation import units
from portal.translation.models import Unit

log = logging.getLogger(__name__)


PUBLISHED = "published_listeners"  # session.info key: callables told of each committed publish (a locale)


def _announce(session: Session, locale: str) -> None:
    """A publish committed: tell the listeners the app gave its sessions (the CDN purge hook). A
    listener that fails is logged; the publish stands."""
    for listener in session.info.get(PUBLISHED, ()):
        try:
            listener(locale)
        except Exception:
            log.exception("a listener of the publish of %s failed", locale)


def publish_locale(session: Session, locale: str) -> PublishReport:
    """Rebuild one locale's served catalog through the gate, and commit it."""
    by_code(locale)
    report = stage_publish(session, locale)
    db.commit(session)
    _announce(session, locale)
    return report


def publish_all(session: Session) -> tuple[list[PublishReport], list[tuple[str, str]]]:
    """Publish every locale, each in its own transaction: the reports, and (locale, reason) for each
    that failed (rolled back and logged; the others are still published, families of the failed
    ones keep their previous catalog)."""
    reports, failures = [], []
    for loc in TRANSLATED_LOCALES:
        try:
            reports.append(publish_locale(session, loc.code))
        except Exception as error:
            db.rollback(session)
            log.exception("publishing %s failed", loc.code)
            failures.append((loc.code, failure_reason(error)))
    return reports, failures


def failure_reason(error: BaseException) -> str:
    """What went wrong in a publish, in a few words a reviewer can pass on (the log has the rest)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        detail = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
        return f"the database reported an error ({detail[:120]})"
    if isinstance(error, SQLAlchemyError):
        return "the database could not be used"
    if isinstance(error, OSError):
        return f"the server could not write the catalog ({error.strerror or type(error).__name__})"
    if isinstance(error, MemoryError):
        return "the server ran out of memory"
    return f"an unexpected error in building the catalog ({type(error).__name__}; the server log has the details)"


def _publish_after_decision(session: Session, locale: str) -> tuple[PublishReport | None, str | None]:
    """Publish a locale whose decision is already committed, in a transaction of its own: the
    report, or (when the publish fails: rolled back, logged) None and why."""
    try:
        report = stage_publish(session, locale)
        db.commit(session)
    except Exception as error:  # whatever failed, the decision stands and families keep the previous catalog
        db.rollback(session)
        log.exception("a review decision in %s is recorded, but publishing it failed; the locale is behind "
                      "until a publish succeeds", locale)
        return None, failure_reason(error)
    _announce(session, locale)
    return report, None


@dataclass
class ApprovalOutcome:
    """What an approval recorded, and the publish it caused: its report, or why it failed."""

    approved: list[str]
    skipped: list[tuple[str, str]]  # (msgid, reason)
    report: PublishReport | None
    publish_error: str | None = None  # the approvals are recorded; publishing them failed, for this reason


def approve_messages(session: Session, locale: str, reviewer: User, msgid: str | None = None,
                     approve_all: bool = False) -> ApprovalOutcome:
    """Approve one message (by exact English) or every approvable one, commit, then publish.

    With ``msgid`` any refusal raises; with ``approve_all`` refusals are listed and the rest
    are approved. A failed publish does not undo the approvals: see ``publish_error``.
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
    db.commit(session)
    if not approved:
        return ApprovalOutcome(approved, skipped, None)
    return ApprovalOutcome(approved, skipped, *_publish_after_decision(session, locale))


@dataclass
class ReviewOutcome:
    """What one review action recorded, and the publish it caused (None when nothing served changed,
    or when it failed: then ``publish_error`` says why, and the decision is recorded all the same)."""

    record: object  # the Approval or Rejection row
    report: PublishReport | None
    publish_error: str | None = None
    notices: list[int] = field(default_factory=list)  # outbox ids queued with it, to send after the commit


def review_message(session: Session, locale: str, mid: str, reviewer: User, seen: str, decision: str,
                   text: str = "") -> ReviewOutcome:
    """Approve (``text``: an optional note) or reject (``text``: the required reason) the text the
    reviewer saw, identified by its fingerprint ``seen``; TextChanged if it is no longer the
    current text, and nothing is recorded. The decision is committed; an approval then publishes
    the locale: families read it on their next request, on every host."""
    by_code(locale)
    if decision not in ("approve", "reject"):
        raise ValueError(decision)
    unit = units.get(session, locale, mid)
    if unit is None:
        raise rules.NothingToApprove("This message is no longer in the catalog (its English may have "
                                     "changed). Go back to the queue and open it again.")
    if decision == "approve":
        record = rules.approve(session, unit, reviewer, seen_fingerprint=seen, note=text)
    else:  # a rejected text was not served: nothing to publish
        record = rules.reject(session, unit, reviewer, text, seen_fingerprint=seen)
        authors = rules.authors_of_text(session, unit)
        # Queued with the rejection (committed together); sent by the caller after the commit.
        notices = [row.id for row in notify_events.rejected(session, unit, record, reviewer, authors)]
    db.commit(session)
    if decision != "approve":
        return ReviewOutcome(record, None, notices=notices)
    return ReviewOutcome(record, *_publish_after_decision(session, locale))


def revoke_approval(session: Session, locale: str, approval_id: int, reviewer: User, reason: str) -> ReviewOutcome:
    """Revoke a standing approval with a reason, commit, and publish at once: families get the
    previous approved text of that message, or English (until the publish succeeds, the revoked text)."""
    by_code(locale)
    approval = rules.revoke(session, locale, approval_id, reviewer, reason)
    db.commit(session)
    return ReviewOutcome(approval, *_publish_after_decision(session, locale))


@dataclass
class SelectedOutcome:
    """What "Approve selected" recorded: the messages approved, those refused (message id, why,
    and the refusal itself: a ``rules.TextChanged`` carries the text now), and the one publish."""

    approved: list[str]
    refused: list[tuple[str, str, rules.ReviewError | None]]
    report: PublishReport | None = None
    publish_error: str | None = None


def approve_selected(session: Session, locale: str, reviewer: User, chosen: list[tuple[str, str]]) -> SelectedOutcome:
    """Approve each chosen (message id, fingerprint of the text the reviewer read) that still has
    exactly that text, in one transaction; then publish once. Each message is judged alone, in a
    savepoint: one that changed since the page was shown (TextChanged), that the reviewer wrote
    (four eyes), with a blocking problem, or unknown, is refused and listed with why, and the
    others are approved all the same."""
    by_code(locale)
    rules.require_reviewer(reviewer, locale)
    mids = [mid for mid, _ in chosen]
    found = {u.mid: u for u in session.scalars(units.live(locale).where(Unit.mid.in_(set(mids))))} if mids else {}
    authorship = rules.Authorship.load_words(session, locale, {u.words for u in found.values()})
    approved, refused = [], []
    for mid, seen in chosen:
        unit = found.get(mid)
        if unit is None:
            refused.append((mid, "This message is no longer in the catalog (its English may have changed).", None))
            continue
        if not seen:
            refused.append((mid, "The page did not say which text you read. Nothing was recorded for it: "
                                 "reload the page and try again.", None))
            continue
        try:
            with session.begin_nested():
                rules.approve(session, unit, reviewer, seen_fingerprint=seen, authorship=authorship)
        except rules.ReviewError as error:
            refused.append((mid, str(error), error))
            continue
        approved.append(mid)
    db.commit(session)
    if not approved:
        return SelectedOutcome(approved, refused)
    return SelectedOutcome(approved, refused, *_publish_after_decision(session, locale))
