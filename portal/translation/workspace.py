"""What the translator's workspace shows of a unit: its state in words, and the view the pages read.

The units themselves are read and changed in ``portal.translation.units``; this module only
presents them. ``MessageView.entry`` is the unit as a catalog entry, the same thing a
translator sees in Poedit.

Pure domain code: no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import polib

from portal.translation.extract import other_comments, reviewer_note
from portal.translation.files import entry_of
from portal.translation.models import STATES, Unit
from portal.translation.template import KIND_LABELS
from portal.translation.units import BlockedByChecks, Conflict, Progress, UnknownMessage, WorkspaceError  # noqa: F401

STATE_LABELS = {
    "untranslated": "Untranslated", "fuzzy": "Needs edit (fuzzy)", "translated": "Translated (staff only, not reviewed)",
    "awaiting": "Awaiting review", "approved": "Approved", "rejected": "Rejected",
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
