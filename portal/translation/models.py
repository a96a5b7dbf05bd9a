"""Tables of translation: one unit per (locale, message), its history, and what goes with them.

The database is the one source of truth for everything that changes while the portal runs
(docs/design.md, data flow). ``.po`` files are what people exchange: imported into units, exported
from them.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.people.models import User

# A unit's state, as the workspace lists it. "translated" is a staff-only string (never reviewed).
STATES = ("untranslated", "fuzzy", "translated", "awaiting", "approved", "rejected", "revoked")
# Waiting for a reviewer: never approved, rejected, or its approval revoked.
WAITING = ("awaiting", "rejected", "revoked")


class Unit(Base):
    """One message in one locale: the template's message, and its current translation.

    The template's side (context, English, kind, position, comments, where it appears) is
    copied in by `flask translate update`, identical on every host because the template ships
    with the code. The translation side changes only through ``units.save`` (compare-and-swap
    on ``revision``, in one transaction with its history row). What the checks found and the
    review state are stored with the text when it changes, so no page recomputes them.
    """

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("locale", "mid"),
        Index("ix_units_locale_position", "locale", "obsolete", "position"),
        # Covering the progress and dashboard counts (GROUP BY state), so they read no row.
        Index("ix_units_locale_counts", "locale", "obsolete", "state", "kind", "has_warnings", "word_count"),
        # The review queue: waiting units of a locale, by kind, oldest first.
        Index("ix_units_locale_queue", "locale", "obsolete", "state", "queue_kind", "changed_at", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locale: Mapped[str] = mapped_column(String(20))
    mid: Mapped[str] = mapped_column(String(16))  # identity.message_id of the key
    msgctxt: Mapped[str] = mapped_column(Text, default="")
    msgid: Mapped[str] = mapped_column(Text)
    msgid_plural: Mapped[str] = mapped_column(Text, default="")
    # From the template
    kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # medical, site; None: staff only
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the template
    extracted: Mapped[str] = mapped_column(Text, default="")  # extracted comments (#.)
    occurrences_json: Mapped[str] = mapped_column(Text, default="[]")  # where it appears (#:)
    template_flags_json: Mapped[str] = mapped_column(Text, default="[]")  # python-format, ...
    obsolete: Mapped[bool] = mapped_column(Boolean, default=False)  # no longer in the template
    # The translation
    forms_json: Mapped[str] = mapped_column(Text, default='[""]')
    fuzzy: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_msgctxt: Mapped[str | None] = mapped_column(Text, nullable=True)
    previous_msgid: Mapped[str | None] = mapped_column(Text, nullable=True)  # #| msgid of a fuzzy carry-over
    previous_msgid_plural: Mapped[str | None] = mapped_column(Text, nullable=True)
    translator_comment: Mapped[str] = mapped_column(Text, default="")
    # Stored with the text when it changes
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    words: Mapped[str] = mapped_column(String(64), default="")
    translated: Mapped[bool] = mapped_column(Boolean, default=False)  # every form has text
    state: Mapped[str] = mapped_column(String(12), default="untranslated")
    warnings_json: Mapped[str] = mapped_column(Text, default="[]")
    blocking_json: Mapped[str] = mapped_column(Text, default="[]")
    has_warnings: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")  # English and translation, casefolded
    word_count: Mapped[int] = mapped_column(Integer, default=0)  # words of the English
    source_before: Mapped[str] = mapped_column(Text, default="")  # the English a source change replaced
    # In the review queue: "changed" (another text of it was approved), "source_changed" (it replaced
    # an English), or "new". Kept with the state (units.refresh_state).
    queue_kind: Mapped[str] = mapped_column(String(16), default="new")
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # the text's last save
    # +1 on every change through the ORM (SQLAlchemy's version counter: each UPDATE says
    # "WHERE revision = the one read", so a stale write fails instead of overwriting): the base of a save.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    catalog_revision: Mapped[int] = mapped_column(Integer, default=0)  # the locale's revision it made

    __mapper_args__ = {"version_id_col": revision}

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def forms(self) -> list[str]:
        return json.loads(self.forms_json)

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json)

    @property
    def blocking(self) -> list[str]:
        return json.loads(self.blocking_json)

    @property
    def occurrences(self) -> list[tuple[str, str]]:
        return [tuple(pair) for pair in json.loads(self.occurrences_json)]

    @property
    def template_flags(self) -> list[str]:
        return json.loads(self.template_flags_json)

    @property
    def reviewed(self) -> bool:
        """Families read it only once a reviewer approved its exact text."""
        return self.kind is not None


class _Text:
    """Columns that pin one exact text: context, source, plural source, translation forms."""

    locale: Mapped[str] = mapped_column(String(20), index=True)
    mid: Mapped[str] = mapped_column(String(16), default="", index=True)  # the message (identity.message_id)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    msgctxt: Mapped[str] = mapped_column(Text, default="")
    msgid: Mapped[str] = mapped_column(Text)
    msgid_plural: Mapped[str] = mapped_column(Text, default="")
    translation_json: Mapped[str] = mapped_column(Text)

    @property
    def forms(self) -> list[str]:
        return json.loads(self.translation_json)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


class Edit(_Text, Base):
    """One saved version of a translation: who wrote it, when, from where."""

    __tablename__ = "edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    origin: Mapped[str] = mapped_column(String(20), default="web")  # web, upload, revert, import, cli
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=0, index=True)  # the catalog's revision it made
    fuzzy: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings_json: Mapped[str] = mapped_column(Text, default="[]")  # check warnings, for the reviewer
    # The entry's "#| msgid" when saved: the English this translation's source replaced.
    previous_msgid: Mapped[str] = mapped_column(Text, default="")
    # The saved forms as words (identity.words_fingerprint): who wrote a text is judged by these,
    # so a tool that rewrites spaces, line breaks or invisible characters changes no authorship.
    words: Mapped[str] = mapped_column(String(64), default="", index=True)
    # The forms this save replaced (JSON), so the text at any revision can be told; None: not known.
    replaced_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    replaced_fuzzy: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # the mark it replaced
    comment: Mapped[str] = mapped_column(Text, default="")  # the translator's comment saved with it
    author: Mapped[User | None] = relationship()

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json or "[]")


class SourceChange(Base):
    """A change of a message's English that `flask translate update` carried its translation
    over (as fuzzy): the translation's words stay the same message's across it (four eyes)."""

    __tablename__ = "source_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locale: Mapped[str] = mapped_column(String(20), index=True)
    msgctxt: Mapped[str] = mapped_column(Text, default="")
    msgid_before: Mapped[str] = mapped_column(Text)
    msgid: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CatalogRevision(Base):
    """How many changes a locale's units have had; downloads carry it, uploads are compared to it.
    Every change takes this row first, so one locale's changes are ordered on every host."""

    __tablename__ = "catalog_revisions"

    locale: Mapped[str] = mapped_column(String(20), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class PendingUpload(Base):
    """A .po file between its preview and its apply: in the database, so the preview on one host
    can be applied on another. It belongs to the person who uploaded it."""

    __tablename__ = "pending_uploads"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="messages.po")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # What the preview showed of each message the apply could change (uploads.Preview.seen, as
    # JSON): the apply changes only those still as shown. None: a preview from before 0008.
    seen_json: Mapped[str | None] = mapped_column(Text, nullable=True)
