"""Tables: people and their roles, translation history, and approvals."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base

ROLES = ("translator", "reviewer")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    roles: Mapped[list["Role"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # The login (LoginSession.id) this object was loaded for; not a column. Flask-Login keeps it
    # in the signed session cookie (get_id), and the user loader accepts only an open one.
    login_session_id = None

    def has_role(self, role: str, locale: str) -> bool:
        return self.active and any(r.role == role and r.locale == locale for r in self.roles)

    def locales_for(self, role: str) -> list[str]:
        return sorted(r.locale for r in self.roles if r.role == role) if self.active else []

    # Flask-Login's interface, spelled out (no mixin: is_active must follow `active`).
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        if not self.login_session_id:
            raise RuntimeError("log in through portal.people.throttle.authenticate, which opens a login session")
        return self.login_session_id


class Role(Base):
    """A person's right to translate or review one locale."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("user_id", "locale", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="roles")


class _Text:
    """Columns that pin one exact text: context, source, plural source, translation forms."""

    locale: Mapped[str] = mapped_column(String(20), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    msgctxt: Mapped[str] = mapped_column(Text, default="")
    msgid: Mapped[str] = mapped_column(Text)
    msgid_plural: Mapped[str] = mapped_column(Text, default="")
    translation_json: Mapped[str] = mapped_column(Text)

    @property
    def forms(self) -> list[str]:
        return json.loads(self.translation_json)


class Edit(_Text, Base):
    """One saved version of a translation: who wrote it, when, from where."""

    __tablename__ = "edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    origin: Mapped[str] = mapped_column(String(20), default="web")  # web, upload, revert, cli
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=0, index=True)  # the catalog's revision it made
    fuzzy: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings_json: Mapped[str] = mapped_column(Text, default="[]")  # check warnings, for the reviewer
    # The entry's "#| msgid" when saved: the English this translation's source replaced.
    previous_msgid: Mapped[str] = mapped_column(Text, default="")
    # The saved forms as words (review.words_fingerprint): who wrote a text is judged by these,
    # so a tool that rewrites spaces, line breaks or invisible characters changes no authorship.
    words: Mapped[str] = mapped_column(String(64), default="", index=True)
    # The forms this save replaced (JSON), so the text at any revision can be told; None: not known.
    replaced_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[User | None] = relationship()

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json or "[]")


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


class LoginAttempt(Base):
    """One try at logging in, for the per-account and per-address limits."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class LoginSession(Base):
    """One login, from logging in until logging out. The session cookie only names it, so ending
    it here (log out, password change, disabled) stops every copy of that cookie."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class CatalogRevision(Base):
    """How many saves a working catalog has had; downloads carry it, uploads are compared to it."""

    __tablename__ = "catalog_revisions"

    locale: Mapped[str] = mapped_column(String(20), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class Rejection(_Text, Base):
    """A reviewer's rejection of one exact text, with the reason the translator sees."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    reviewer: Mapped[User] = relationship()
