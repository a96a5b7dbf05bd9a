"""People, roles and languages. Pure domain code: takes a session and plain values."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import ROLES, Role, User

PASSWORD_METHOD = "scrypt"


class AccountError(ValueError):
    """Bad input for an account; the message says what to do. Nothing was changed."""


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"No person called {username!r}. `flask users list` shows who exists.")
    return user


def _check_role(role: str, locale: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}.")
    code = by_code(locale).code  # raises UnknownLocale with the list of locales
    if code not in {loc.code for loc in TRANSLATED_LOCALES}:
        raise AccountError(f"{code} is the source language; roles are for "
                           f"{', '.join(loc.code for loc in TRANSLATED_LOCALES)}.")
    return code


def new_password() -> str:
    """A random password to print once, for people created without one."""
    return secrets.token_urlsafe(12)


def create_user(session: Session, username: str, password: str, *, display_name: str = "",
                roles: list[tuple[str, str]] = (), is_admin: bool = False) -> User:
    """Add a person. Every input is checked before anything is written."""
    username = (username or "").strip()
    if not username:
        raise AccountError("A username is required.")
    if not password:
        raise AccountError("The password is empty; give one, or leave it out to get a random one.")
    checked = [(role, _check_role(role, locale)) for role, locale in roles]
    if find_user(session, username) is not None:
        raise AccountError(f"The username {username!r} is taken; choose another.")
    user = User(username=username, display_name=display_name.strip() or username,
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
                is_admin=is_admin, active=True)
    user.roles = [Role(role=role, locale=code) for role, code in checked]
    session.add(user)
    session.commit()
    return user


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)
