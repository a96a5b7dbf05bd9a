"""Tables of review and the gate: approvals bound to exact text, rejections, each locale's count
of review decisions, and the catalogs the gate published (one per locale, with a version every
worker on every host checks, and the count of decisions it was built from)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.people.models import User
from portal.translation.models import _Text


class Approval(_Text, Base):
    """A reviewer's approval of one exact text for one locale."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_known: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # the reviewer's optional comment
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])


class Rejection(_Text, Base):
    """A reviewer's rejection of one exact text, with the reason the translator sees."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    reviewer: Mapped[User] = relationship()


class ReviewRevision(Base):
    """How many review decisions that change what families may read (approvals, revocations) a
    locale has had. Each decision advances it in the transaction that records it; the gate stamps
    the catalog it builds with the count it read, so a catalog built before the latest decision
    is behind (``gate.is_behind``)."""

    __tablename__ = "review_revisions"

    locale: Mapped[str] = mapped_column(String(20), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class PublishedCatalog(Base):
    """What families read in one locale: the compiled catalog the gate built, the dates its texts
    were approved, and a version. Written only by the gate, catalog and dates in one row, so
    they are always replaced together (docs/design.md, invariants 4 and 8)."""

    __tablename__ = "published_catalogs"

    locale: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    mo: Mapped[bytes] = mapped_column(LargeBinary)
    reviewed_json: Mapped[str] = mapped_column(Text, default="{}")  # lookup key -> ISO time of its approval
    report_json: Mapped[str] = mapped_column(Text, default="{}")
    review_revision: Mapped[int] = mapped_column(Integer, default=0)  # the locale's ReviewRevision it was built from
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def reviewed(self) -> dict[str, str]:
        return json.loads(self.reviewed_json or "{}")

    @property
    def report(self) -> dict:
        return json.loads(self.report_json or "{}")


class Comment(_Text, Base):
    """One comment in the thread of a message in one language, between its translators and
    reviewers (``portal.review.comments``). It keeps the message (context and English) and the
    translation it was written beside, so the trail can say what it was about after either
    changed. Rows are only ever added."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)  # plain text, as typed (line breaks kept)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    author: Mapped[User] = relationship()
