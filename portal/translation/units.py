"""Translation units in the database: reading them a page at a time, and changing them safely.

Every change of a unit's text, "needs edit" mark or comment goes through ``apply_changes``
(docs/design.md, invariant 5):

* it first takes the locale's revision row (``catalog_revisions``), so one locale's changes
  are ordered, on one host or many, with no file lock;
* each change carries the unit revision it was based on: if the unit changed since, in
  anything (text, fuzzy mark, comment), and not to exactly what this change wants, it is a
  Conflict and nothing is written. The UPDATE itself is a compare-and-swap on the revision
  (SQLAlchemy's version counter), so no stale write can overwrite a newer one;
* the unit, its history row (who, when, from where, what it replaced) and the stored check
  results and review state change in one transaction, committed by the caller.

Reading is SQL over indexed columns with pagination (``page``, ``progress``): no page parses a
catalog or runs the checks over many messages.

Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, false, func, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal.db import utcnow
from portal.notify import events as notify_events
from portal.people.models import User
from portal.review.models import Approval, Rejection
from portal.translation.checks import Terms, run_checks
from portal.translation.identity import MessageKey, fingerprint, message_id, words_fingerprint
from portal.translation.models import STATES, WAITING, CatalogRevision, Edit, Unit


class WorkspaceError(Exception):
    """Something a translator can fix; the message says how."""


class UnknownMessage(WorkspaceError):
    pass


GONE = ("This message is no longer in the catalog (its English source may have changed). "
        "Find it again from the list.")


class BlockedByChecks(WorkspaceError):
    def __init__(self, problems: list[str]):
        super().__init__("The translation was not saved: " + "; ".join(problems) + ".")
        self.problems = problems


class Conflict(WorkspaceError):
    """Someone changed this message after the editor loaded it, to something else."""

    def __init__(self, unit: Unit, mine: list[str], author: str | None):
        super().__init__("Someone else changed this message after you opened it. Nothing was saved; "
                         "choose which version to keep.")
        self.theirs, self.mine, self.author = unit.forms, mine, author
        self.theirs_fuzzy, self.theirs_revision = unit.fuzzy, unit.revision
        self.theirs_fingerprint = unit.fingerprint


# --- Reading -----------------------------------------------------------------------------------

def get(session: Session, locale: str, mid: str) -> Unit | None:
    """A live unit by its message id."""
    return session.scalars(select(Unit).where(Unit.locale == locale, Unit.mid == mid,
                                              Unit.obsolete == false())).first()


def by_key(session: Session, locale: str, key: MessageKey) -> Unit | None:
    return get(session, locale, message_id(key))


def find(session: Session, locale: str, msgid: str) -> list[Unit]:
    """Live units whose English is exactly ``msgid`` (any context or plural)."""
    return list(session.scalars(select(Unit).where(Unit.locale == locale, Unit.msgid == msgid,
                                                   Unit.obsolete == false()).order_by(Unit.position)))


def live(locale: str):
    """The live units of a locale, in template order (a query to refine)."""
    return select(Unit).where(Unit.locale == locale, Unit.obsolete == false()).order_by(Unit.position)


def _filtered(query, state: str | None, warnings_only: bool, needle: str, kinds: tuple | None = None):
    if state:
        query = query.where(Unit.state == state)
    if warnings_only:
        query = query.where(Unit.has_warnings == true())
    if needle.strip():
        query = query.where(Unit.search_text.contains(needle.strip().casefold(), autoescape=True))
    if kinds is not None:
        query = query.where(Unit.kind.in_(kinds))
    return query


def page(session: Session, locale: str, *, state: str | None = None, warnings_only: bool = False,
         query: str = "", offset: int = 0, limit: int = 50) -> tuple[list[Unit], int]:
    """One page of a locale's live units, filtered by state, "has warnings" and a case-insensitive
    search of English and translation; and how many match in all.

    Without a search, a count and a page, each from an index. With one, the matching ids are read
    once, in order (the text is scanned once, not twice for a count and a page); either way only
    the page's units are loaded."""
    matching = _filtered(select(Unit.id).where(Unit.locale == locale, Unit.obsolete == false()),
                         state, warnings_only, query).order_by(Unit.position, Unit.id)
    if query.strip():
        ids = session.scalars(matching).all()
        chosen, total = ids[offset:offset + limit], len(ids)
    else:
        total = session.scalar(select(func.count()).select_from(matching.order_by(None).subquery()))
        chosen = session.scalars(matching.offset(offset).limit(limit)).all()
    found = {unit.id: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(chosen)))} if chosen else {}
    return [found[i] for i in chosen], total


def neighbours(session: Session, locale: str, unit: Unit, *, state: str | None = None, warnings_only: bool = False,
               query: str = "") -> tuple[str | None, str | None]:
    """The ids of the previous and next units in the same filtered list (template order)."""
    base = _filtered(select(Unit.mid).where(Unit.locale == locale, Unit.obsolete == false()), state, warnings_only,
                     query)
    before = session.scalar(base.where((Unit.position < unit.position) |
                                       and_(Unit.position == unit.position, Unit.id < unit.id))
                            .order_by(Unit.position.desc(), Unit.id.desc()).limit(1))
    after = session.scalar(base.where((Unit.position > unit.position) |
                                      and_(Unit.position == unit.position, Unit.id > unit.id))
                           .order_by(Unit.position, Unit.id).limit(1))
    return before, after


def index_in(session: Session, locale: str, unit: Unit, *, state: str | None = None, warnings_only: bool = False,
             query: str = "") -> tuple[int, bool]:
    """How many units of the filtered list come before ``unit`` (template order), and whether
    ``unit`` is itself in the list: where it, and its neighbours, stand among the list's pages."""
    base = _filtered(select(func.count()).select_from(Unit).where(Unit.locale == locale, Unit.obsolete == false()),
                     state, warnings_only, query)
    before = session.scalar(base.where((Unit.position < unit.position) |
                                       and_(Unit.position == unit.position, Unit.id < unit.id)))
    listed = bool(session.scalar(base.where(Unit.id == unit.id)))
    return before or 0, listed


@dataclass
class Progress:
    strings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    words: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    warnings: int = 0
    total_strings: int = 0
    total_words: int = 0


def progress(session: Session, locale: str) -> Progress:
    """Strings and words per state, and how many have warnings: one GROUP BY."""
    result = Progress()
    rows = session.execute(select(Unit.state, func.count(), func.coalesce(func.sum(Unit.word_count), 0),
                                  func.coalesce(func.sum(func.cast(Unit.has_warnings, type_=Unit.word_count.type)), 0))
                           .where(Unit.locale == locale, Unit.obsolete == false()).group_by(Unit.state))
    for state, count, words, warned in rows:
        result.strings[state] = count
        result.words[state] = words
        result.total_strings += count
        result.total_words += words
        result.warnings += warned
    return result


def current_revision(session: Session, locale: str) -> int:
    row = session.get(CatalogRevision, locale)
    return row.revision if row else 0


def history(session: Session, locale: str, key: MessageKey) -> list[Edit]:
    """Every saved version of a message, newest first."""
    return list(session.scalars(select(Edit).where(Edit.locale == locale, Edit.mid == message_id(key))
                                .order_by(Edit.id.desc())))


def latest_edit(session: Session, locale: str, print_: str) -> Edit | None:
    """The newest recorded save of this exact text."""
    return session.scalars(select(Edit).where(Edit.locale == locale, Edit.fingerprint == print_)
                           .order_by(Edit.id.desc())).first()


# --- What is stored with a text ------------------------------------------------------------------

def review_state(session: Session, unit: Unit) -> str:
    """The unit's state: untranslated, fuzzy, translated (staff only), or for a reviewed string
    approved (a standing approval of this exact text), rejected or revoked (the latest objection
    to this exact text, when it is not approved since: a rejection, or the revocation of its
    approval) or awaiting."""
    if not unit.translated:
        return "untranslated"
    if unit.fuzzy:
        return "fuzzy"
    if unit.kind is None:
        return "translated"
    same = (Approval.locale == unit.locale, Approval.fingerprint == unit.fingerprint)
    if session.scalar(select(exists().where(*same, Approval.revoked_at.is_(None)))):
        return "approved"
    rejected_at = session.scalar(select(func.max(Rejection.created_at))
                                 .where(Rejection.locale == unit.locale, Rejection.fingerprint == unit.fingerprint))
    revoked_at = session.scalar(select(func.max(Approval.revoked_at)).where(*same, Approval.revoked_at.is_not(None)))
    if revoked_at is not None and (rejected_at is None or revoked_at > rejected_at):
        return "revoked"
    return "rejected" if rejected_at is not None else "awaiting"


def set_text(unit: Unit, forms: list[str], locale: str, terms: Terms = Terms()) -> list[str]:
    """Put a text into a unit with everything stored beside it (fingerprint, words, checks,
    search text); returns its blocking problems (the caller decides what they mean)."""
    unit.forms_json = json.dumps(list(forms), ensure_ascii=False)
    unit.fingerprint = fingerprint(unit.key, forms)
    unit.words = words_fingerprint(forms)
    unit.translated = bool(forms) and all(forms)
    result = run_checks(unit.msgid, unit.msgid_plural, forms, locale, terms)
    unit.warnings_json = json.dumps(result.warnings, ensure_ascii=False)
    unit.blocking_json = json.dumps(result.blocking, ensure_ascii=False)
    unit.has_warnings = bool(result.warnings)
    unit.search_text = " ".join([unit.msgid, unit.msgid_plural, *forms]).casefold()
    return result.blocking


def queue_kind(session: Session, unit: Unit) -> str:
    """How the review queue files a unit: "changed" when another text of the message was approved
    (revoked or not), "source_changed" when it replaced an English, else "new"."""
    other = select(exists().where(Approval.locale == unit.locale, Approval.mid == unit.mid,
                                  Approval.fingerprint != unit.fingerprint))
    if session.scalar(other):
        return "changed"
    return "source_changed" if (unit.source_before or unit.previous_msgid) else "new"


def refresh_state(session: Session, unit: Unit) -> None:
    unit.state = review_state(session, unit)
    unit.queue_kind = queue_kind(session, unit)


def refresh_states(session: Session, locale: str, fingerprints: set[str] | None = None) -> None:
    """Recompute the state of a locale's units (all, or those with these texts) after an approval,
    a rejection or a revocation changed what stands. A plain UPDATE of the state column: it is
    not a change of the unit, so a translator's open editor does not become stale."""
    query = select(Unit).where(Unit.locale == locale)
    if fingerprints is not None:
        if not fingerprints:
            return
        query = query.where(Unit.fingerprint.in_(fingerprints))
    for unit in session.scalars(query).all():
        state, kind = review_state(session, unit), queue_kind(session, unit)
        if (state, kind) != (unit.state, unit.queue_kind):
            session.execute(update(Unit).where(Unit.id == unit.id).values(state=state, queue_kind=kind)
                            .execution_options(synchronize_session=False))
            set_committed_value(unit, "state", state)  # the loaded unit follows, not marked changed
            set_committed_value(unit, "queue_kind", kind)


# --- Changing units --------------------------------------------------------------------------------

@dataclass
class Change:
    """One unit to change: the new forms, fuzzy mark and comment, and the unit revision the change
    was based on (None: do not compare, the caller has, e.g. an upload preview that bound it)."""

    mid: str
    forms: list[str]
    base: int | None
    fuzzy: bool = False
    comment: str | None = None  # None: keep the unit's comment
    expected_fingerprint: str | None = None  # an upload binds each change to the text it previewed


def take_revision(session: Session, locale: str) -> int:
    """Take the locale's revision row (creating it if needed) and advance it: the first write of
    every change, so concurrent changes of one locale queue behind each other on any host."""
    done = session.execute(update(CatalogRevision).where(CatalogRevision.locale == locale)
                           .values(revision=CatalogRevision.revision + 1))
    if done.rowcount == 0:
        session.add(CatalogRevision(locale=locale, revision=1))
        session.flush()
        return 1
    return session.scalar(select(CatalogRevision.revision).where(CatalogRevision.locale == locale))


def lock_locale(session: Session, locale: str) -> None:
    """Take the locale's revision row without advancing it: until the transaction ends, no other
    change of the locale is written (on any host), so what is read after this stays as read.
    For a decision that reads many units before changing some (an upload's apply). A locale
    never changed has no row yet: nothing to take (``apply_changes`` still compares each unit)."""
    session.execute(update(CatalogRevision).where(CatalogRevision.locale == locale)
                    .values(revision=CatalogRevision.revision).execution_options(synchronize_session=False))


def _author_name(session: Session, locale: str, unit: Unit) -> str | None:
    edit = session.scalars(select(Edit).where(Edit.locale == locale, Edit.mid == unit.mid)
                           .order_by(Edit.id.desc())).first()
    return edit.author.username if edit is not None and edit.author is not None else None


def apply_changes(session: Session, locale: str, changes: list[Change], author: User | None, terms: Terms,
                  origin: str = "web", *, check: bool = True, at: dt.datetime | None = None) -> int:
    """Change several units as one save: all of them, or (on a conflict or a blocking problem) none.

    Returns the locale's new revision. Flushes; the caller commits (or rolls back on an error).
    ``check=False`` only for text a person did not type here (an import of a file edited outside the
    portal): its blocking problems are stored, so it is never approved or served, but it is kept.
    """
    revision = take_revision(session, locale)
    now = at or utcnow()
    planned = []
    for change in changes:
        unit = session.scalars(select(Unit).where(Unit.locale == locale, Unit.mid == change.mid,
                                                  Unit.obsolete == false())
                               .execution_options(populate_existing=True)).first()
        if unit is None:
            raise UnknownMessage(GONE)
        expected = max(len(unit.forms), 2) if unit.msgid_plural else 1
        if len(change.forms) != expected:
            raise WorkspaceError(f"Give {expected} plural forms, one for each field.")
        comment = unit.translator_comment if change.comment is None else change.comment
        wanted = (list(change.forms), change.fuzzy, comment)
        if (change.expected_fingerprint is not None and unit.fingerprint != change.expected_fingerprint) or \
                (change.base is not None and unit.revision != change.base and
                 (unit.forms, unit.fuzzy, unit.translator_comment) != wanted):
            raise Conflict(unit, list(change.forms), _author_name(session, locale, unit))
        planned.append((unit, change, comment))
    recorded = 0
    entered = []  # units this save put in the review queue
    for unit, change, comment in planned:
        replaced, replaced_fuzzy, previous_msgid = unit.forms, unit.fuzzy, unit.previous_msgid or ""
        if (replaced, unit.fuzzy, unit.translator_comment) == (list(change.forms), change.fuzzy, comment):
            if check and unit.blocking:  # a text kept from an import: sending it again does not make it fine
                raise BlockedByChecks(unit.blocking)
            continue  # exactly this already: nothing to record
        recorded += 1
        blocking = set_text(unit, change.forms, locale, terms)
        if blocking and check:
            raise BlockedByChecks(blocking)
        text_changed = replaced != list(change.forms)
        unit.fuzzy = change.fuzzy
        unit.translator_comment = comment
        if not change.fuzzy:  # confirmed: the English it replaced goes into the history, then away
            if previous_msgid:
                unit.source_before = previous_msgid
            unit.previous_msgctxt = unit.previous_msgid = unit.previous_msgid_plural = None
        if text_changed or unit.changed_at is None:
            unit.changed_at = now
        unit.catalog_revision = revision
        with session.no_autoflush:  # its query must not write the unit early: one save, one UPDATE, one revision
            refresh_state(session, unit)
        if unit.kind is not None and unit.state in WAITING:
            entered.append(unit)
        session.add(Edit(locale=locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                         msgid=unit.msgid, msgid_plural=unit.msgid_plural, translation_json=unit.forms_json,
                         words=unit.words, replaced_json=json.dumps(replaced, ensure_ascii=False),
                         replaced_fuzzy=replaced_fuzzy,
                         author_id=author.id if author else None, origin=origin, revision=revision,
                         fuzzy=unit.fuzzy, warnings_json=unit.warnings_json, previous_msgid=previous_msgid,
                         comment=comment, created_at=now))
    try:
        session.flush()  # each unit's UPDATE is a compare-and-swap on its revision (version_id_col)
    except StaleDataError:
        session.rollback()
        unit = get(session, locale, planned[0][1].mid)
        raise Conflict(unit, list(planned[0][1].forms), None) from None
    if not recorded:  # nothing changed: the locale keeps its revision (download stamps stay valid)
        session.execute(update(CatalogRevision).where(CatalogRevision.locale == locale)
                        .values(revision=revision - 1))
        return revision - 1
    notify_events.texts_waiting(session, locale, entered, author)  # for reviewers who chose "each time"
    return revision


def save(session: Session, locale: str, mid: str, forms: list[str], base: int, author: User, terms: Terms,
         fuzzy: bool = False, comment: str | None = None) -> int:
    """Save one message from the browser; raises Conflict, BlockedByChecks or UnknownMessage."""
    return apply_changes(session, locale, [Change(mid, forms, base, fuzzy, comment)], author, terms)


def revert(session: Session, locale: str, mid: str, edit_id: int, base: int, author: User, terms: Terms) -> int:
    """Save an earlier version again, as a new edit by ``author`` (history is never rewritten)."""
    edit = session.get(Edit, edit_id)
    if edit is None or edit.locale != locale or edit.mid != mid:
        raise WorkspaceError("That version does not belong to this message.")
    return apply_changes(session, locale, [Change(mid, edit.forms, base, edit.fuzzy)], author, terms, origin="revert")
