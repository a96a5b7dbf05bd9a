"""Faults of the machine, not of the code: a full disk, a folder the command may not write, a
database that does not answer. Every command reports them in one line and exits 1.

``report_faults`` wraps a click command (every command of a group) so that, while it runs,

* an ``OSError`` ENOSPC/EDQUOT (the disk is full) or EROFS/EACCES/EPERM (read-only, permission
  denied), and
* SQLAlchemy's ``OperationalError``, ``InterfaceError`` and ``TimeoutError`` (the database
  is unreachable, locked, timed out; for SQLite also its full or read-only disk)

become a ``click.ClickException``: one line, no traceback. Any other exception is a bug and keeps
its traceback; a ``ClickException`` a command raises itself is left exactly as it is.

The line says what the command had already done, because "nothing was changed" is only true when
it is: the command's ``atomic_write``\\ s, database commits and (SQLite) schema changes are
recorded while it runs. A file is written whole or not at all (``catalogs.atomic_write``) and a
transaction that fails is rolled back, so what was not recorded did not happen.
"""
from __future__ import annotations

import errno
import functools
import re
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from portal.translation.catalogs import recording_writes

DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
NOT_WRITABLE = {errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                errno.EPERM: "permission denied (operation not permitted)"}
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)
# SQLite raises OperationalError for bugs too ("no such column", a syntax error) and InterfaceError
# for a parameter it cannot bind: only these primary result codes are the machine's.
SQLITE_FULL, SQLITE_READONLY, SQLITE_PERM = 13, 8, 3
SQLITE_NOT_ANSWERING = {5, 6, 10, 14, 15, 26}  # BUSY, LOCKED, IOERR, CANTOPEN, PROTOCOL, NOTADB
SQLITE_MESSAGES = {"database or disk is full": SQLITE_FULL, "attempt to write a readonly database": SQLITE_READONLY,
                   "database is locked": 5, "database table is locked": 6, "disk I/O error": 10,
                   "unable to open database file": 14, "file is not a database": 26}
POSTGRES_DISK_FULL = "53100"
SHOWN_FILES = 3


@dataclass
class Done:
    """What a command did that stays, recorded while it runs."""
    files: list[Path] = field(default_factory=list)
    commits: int = 0
    schema: bool = False  # SQLite ran CREATE/ALTER/DROP: it commits those by itself, no rollback undoes them

    def sentence(self) -> str:
        if not self.files and not self.commits and not self.schema:
            return "Nothing was changed."
        parts = []
        if self.files:
            shown = ", ".join(str(path) for path in self.files[:SHOWN_FILES])
            more = len(self.files) - SHOWN_FILES
            parts.append(f"wrote {shown}" + (f" and {more} more file(s)" if more > 0 else ""))
        if self.commits:
            parts.append(f"committed {self.commits} database transaction(s)")
        if self.schema:
            parts.append("may have changed the database's tables part-way, which SQLite does not undo (if "
                         "`flask db upgrade` then fails, restore the database from a backup)")
        return f"Done before the failure, and kept: {'; '.join(parts)}; nothing else was changed."


_done: ContextVar[Done | None] = ContextVar("faults_done", default=None)


@event.listens_for(Engine, "commit")
def _count_commit(_connection) -> None:
    """Every engine's commits (the app's sessions and Alembic's), counted only inside a command.
    Counted as the commit starts: one that fails half-way may have been kept, so it counts."""
    done = _done.get()
    if done is not None:
        done.commits += 1


@event.listens_for(Engine, "before_cursor_execute")
def _notice_schema_change(connection, _cursor, statement, *_args) -> None:
    """A migration on SQLite: its DDL is committed as it runs, outside any transaction counted."""
    done = _done.get()
    if done is not None and not done.schema and connection.dialect.name == "sqlite" \
            and statement.lstrip()[:6].upper() in ("CREATE", "ALTER ", "DROP T", "DROP I"):
        done.schema = True


@contextmanager
def recording():
    """Record what the block writes (files through ``atomic_write``, database commits)."""
    done = Done()
    token = _done.set(done)
    try:
        with recording_writes() as written:
            done.files = written
            yield done
    finally:
        _done.reset(token)


def _one_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of ``text``, without SQLAlchemy's link, at most ``limit`` long."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = re.sub(r"\s*\(Background on this error at: [^)]*\)$", "", line)
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _database_reason(exc: SQLAlchemyError) -> str:
    """The driver's first line, never the SQL (SQLAlchemy's own text ends with the statement)."""
    orig = getattr(exc, "orig", None)
    return _one_line(str(orig) if orig is not None else str(exc)) or type(exc).__name__


def _database_fault(exc: SQLAlchemyError) -> str | None:
    """"full", "read-only" or "not answering"; None when the error is the code's (a bug)."""
    if isinstance(exc, PoolTimeoutError):
        return "not answering"  # every connection of the pool stayed busy
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        code = SQLITE_MESSAGES.get(str(orig).strip()) if code is None else code & 0xFF
        if not isinstance(orig, sqlite3.OperationalError) or code is None:
            return None
        return {SQLITE_FULL: "full", SQLITE_READONLY: "read-only", SQLITE_PERM: "read-only"}.get(
            code, "not answering" if code in SQLITE_NOT_ANSWERING else None)
    if getattr(orig, "sqlstate", None) == POSTGRES_DISK_FULL:
        return "full"
    return "not answering"  # a server's driver: OperationalError and InterfaceError are about the connection


def _where(filename) -> str:
    return f" ({filename})" if filename else ""


def describe(exc: BaseException, done: Done | None = None) -> str | None:
    """The one line for a fault of the machine, or None when ``exc`` is not one (a bug)."""
    done = done or Done()
    if isinstance(exc, OSError):
        name = exc.filename
        if exc.errno in DISK_FULL:
            return (f"the disk is full{_where(name)}. {done.sentence()} "
                    "Free some space and run the command again.")
        if exc.errno in NOT_WRITABLE:
            target = f"cannot write {name}" if name else "cannot write a file"
            return (f"{target}: {NOT_WRITABLE[exc.errno]}. {done.sentence()} Make the folder writable for "
                    "the user running the command (or run it as the user who owns it), then run it again.")
        return None
    if isinstance(exc, DATABASE_ERRORS):
        kind, reason, database = _database_fault(exc), _database_reason(exc), _sqlite_file()
        if kind == "full":
            return (f"the database's disk is full{_where(database)} ({reason}). {done.sentence()} "
                    "Free some space and run the command again.")
        if kind == "read-only":
            return (f"cannot write the database{_where(database)} ({reason}). {done.sentence()} Make the "
                    "file and its folder writable for the user running the command, then run it again.")
        if kind == "not answering":
            reason = f"{database}: {reason}" if database else reason
            return (f"the database is not answering ({reason}). {done.sentence()} Check that it is running "
                    "and that DATABASE_URL is right, then run the command again.")
    return None


def is_fault(exc: BaseException) -> bool:
    """Whether ``report_faults`` reports ``exc`` (a command's own ``except OSError`` lets these pass,
    so that every command words them the same way)."""
    return describe(exc) is not None


def _sqlite_file() -> str | None:
    """The app's SQLite file, when its database is one (to name it in the message)."""
    try:
        url = make_url(current_app.config["DATABASE_URL"])
    except Exception:  # no app context, or a URL that does not parse: leave the name out
        return None
    return url.database if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
        else None


def report_faults(command: click.Command) -> None:
    """Make ``command`` (every command of it, for a group) report the machine's faults in one
    line. Safe to call again on the same command (each app built registers the same ones)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            report_faults(sub)
    callback = command.callback
    if callback is None or getattr(callback, "reports_faults", False):
        return

    @functools.wraps(callback)
    def reporting(*args, **kwargs):
        with recording() as done:
            try:
                return callback(*args, **kwargs)
            except (OSError, SQLAlchemyError) as exc:  # a ClickException (the command's own words) passes
                message = describe(exc, done)
                if message is None:
                    raise
                raise click.ClickException(message) from None

    reporting.reports_faults = True
    command.callback = reporting
