"""Logging in: password check and the attempt limits. Pure domain code: no Flask.

Limits, within a 15-minute window, by the client's address (see ``client_address``):
* an account from one address locks after 5 failures (any username, existing or not, so a lock
  reveals nothing); the same account from another address is not affected, so nobody can keep
  a person locked out from afar;
* an address locks after 20 failures, whatever usernames it tries; other addresses are not
  affected, so behind a reverse proxy (FLASK_TRUSTED_PROXIES) one visitor cannot lock out all.
A lock lasts 15 minutes from the last failure, and says when it ends.

What the limits leave open: someone with many addresses can guess at one account, 5 tries per
address per 15 minutes. Each guess costs a full scrypt hash on the server and passwords have at
least ``accounts.MIN_PASSWORD`` characters, which is what bounds such a guess.
"""
from __future__ import annotations

import datetime as dt
import ipaddress

from sqlalchemy import delete, false, func, select
from sqlalchemy.orm import Session

from portal import db
from portal.models import LoginAttempt, User, utcnow
from portal.people import sessions
from portal.people.accounts import find_user, verify_password

WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5  # for one account from one address
MAX_ADDRESS_FAILURES = 20  # for one address, all usernames together
UNKNOWN_ADDRESS = "unknown"
USERNAME_KEY_LENGTH = 80  # the column's size; no username is longer


class LoginFailed(Exception):
    """Wrong username or password (deliberately one message for both)."""


class LoginLocked(Exception):
    def __init__(self, until: dt.datetime):
        super().__init__(f"locked until {until:%H:%M} UTC")
        self.until = until


def client_address(remote_addr: str | None) -> str:
    """The address the limits count by: an IPv4 address, or an IPv6 /64 network (one host
    usually has a whole /64, so counting single IPv6 addresses would let it dodge the limit).
    Anything that is not an address counts as one shared "unknown"."""
    try:
        ip = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return UNKNOWN_ADDRESS
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip.packed, 64), strict=False))
    return str(ip)


def _username_key(username: str) -> str:
    """How attempts on a username are counted: case-insensitively, as logins find people."""
    return username.lower().replace("\x00", "\ufffd")[:USERNAME_KEY_LENGTH]


def _lock_end(session: Session, conditions, limit: int, now: dt.datetime) -> dt.datetime | None:
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.created_at))
        .where(*conditions, LoginAttempt.success == false(), LoginAttempt.created_at >= now - WINDOW)
    ).one()
    return last + LOCK if count >= limit and last + LOCK > now else None


def locked_until(session: Session, username: str, address: str, now: dt.datetime | None = None):
    """When the lock on this account from this address, or on this address, ends; None if neither."""
    now = now or utcnow()
    ends = [_lock_end(session, (LoginAttempt.username == _username_key(username),
                                LoginAttempt.address == address), MAX_ACCOUNT_FAILURES, now),
            _lock_end(session, (LoginAttempt.address == address,), MAX_ADDRESS_FAILURES, now)]
    return max((end for end in ends if end), default=None)


def authenticate(session: Session, username: str, password: str, address: str,
                 now: dt.datetime | None = None) -> User:
    """The person these credentials belong to, with a new login session open (its id in
    ``user.login_session_id``); raises LoginLocked or LoginFailed.
    ``address`` is ``client_address(...)`` of the request."""
    now = now or utcnow()
    username = (username or "").strip()
    key = _username_key(username)
    until = locked_until(session, username, address, now)
    if until:
        raise LoginLocked(until)
    # No stored username holds a NUL (PostgreSQL cannot even be asked about one).
    user = find_user(session, username) if "\x00" not in username else None
    # The hash is checked whatever else is wrong (unknown or disabled person): every failure takes
    # as long as a wrong password, so the time of the answer does not tell who has an account.
    password_ok = verify_password(user, password or "")
    ok = user is not None and user.active and password_ok
    session.add(LoginAttempt(username=key, address=address, success=ok, created_at=now))
    if ok:
        # A successful login clears this account's failures from this address (and no others:
        # a person logging in must not reset what someone elsewhere has tried against them).
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == key, LoginAttempt.address == address,
                                                   LoginAttempt.success == false()))
        sessions.start(session, user, now)
    # Committed here, not at the end of the request: a failed attempt must count though the
    # request is refused (and its unit of work rolled back).
    db.commit(session)
    if not ok:
        until = locked_until(session, username, address, now)
        if until:
            raise LoginLocked(until)
        raise LoginFailed()
    return user
