"""Login sessions kept on the server. Pure domain code: no Flask.

The browser's session cookie is signed, not secret: whoever holds a copy can send it again. So
the cookie only names a login (a random id), and a login ends here, for every copy of the cookie:
when the person logs out, when their password changes, and when they are disabled.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import db
from portal.models import LoginSession, User, utcnow

# last_seen_at is written at most this often, so browsing does not write on every request.
LAST_SEEN_EVERY = dt.timedelta(minutes=5)


def start(session: Session, user: User, now: dt.datetime | None = None) -> str:
    """Open a login for ``user`` (the caller commits) and remember its id on the object."""
    now = now or utcnow()
    login = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=now, last_seen_at=now)
    session.add(login)
    user.login_session_id = login.id
    return login.id


def end(session: Session, login_id: str, now: dt.datetime | None = None) -> None:
    """Log out: this login stops working, wherever its cookie is (part of the caller's unit of work)."""
    session.execute(update(LoginSession).where(LoginSession.id == login_id, LoginSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow()))


def end_all(session: Session, user: User, *, keep: str | None = None, now: dt.datetime | None = None) -> None:
    """End every open login of ``user`` except ``keep``; part of the caller's change (no commit)."""
    statement = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    if keep:
        statement = statement.where(LoginSession.id != keep)
    session.execute(statement.values(ended_at=now or utcnow()))


def load(session: Session, login_id: str, now: dt.datetime | None = None) -> User | None:
    """The active person of an open login, or None (logged out, ended, unknown, or disabled)."""
    if not login_id:
        return None
    now = now or utcnow()
    row = session.execute(select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                          .where(LoginSession.id == login_id, LoginSession.ended_at.is_(None))).first()
    if row is None or not row.User.active:
        return None
    login, user = row
    if login.last_seen_at + LAST_SEEN_EVERY <= now:
        # Its own small transaction, before the request's work begins: kept whatever the request
        # does (a GET commits nothing else; a refused POST rolls back only its own changes).
        login.last_seen_at = now
        db.commit(session)
    user.login_session_id = login.id
    return user
