"""What the translator's workspace shows of a unit: its state in words, and the view the pages read.

The units themselves are read and changed in ``portal.translation.units``; this module only
presents them. ``MessageView.entry`` is the unit as a catalog entry, the same thing a
translator sees in Poedit.

Pure domain code: no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

import polib

from portal.translation.extract import other_comments, reviewer_note
from portal.translation.files import entry_of
from portal.translation.models import STATES, Unit
from portal.translation.template import KIND_LABELS
from portal.translation.units import BlockedByChecks, Conflict, Progress, UnknownMessage, WorkspaceError  # noqa: F401

STATE_LABELS = {
    "untranslated": "Untranslated", "fuzzy": "Needs edit (fuzzy)", "translated": "Translated (staff only, not reviewed)",
    "awaiting": "Awaiting review", "approved": "Approved", "rejected": "Rejected",
    "revoked": "Approval revoked",
}
assert set(STATE_LABELS) == set(STATES)


@dataclass
class MessageView:
    """One unit as the workspace and the review pages show it."""

    unit: Unit

    @cached_property
    def entry(self) -> polib.POEntry:
        return entry_of(self.unit)

    @property
    def key(self):
        return self.unit.key

    @property
    def id(self) -> str:
        return self.unit.mid

    @property
    def kind(self) -> str | None:
        return self.unit.kind

    @property
    def state(self) -> str:
        return self.unit.state

    @property
    def forms(self) -> list[str]:
        return self.unit.forms

    @property
    def warnings(self) -> list[str]:
        return self.unit.warnings

    @property
    def reviewer_note(self) -> str:
        """What the content's author asks the medical reviewer to confirm ("" if nothing)."""
        return reviewer_note(self.unit.extracted)

    @property
    def notes(self) -> list[str]:
        """The template's other comments on the message (what it is, where it is from)."""
        return other_comments(self.unit.extracted)

    @property
    def blocking(self) -> list[str]:
        return self.unit.blocking

    @property
    def fingerprint(self) -> str:
        return self.unit.fingerprint

    @property
    def revision(self) -> int:
        """The unit's revision: what a save from this page is based on."""
        return self.unit.revision

    @property
    def reviewed(self) -> bool:
        """Families read it only once a reviewer approved its exact text."""
        return self.unit.kind is not None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.unit.kind, "Staff only")


def view(unit: Unit) -> MessageView:
    return MessageView(unit)


PAGE_SIZE = 50
MAX_PAGE = 10**6


def page_number(raw: str | None) -> int:
    """A page number from a query string: 1 for anything that is not a plain number (never an error)."""
    raw = (raw or "").strip()
    return min(max(int(raw), 1), MAX_PAGE) if raw.isdigit() and len(raw) < 9 else 1


def clamp_page(asked: int, total: int, size: int) -> tuple[int, int]:
    """(the page to show, how many pages): the page asked for, or the last one if it is past the
    end; an empty list has one (empty) page. Every paged staff list (the translator's list, the
    review queue, the trail) counts its pages here."""
    pages = max(1, -(-total // size))
    return min(asked, pages), pages


def page_holding(index: int, size: int) -> int:
    """The page (from 1) that shows the item at ``index`` (from 0) of a list paged by ``size``."""
    return index // size + 1


@dataclass(frozen=True)
class ListFilter:
    """What the translator's list shows: a state, "only with warnings", a search, and a page. Read
    from a query string, where a value that means nothing falls back to its default; carried in
    every link between the list and its messages, so the translator never loses their place."""

    state: str | None = None
    warnings_only: bool = False
    query: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListFilter:
        state = args.get("state") or None
        return cls(state=state if state in STATES else None, warnings_only=args.get("warnings") == "1",
                   query=(args.get("q") or "")[:200], page=page_number(args.get("page")))

    def params(self, page: int | None = None) -> dict:
        """The query parameters for ``url_for`` (empty ones left out); ``page`` overrides the page."""
        page = self.page if page is None else page
        found = {"state": self.state, "warnings": "1" if self.warnings_only else None,
                 "q": self.query or None, "page": page if page > 1 else None}
        return {name: value for name, value in found.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.state or self.warnings_only or self.query.strip())

    def page_of(self, index: int) -> int:
        """The list page showing the item at ``index`` (0-based) of the filtered list."""
        return page_holding(index, PAGE_SIZE)
