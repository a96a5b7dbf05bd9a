"""Tables of families' feedback: the answers, and the expiring counts that limit how often one
address may send them. Neither holds an address: the answers have none at all, the counts only a
keyed hash of one, deleted once its window has passed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.people.models import User


class FamilyFeedback(Base):
    """One answer to "Was this page clear?" about one page in one language."""

    __tablename__ = "family_feedback"
    __table_args__ = (Index("ix_family_feedback_locale_page", "locale", "page", "created_at"),
                      Index("ix_family_feedback_locale_handled", "locale", "handled_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    locale: Mapped[str] = mapped_column(String(20))
    page: Mapped[str] = mapped_column(String(100))  # the page's slug
    choice: Mapped[str] = mapped_column(String(10))  # portal.feedback.operations.CHOICES
    text: Mapped[str] = mapped_column(Text, default="")  # at most MAX_TEXT characters; may be empty
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])


class FeedbackLimit(Base):
    """One answer accepted from an address, counted for the per-address limit: only a keyed hash of
    the address (HMAC with the app's secret, so it cannot be reversed by trying every address), and
    the time; rows older than the window are deleted."""

    __tablename__ = "feedback_limits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
