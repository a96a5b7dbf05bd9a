"""Review rules: who may approve what, bound to the exact text read (docs/design.md, invariants 1 and 3).

* Which messages are reviewed (medical content, and site text families read) is decided by
  the template (``portal.translation.template.review_kind``) and stored with each unit.
* An approval pins one fingerprint: context, source, plural source and every translation
  form, hashed together. Any edit changes it.
* Nobody approves words they wrote (``Authorship``): judged from the edit history by the
  normalised words, for the same message across changes of its English, so neither a tool
  that rewrites the text nor a change of the English loses who wrote it.
* What blocks approval is ``checks.blocking_problems``, the same verdict as everywhere.

Pure domain code: callers pass a SQLAlchemy session, units and people, and commit.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.people.models import User
from portal.review.models import Approval, Rejection, ReviewRevision
from portal.translation.checks import blocking_problems
from portal.translation.identity import MessageKey, words_fingerprint
from portal.translation.models import Edit, SourceChange, Unit
from portal.translation.units import refresh_states


class ReviewError(Exception):
    """An approval the rules refuse; the message says why and what to do."""


class NotAReviewer(ReviewError):
    pass


class OwnText(ReviewError):
    pass


class NothingToApprove(ReviewError):
    pass


class TextChanged(ReviewError):
    """The translation is no longer the text the reviewer read; nothing was recorded."""

    def __init__(self, current_forms: list[str], current_fingerprint: str):
        super().__init__("The translation changed after you opened it. Nothing was recorded: read the "
                         "new text, then approve or reject it.")
        self.current_forms, self.current_fingerprint = current_forms, current_fingerprint


REASON_LIMIT = 2000


def _reason(text: str | None, what: str) -> str:
    """A required reason, trimmed; refused when empty or too long."""
    reason = (text or "").strip()
    if not reason:
        raise ReviewError(f"Give a reason for the {what}: the translator reads it to fix the text.")
    if len(reason) > REASON_LIMIT:
        raise ReviewError(f"Keep the reason under {REASON_LIMIT} characters (it has {len(reason)}).")
    return reason


class Authorship:
    """Who wrote which words, for the messages of one locale (invariant 3).

    The author of a text is everyone who ever saved the same words (``words_fingerprint``)
    for the same message: the same context and English, or an English it replaced when a
    source change carried the translation over (a ``SourceChange``: `flask translate update`
    records each; the move to the database recorded the ones the history knew). Saving through the web, an
    upload, a revert or confirming a fuzzy entry all count; text edited outside the portal
    has the author None (unknown).

    ``load`` reads what it needs once: every edit of the locale for pages that list many
    messages, or only those with the given words for one message.
    """

    def __init__(self, edits: list[Edit], before: dict[tuple[str, str], set[str]]):
        self.all_edits = edits  # oldest first
        self._by_words: dict[str, list[Edit]] = {}
        for edit in edits:
            self._by_words.setdefault(edit.words, []).append(edit)
        self._before = before

    @classmethod
    def load(cls, session: Session, locale: str, words: str | None = None) -> "Authorship":
        """Every edit of a locale (pages that judge many messages), or those with these words."""
        return cls.load_words(session, locale, None if words is None else {words})

    @classmethod
    def load_words(cls, session: Session, locale: str, words: set[str] | None) -> "Authorship":
        edits = select(Edit).where(Edit.locale == locale).options(selectinload(Edit.author))
        if words is not None:
            edits = edits.where(Edit.words.in_(words))
        # Every carry-over of a translation to a changed English is a SourceChange (recorded by the
        # template's merge; the move to the database recorded the older ones): a small table.
        before: dict[tuple[str, str], set[str]] = {}
        changes = session.execute(select(SourceChange.msgctxt, SourceChange.msgid, SourceChange.msgid_before)
                                  .where(SourceChange.locale == locale))
        for msgctxt, msgid, msgid_before in changes:
            before.setdefault((msgctxt, msgid), set()).add(msgid_before)
        return cls(list(session.scalars(edits.order_by(Edit.id))), before)

    def lineage(self, key: MessageKey, previous_msgid: str = "") -> set[tuple[str, str]]:
        """(context, English) of this message, and of every English it replaced."""
        found = {(key[0], key[1])} | ({(key[0], previous_msgid)} if previous_msgid else set())
        todo = list(found)
        while todo:
            msgctxt, msgid = todo.pop()
            for earlier in self._before.get((msgctxt, msgid), ()):
                if (msgctxt, earlier) not in found:
                    found.add((msgctxt, earlier))
                    todo.append((msgctxt, earlier))
        return found

    def edits(self, key: MessageKey, forms: list[str], previous_msgid: str = "") -> list[Edit]:
        """Every save of these words for this message (or an English it replaced), oldest first."""
        lineage = self.lineage(key, previous_msgid)
        return [e for e in self._by_words.get(words_fingerprint(forms), []) if (e.msgctxt, e.msgid) in lineage]

    def authors(self, key: MessageKey, forms: list[str], previous_msgid: str = "") -> set[int | None]:
        return {edit.author_id for edit in self.edits(key, forms, previous_msgid)}


def authors_of(session: Session, locale: str, key: MessageKey, forms: list[str],
               previous_msgid: str = "") -> set[int | None]:
    """Everyone who wrote these words for this message (None: saved outside the portal)."""
    return Authorship.load(session, locale, words_fingerprint(forms)).authors(key, forms, previous_msgid)


def unit_authors(session: Session, unit: Unit) -> set[int | None]:
    """The authors of a unit's current text (its ``previous_msgid`` counts as an earlier English)."""
    return authors_of(session, unit.locale, unit.key, unit.forms, unit.previous_msgid or "")


def current_approval(session: Session, locale: str, print_: str) -> Approval | None:
    return session.scalars(
        select(Approval).where(Approval.locale == locale, Approval.fingerprint == print_,
                               Approval.revoked_at.is_(None)).order_by(Approval.id.desc())
    ).first()


def approvals_for(session: Session, locale: str) -> list[Approval]:
    """Standing (not revoked) approvals of a locale, oldest first."""
    return list(session.scalars(
        select(Approval).where(Approval.locale == locale, Approval.revoked_at.is_(None))
        .order_by(Approval.created_at, Approval.id)
    ))


def require_reviewer(person: User, locale: str) -> None:
    """Raise NotAReviewer unless ``person`` may review ``locale`` now."""
    if not person.has_role("reviewer", locale):
        raise NotAReviewer(f"{person.username} has no reviewer role for {locale}; an admin can "
                           f"grant it with `flask users set-role {person.username} reviewer {locale}`.")


def check_approvable(session: Session, unit: Unit, reviewer: User, authors: set[int | None] | None = None
                     ) -> str | None:
    """The reason this reviewer may not approve this unit's text now, or None if they may.
    ``authors``: the text's authors when the caller has them (``unit_authors``)."""
    if unit.kind is None:
        return "it is shown only to staff, so it needs no approval"
    if not unit.translated:
        return "it has no translation yet"
    if unit.fuzzy:
        return "it is marked fuzzy (needs edit); the translator must confirm it first"
    problems = blocking_problems(unit.msgid, unit.msgid_plural, unit.forms, unit.locale)
    if problems:
        return "it fails a blocking check: " + "; ".join(problems)
    if reviewer.id in (unit_authors(session, unit) if authors is None else authors):
        return "you wrote this text; another reviewer must approve it (four eyes)"
    return None


def _locked(session: Session, unit: Unit, seen_fingerprint: str | None) -> Unit:
    """The unit, held for this transaction (a no-op UPDATE: a row lock on PostgreSQL, the write
    lock on SQLite) and read again, so no save can slip in between the check of the text read
    and the record of the decision. TextChanged if it is no longer the text the reviewer read."""
    session.execute(update(Unit).where(Unit.id == unit.id).values(state=Unit.state)
                    .execution_options(synchronize_session=False))
    unit = session.scalars(select(Unit).where(Unit.id == unit.id).execution_options(populate_existing=True)).one()
    if seen_fingerprint is not None and seen_fingerprint != unit.fingerprint:
        raise TextChanged(unit.forms, unit.fingerprint)
    return unit


def approve(session: Session, unit: Unit, reviewer: User, seen_fingerprint: str | None = None,
            note: str = "", authorship: Authorship | None = None) -> Approval:
    """Approve exactly this unit's current text for its locale.

    ``seen_fingerprint`` is the text the reviewer read; if the unit changed since, the
    approval is refused (TextChanged) rather than applied to text nobody read. ``authorship``:
    the locale's edits when the caller approves many texts at once (loaded once, in the same
    transaction). Flushes; the caller commits (and publishes).
    """
    require_reviewer(reviewer, unit.locale)
    note = (note or "").strip()
    if len(note) > REASON_LIMIT:
        raise ReviewError(f"Keep the note under {REASON_LIMIT} characters (it has {len(note)}).")
    unit = _locked(session, unit, seen_fingerprint)
    if authorship is None:
        authorship = Authorship.load(session, unit.locale, unit.words)
    written_by = authorship.authors(unit.key, unit.forms, unit.previous_msgid or "")
    problem = check_approvable(session, unit, reviewer, written_by)
    if problem:
        cls = OwnText if "you wrote" in problem else NothingToApprove
        raise cls(f"Cannot approve {unit.msgid[:60]!r}: {problem}.")
    existing = current_approval(session, unit.locale, unit.fingerprint)
    if existing is not None:
        return existing
    authors = written_by - {None}
    approval = Approval(
        locale=unit.locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt, msgid=unit.msgid,
        msgid_plural=unit.msgid_plural, translation_json=unit.forms_json, reviewer_id=reviewer.id,
        author_id=min(authors) if len(authors) == 1 else None, author_known=bool(authors),
        created_at=utcnow(), note=note,
    )
    session.add(approval)
    session.flush()
    refresh_states(session, unit.locale, {unit.fingerprint})
    count_decision(session, unit.locale)
    return approval


def authors_of_text(session: Session, unit: Unit) -> set[int]:
    """The people who wrote the unit's current text (by its words, through saves and changes of
    the English): whom a rejection of it or a comment on it is told to."""
    return set(Authorship.load_words(session, unit.locale, {unit.words}).authors(
        unit.key, unit.forms, unit.previous_msgid or unit.source_before or ""))


def reject(session: Session, unit: Unit, reviewer: User, reason: str, seen_fingerprint: str | None = None) -> Rejection:
    """Send this exact text back to its translator with a reason they will read."""
    require_reviewer(reviewer, unit.locale)
    reason = _reason(reason, "rejection")
    unit = _locked(session, unit, seen_fingerprint)
    if unit.kind is None:
        raise NothingToApprove("This message is shown only to staff; it is not reviewed.")
    if not unit.translated:
        raise NothingToApprove("This message has no translation to reject yet.")
    if current_approval(session, unit.locale, unit.fingerprint) is not None:
        raise ReviewError("This text is approved. To take it back from families, revoke the approval "
                          "(with a reason) instead.")
    rejection = Rejection(locale=unit.locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                          msgid=unit.msgid, msgid_plural=unit.msgid_plural, translation_json=unit.forms_json,
                          reviewer_id=reviewer.id, reason=reason, created_at=utcnow())
    session.add(rejection)
    session.flush()
    refresh_states(session, unit.locale, {unit.fingerprint})
    return rejection


def revoke(session: Session, locale: str, approval_id: int, reviewer: User, reason: str) -> Approval:
    """Withdraw a standing approval: the gate stops serving that text at the next publish."""
    require_reviewer(reviewer, locale)
    approval = session.get(Approval, approval_id)
    if approval is None or approval.locale != locale:
        raise ReviewError(f"There is no approval {approval_id} for {locale}.")
    if approval.revoked_at is not None:
        raise ReviewError(f"That approval was already revoked on {approval.revoked_at:%Y-%m-%d %H:%M} UTC.")
    approval.revoke_reason = _reason(reason, "revocation")
    approval.revoked_at = utcnow()
    approval.revoked_by_id = reviewer.id
    session.flush()
    refresh_states(session, locale, {approval.fingerprint})
    count_decision(session, locale)
    return approval


def count_decision(session: Session, locale: str) -> None:
    """Advance the locale's review revision, in the transaction that records an approval or a
    revocation: a catalog the gate built from an earlier count is then behind until it publishes
    again (``gate.is_behind``). The first decision of a locale makes its row; two first ones at
    once on PostgreSQL: the second INSERT waits for the first to commit, fails on the key, and
    advances the row the first made instead (in a savepoint, so its transaction goes on)."""
    def advance() -> int:
        return session.execute(update(ReviewRevision).where(ReviewRevision.locale == locale)
                               .values(revision=ReviewRevision.revision + 1)
                               .execution_options(synchronize_session=False)).rowcount

    if advance():
        return
    try:
        with session.begin_nested():
            session.add(ReviewRevision(locale=locale, revision=1))
    except IntegrityError:
        advance()
