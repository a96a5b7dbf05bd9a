"""People, roles and languages. Pure domain code: takes a session and plain values.

Usernames: 1 to 80 characters, ASCII letters, digits, ".", "_" and "-", starting with a letter
or digit (so they are safe in URLs, logs and commands, and cannot imitate each other with
look-alike letters). Case does not make a new name: "Ana" cannot join "ana". Logins and
`flask users` find a person whatever the case typed ("ANA" is ana), the exact spelling first
(for two people whose names differed only in case before this rule). Names that existed before
the rule keep working: they can log in, be edited and be disabled.

There is always an active admin: the last one can be neither disabled nor lose the admin role.
"""
from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.locales import TRANSLATED_LOCALES, by_code
from portal.models import ROLES, Role, User
from portal.people import sessions
from portal.translation.checks import is_invisible

DEFAULT_PASSWORD_METHOD = "scrypt"  # werkzeug: scrypt, n=2**15, r=8, p=1
PASSWORD_METHOD = DEFAULT_PASSWORD_METHOD
MIN_PASSWORD = 10
USERNAME_LIMIT = 80  # the users.username column
DISPLAY_NAME_LIMIT = 200  # the users.display_name column


class AccountError(ValueError):
    """Bad input for an account; the message says what to do. Nothing was changed."""


USERNAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{USERNAME_LIMIT - 1}}}")
USERNAME_RULE = ("letters a-z and A-Z, digits 0-9, dot (.), underscore (_) and hyphen (-), "
                 f"starting with a letter or digit, at most {USERNAME_LIMIT} characters")


def check_display_name(display_name: str) -> str:
    """The name colleagues know a person by, stripped; refused when empty or too long for its column."""
    name = display_name.strip()
    if not name:
        raise AccountError("The display name is empty; give the name colleagues know this person by.")
    if len(name) > DISPLAY_NAME_LIMIT:
        raise AccountError(f"The display name has {len(name)} characters; use {DISPLAY_NAME_LIMIT} or fewer.")
    return name


def check_username(username: str) -> None:
    """Refuse a new username outside the rule, saying what is allowed."""
    if not USERNAME.fullmatch(username):
        raise AccountError(f"The username {username!r} cannot be used. Usernames may contain only "
                           f"{USERNAME_RULE}; for example ana.garcia or reviewer-es.")


def find_user(session: Session, username: str) -> User | None:
    """The person with this username, whatever its case; the exact spelling wins when names made
    before the case rule differ only in case (then a different case finds nobody)."""
    found = session.scalars(select(User).where(or_(User.username == username,
                                                   func.lower(User.username) == username.lower()))).all()
    exact = [user for user in found if user.username == username]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


def get_user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


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
                roles: list[tuple[str, str]] = (), is_admin: bool = False, email: str = "") -> User:
    """Add a person. Every input is checked before anything is written."""
    username = (username or "").strip()
    if not username:
        raise AccountError("A username is required.")
    check_username(username)
    check_password_rules(password)
    email = check_email(email)
    if display_name.strip():
        check_display_name(display_name)
    # Each role once: the same role given twice (or as zh-Hans and zh_Hans) broke a unique constraint.
    checked = list(dict.fromkeys((role, _check_role(role, locale)) for role, locale in roles))
    taken = session.scalars(select(User.username).where(func.lower(User.username) == username.lower())).first()
    if taken is not None:
        same = "" if taken == username else f" (as {taken!r}: a username is the same whatever its case)"
        raise AccountError(f"The username {username!r} is taken{same}; choose another.")
    user = User(username=username, display_name=display_name.strip() or username,
                password_hash=generate_password_hash(password, method=_method()),
                is_admin=is_admin, active=True, email=email)
    user.roles = [Role(role=role, locale=code) for role, code in checked]
    session.add(user)
    session.flush()
    return user


def _method() -> str:
    return PASSWORD_METHOD


def check_password_rules(password: str) -> None:
    if not password:
        raise AccountError("The password is empty; give one, or leave it out to get a random one.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password is too short; use at least {MIN_PASSWORD} characters "
                           "(a few words strung together work well).")


_STAND_IN_HASHES: dict[str, str] = {}  # by method: a hash of a random password nobody knows


def _stand_in_hash() -> str:
    """A hash made the way real ones are now made, to check a password against when there is
    nobody to check it for."""
    method = _method()
    if method not in _STAND_IN_HASHES:
        _STAND_IN_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _STAND_IN_HASHES[method]


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is this person's. With no person (an unknown username) the same
    hash work is done and the answer is False, so it takes as long as a wrong password."""
    if user is None:
        check_password_hash(_stand_in_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


def set_password(session: Session, user: User, password: str, *, keep_login: str | None = None) -> None:
    """Change a password; every login the person has open ends, except ``keep_login`` (the one
    they changed it from)."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password, method=_method())
    sessions.end_all(session, user, keep=keep_login)
    session.flush()


def _keep_an_admin(session: Session, user: User, *, is_admin: bool, active: bool) -> None:
    """Refuse a change that would leave no active admin (nobody could then manage people)."""
    if not (user.is_admin and user.active) or (is_admin and active):
        return
    # FOR UPDATE (PostgreSQL): two admins demoting each other at once cannot both see the other.
    admins = session.scalars(select(User.id).where(User.is_admin == true(), User.active == true())
                             .with_for_update()).all()
    if set(admins) <= {user.id}:
        change = "lose the admin role" if not is_admin else "be disabled"
        raise AccountError(f"{user.username} is the only active admin and cannot {change}: make another "
                           "person an admin first. Nothing was changed.")


def set_roles(session: Session, user: User, roles: list[tuple[str, str]], *, is_admin: bool | None = None,
              display_name: str | None = None) -> None:
    """Replace a person's roles (and optionally admin flag and name) in one step."""
    checked = {(role, _check_role(role, locale)) for role, locale in roles}
    if display_name is not None:
        check_display_name(display_name)
    if is_admin is not None:
        _keep_an_admin(session, user, is_admin=is_admin, active=user.active)
    keep = [r for r in user.roles if (r.role, r.locale) in checked]
    have = {(r.role, r.locale) for r in keep}
    user.roles = keep + [Role(role=role, locale=code) for role, code in sorted(checked - have)]
    if is_admin is not None:
        user.is_admin = is_admin
    if display_name is not None:
        user.display_name = display_name.strip()
    session.flush()


def update_person(session: Session, user: User, *, roles: list[tuple[str, str]], is_admin: bool,
                  display_name: str, password: str | None = None) -> None:
    """Change name, admin flag, roles and (optionally) password together: every input is checked
    first, and nothing is saved unless all of it is valid."""
    for role, locale in roles:
        _check_role(role, locale)
    check_display_name(display_name)
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
    _keep_an_admin(session, user, is_admin=user.is_admin, active=active)
    user.active = active
    if not active:
        sessions.end_all(session, user)
    session.flush()


CREDENTIAL_LIMIT = 200


def check_credential(text: str | None) -> str:
    """A credential line as it is kept: spaces trimmed; refused (AccountError, saying what to do)
    when longer than CREDENTIAL_LIMIT characters or holding a line break, tab or other control,
    invisible or bidi control character (it is shown to families, in any direction)."""
    line = (text or "").strip()
    if len(line) > CREDENTIAL_LIMIT:
        raise AccountError(f"The credential line is too long: {len(line)} characters. Keep it to "
                           f"{CREDENTIAL_LIMIT} or fewer, for example \"pediatric oncology nurse, native Spanish "
                           "speaker\". Nothing was changed.")
    hidden = next((c for c in line if is_invisible(c)), None)
    if hidden is not None:
        name = unicodedata.name(hidden, "a control character")
        raise AccountError(f"The credential line has an invisible or control character (U+{ord(hidden):04X}, "
                           f"{name}). Write it on one line with visible characters only: remove line breaks, "
                           "tabs and invisible characters. Nothing was changed.")
    return line


def set_credential(session: Session, user: User, credential: str | None, *, show: bool | None = None) -> None:
    """Set the line a person tells families about themselves, and (unless ``show`` is None)
    whether families see their display name and that line on "How this translation was checked".
    Everything is checked before anything changes."""
    line = check_credential(credential)
    user.credential = line
    if show is not None:
        user.show_to_families = bool(show)
    session.flush()


EMAIL_LIMIT = 254
# One address, as a mail server takes it: a local part of ASCII letters, digits and the few signs
# addresses use, "@", and a domain of at least two dot-separated labels.
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                   r"@(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def check_email(text: str | None) -> str:
    """An e-mail address as it is kept: spaces around it trimmed, "" for none; refused
    (AccountError, saying what to write) unless it is one plain address such as ana@example.org:
    no name, no second address, no line break or other control character, at most 254 characters."""
    address = (text or "").strip()
    if not address:
        return ""
    if len(address) > EMAIL_LIMIT or not EMAIL.fullmatch(address) or len(address.partition("@")[0]) > 64:
        raise AccountError(f"{one_line_for_message(address)!r} is not an e-mail address the portal can use. Write "
                           "one address, such as ana.garcia@example.org (letters a-z, digits, dots and hyphens; "
                           "no spaces, names or second address). Nothing was changed.")
    return address


def one_line_for_message(text: str) -> str:
    """Text quoted back in a message: at most 80 characters (repr shows any control character)."""
    return text if len(text) <= 80 else text[:79] + "…"


def set_email(session: Session, user: User, email: str | None) -> None:
    """Set (or with "" remove) a person's address for notifications. Does not commit."""
    user.email = check_email(email)
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))

