"""Tables of people: accounts, their roles per language, login attempts and logins."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow

ROLES = ("translator", "reviewer")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # What a reviewer tells families about themselves ("pediatric oncology nurse, native Spanish
    # speaker"), and whether families may see it with their name on "How this translation was
    # checked" (accounts.set_credential). Not shown unless the person chose to.
    credential: Mapped[str] = mapped_column(Text, default="", server_default="")
    show_to_families: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where notifications go (portal.notify); "" for none. Checked by accounts.check_email.
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
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
