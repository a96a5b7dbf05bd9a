"""Logging in: password check and the attempt limits. Pure domain code: no Flask.

Limits, within a 15-minute window:
* an account (any username, existing or not, so a lock reveals nothing) locks after 5 failures;
* an address (IP) locks after 20 failures, whatever usernames it tries.
A lock lasts 15 minutes from the last failure, and says when it ends.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.accounts import find_user, verify_password
from portal.models import LoginAttempt, User, utcnow

WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 20


class LoginFailed(Exception):
    """Wrong username or password (deliberately one message for both)."""


class LoginLocked(Exception):
    def __init__(self, until: dt.datetime):
        super().__init__(f"locked until {until:%H:%M} UTC")
        self.until = until


def _failures(session: Session, column, value: str, since: dt.datetime):
    return session.execute(
        select(func.count(), func.max(LoginAttempt.created_at))
        .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.created_at >= since)
    ).one()


def locked_until(session: Session, username: str, address: str, now: dt.datetime | None = None):
    """When the lock on this account or address ends, or None if neither is locked."""
    now = now or utcnow()
    until = None
    for column, value, limit in ((LoginAttempt.username, username.lower(), MAX_ACCOUNT_FAILURES),
                                 (LoginAttempt.address, address, MAX_ADDRESS_FAILURES)):
        count, last = _failures(session, column, value, now - WINDOW)
        if count >= limit and last + LOCK > now:
            until = max(until, last + LOCK) if until else last + LOCK
    return until


def authenticate(session: Session, username: str, password: str, address: str,
                 now: dt.datetime | None = None) -> User:
    """The person these credentials belong to; raises LoginLocked or LoginFailed."""
    now = now or utcnow()
    username = (username or "").strip()
    until = locked_until(session, username, address, now)
    if until:
        raise LoginLocked(until)
    user = find_user(session, username)
    ok = user is not None and user.active and verify_password(user, password or "")
    session.add(LoginAttempt(username=username.lower(), address=address, success=ok, created_at=now))
    if ok:
        # A successful login clears the account's failures (not the address's).
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username.lower(),
                                                   LoginAttempt.success.is_(False)))
    session.commit()
    if not ok:
        until = locked_until(session, username, address, now)
        if until:
            raise LoginLocked(until)
        raise LoginFailed()
    return user
