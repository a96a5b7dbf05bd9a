"""Tables of notifications: each person's choice per kind, the outbox, and each person's digest cursor."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class NotificationPreference(Base):
    """How one person hears about one kind of event (``kinds.KINDS``): "off", "each" or "daily".
    No row: the kind's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))


class OutboxMessage(Base):
    """One message for one person, kept until it is sent.

    ``deliver`` "each": a mail of its own, sent right after the change that made it is committed,
    or by the next `flask notify send-digests` (``attempts`` and ``last_error`` say why not yet).
    ``deliver`` "digest": a line of the person's next daily digest; ``sent_at`` is set (and
    ``digest_id`` names the digest's own row) in the transaction that builds that digest."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_pending", "sent_at", "deliver", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    deliver: Mapped[str] = mapped_column(String(10), default="each")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # A sender holds a message from this time while it talks to the server, so two senders at
    # once (a request and the cron command, or two hosts) never both send it.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification_outbox.id", ondelete="SET NULL"),
                                                  nullable=True)


class DigestCursor(Base):
    """Until when a person's last daily digest covered what happened (None row: never had one)."""

    __tablename__ = "digest_cursors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    covered_until: Mapped[dt.datetime] = mapped_column(DateTime)
