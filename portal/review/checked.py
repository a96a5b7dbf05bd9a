"""How a language's translation was checked, for families: read from the published catalog and the
review trail, never decided anew.

* The texts counted are the site's reviewed messages (medical content and site text); a text counts
  as checked when the gate serves it in this language, which it does only in a text whose approval
  stands (``gate.decide``: the approved current text, or else the last approved one). So the numbers
  are the published catalog's own: its review dates (one per served reviewed message) and its
  report (how many were served in English).
* The reviewers are those with a standing approval of the exact text served (its fingerprint):
  a revoked approval, or an approval of words that are no longer served, credits nobody. A
  reviewer is named, with their credential line, only if they chose to be shown
  (``User.show_to_families``); the others are only counted.

Two queries whatever the size of the catalog: the published row, and one grouped query over the
locale's standing approvals. Reads only. Pure domain code: no Flask.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import polib
from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session

from portal.people.models import User
from portal.review.gate import lookup_key
from portal.review.models import Approval, PublishedCatalog
from portal.translation.identity import fingerprint, forms_of, message_key
from portal.translation.models import Unit


@dataclass(frozen=True)
class ShownReviewer:
    display_name: str
    credential: str


@dataclass
class TranslationCheck:
    """What families are told about one locale's translation."""

    locale: str
    checked: int = 0  # reviewed texts served in an approved translation
    total: int = 0  # reviewed texts of the site
    last_checked: dt.datetime | None = None  # the newest approval among the served texts (UTC)
    shown: list[ShownReviewer] = field(default_factory=list)  # chose to be shown, by name
    others: int = 0  # approved served texts, did not choose to be shown


def served_fingerprints(row: PublishedCatalog) -> set[str]:
    """The fingerprint of each reviewed text the published catalog serves (those with a review date)."""
    reviewed = row.reviewed
    if not row.mo or not reviewed:
        return set()
    found = set()
    for entry in polib.mofile(row.mo):
        key = message_key(entry)
        if entry.msgid and lookup_key(key) in reviewed:
            found.add(fingerprint(key, forms_of(entry)))
    return found


def _reviewed_total(session: Session, locale: str, report: dict) -> int:
    if {"approved", "previous", "english"} <= set(report):
        return report["approved"] + report["previous"] + report["english"]
    # No catalog yet, or one published before reports counted these: the live reviewed units.
    return session.scalar(select(func.count()).select_from(Unit).where(
        Unit.locale == locale, Unit.obsolete == false(), Unit.kind.is_not(None))) or 0


def translation_check(session: Session, locale: str) -> TranslationCheck:
    """How ``locale``'s served translation was checked (see the module docstring)."""
    result = TranslationCheck(locale)
    row = session.get(PublishedCatalog, locale)
    if row is None:  # never published: nothing is served but English
        result.total = _reviewed_total(session, locale, {})
        return result
    reviewed = row.reviewed
    result.checked = len(reviewed)
    result.total = max(_reviewed_total(session, locale, row.report), result.checked)
    if reviewed:
        result.last_checked = dt.datetime.fromisoformat(max(reviewed.values()))
    served = served_fingerprints(row)
    if not served:
        return result
    rows = session.execute(
        select(Approval.fingerprint, User.id, User.display_name, User.credential, User.show_to_families)
        .join(User, User.id == Approval.reviewer_id)
        .where(Approval.locale == locale, Approval.revoked_at.is_(None))
        .group_by(Approval.fingerprint, User.id, User.display_name, User.credential, User.show_to_families))
    people: dict[int, tuple[str, str, bool]] = {}
    for print_, user_id, name, credential, show in rows:
        if print_ in served:
            people[user_id] = (name, credential or "", bool(show))
    result.shown = [ShownReviewer(name, credential) for _, (name, credential, show)
                    in sorted(people.items(), key=lambda item: (item[1][0].casefold(), item[0])) if show]
    result.others = sum(1 for name, credential, show in people.values() if not show)
    return result


def families_stamp(session: Session, locale: str) -> str:
    """What the families' page of ``locale`` is built from beyond the served catalog, as a short
    digest: the published catalog's version, and the name and credential line of everyone who chose
    to be shown (so a change of either shows on the next request, not only after a publish)."""
    version = session.scalar(select(PublishedCatalog.version).where(PublishedCatalog.locale == locale))
    shown = session.execute(select(User.id, User.display_name, User.credential)
                            .where(User.show_to_families == true()).order_by(User.id)).all()
    payload = json.dumps([version, [list(person) for person in shown]], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
