"""People, roles and languages. Pure domain code: takes a session and plain values."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import ROLES, Role, User

DEFAULT_PASSWORD_METHOD = "scrypt"  # werkzeug: scrypt, n=2**15, r=8, p=1
PASSWORD_METHOD = DEFAULT_PASSWORD_METHOD
MIN_PASSWORD = 10


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
    check_password_rules(password)
    # Each role once: the same role given twice (or as zh-Hans and zh_Hans) broke a unique constraint.
    checked = list(dict.fromkeys((role, _check_role(role, locale)) for role, locale in roles))
    if find_user(session, username) is not None:
        raise AccountError(f"The username {username!r} is taken; choose another.")
    user = User(username=username, display_name=display_name.strip() or username,
                password_hash=generate_password_hash(password, method=_method()),
                is_admin=is_admin, active=True)
    user.roles = [Role(role=role, locale=code) for role, code in checked]
    session.add(user)
    session.commit()
    return user


def _method() -> str:
    return PASSWORD_METHOD


def check_password_rules(password: str) -> None:
    if not password:
        raise AccountError("The password is empty; give one, or leave it out to get a random one.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password is too short; use at least {MIN_PASSWORD} characters "
                           "(a few words strung together work well).")


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password; every session the person has open ends."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password, method=_method())
    user.session_token = secrets.token_hex(32)
    session.commit()


def set_roles(session: Session, user: User, roles: list[tuple[str, str]], *, is_admin: bool | None = None,
              display_name: str | None = None) -> None:
    """Replace a person's roles (and optionally admin flag and name) in one step."""
    checked = {(role, _check_role(role, locale)) for role, locale in roles}
    if display_name is not None and not display_name.strip():
        raise AccountError("The display name is empty; give the name colleagues know this person by.")
    keep = [r for r in user.roles if (r.role, r.locale) in checked]
    have = {(r.role, r.locale) for r in keep}
    user.roles = keep + [Role(role=role, locale=code) for role, code in sorted(checked - have)]
    if is_admin is not None:
        user.is_admin = is_admin
    if display_name is not None:
        user.display_name = display_name.strip()
    session.commit()


def update_person(session: Session, user: User, *, roles: list[tuple[str, str]], is_admin: bool,
                  display_name: str, password: str | None = None) -> None:
    """Change name, admin flag, roles and (optionally) password together: every input is checked
    first, and nothing is saved unless all of it is valid."""
    for role, locale in roles:
        _check_role(role, locale)
    if not display_name.strip():
        raise AccountError("The display name is empty; give the name colleagues know this person by.")
    if password:
        check_password_rules(password)
    set_roles(session, user, roles, is_admin=is_admin, display_name=display_name)
    if password:
        set_password(session, user, password)


def set_role(session: Session, user: User, role: str, locale: str, *, remove: bool = False) -> None:
    code = _check_role(role, locale)
    current = {(r.role, r.locale) for r in user.roles}
    wanted = current - {(role, code)} if remove else current | {(role, code)}
    set_roles(session, user, sorted(wanted))


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable or enable a person; disabling ends their sessions on their next request."""
    user.active = active
    if not active:
        user.session_token = secrets.token_hex(32)
    session.commit()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def load_by_session_token(session: Session, token: str) -> User | None:
    """The active person a login session belongs to, or None (disabled, or password changed)."""
    if not token:
        return None
    user = session.scalars(select(User).where(User.session_token == token)).first()
    return user if user is not None and user.active else None
