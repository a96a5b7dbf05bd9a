"""The database: one engine per app, one session per request, Alembic migrations.

``flask db upgrade`` applies the migrations in ``portal/migrations``. The app
factory never touches the database (a factory that migrates on import surprises
people, and tools that only build the app, such as ``flask --help``, must not
change anything). Instead the schema is checked on first use, once per process
(``require_schema``): by the first ``get_session()`` of a command, and before a
worker's first request (``portal.web``). A database that is behind is then

* the embedded SQLite default: upgraded there and then, under a file lock, so the
  first command on a fresh clone (``flask users list``) just works;
* anything else (PostgreSQL, shared by several hosts): left alone, with one line
  saying to run ``flask db upgrade`` (commands exit 1, pages answer 503), because
  a migration there is a deployment step someone should choose to take.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import functools
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g, has_app_context
from flask.cli import AppGroup
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InvalidRequestError, OperationalError
from sqlalchemy.exc import TimeoutError as DBTimeoutError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base for every model."""


def utcnow() -> dt.datetime:
    """Now, in UTC, as the naive datetime every table stores."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _enable_sqlite_foreign_keys(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_write_ahead_log(dbapi_connection, _record):
    """Readers never wait for a writer, nor a writer for readers (only writers queue): a family
    page or a staff list is not held up by a save or a publish in another process."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Every database call ends well before a worker is given up on (gunicorn's timeout is 30 s), so a
# request that cannot finish gets the portal's own answer, not a killed worker. Seconds; set in the
# config (DB_LOCK_TIMEOUT, DB_STATEMENT_TIMEOUT, DB_CONNECT_TIMEOUT) where needed.
TIMEOUTS = {"DB_LOCK_TIMEOUT": 10.0, "DB_STATEMENT_TIMEOUT": 20.0, "DB_CONNECT_TIMEOUT": 3.0}


class Watchdog:
    """A client-side deadline for every PostgreSQL call.

    ``statement_timeout`` and ``lock_timeout`` are enforced by the server: a server that is frozen
    (a stopped process, a hung host) enforces nothing, and libpq waits on its socket for ever,
    holding the request's thread. So each statement (and each check-out ping) is registered here
    with a deadline a little past the server's own; one thread per process shuts down the socket
    of any call past its deadline, which ends the wait with an error the request turns into the
    portal's "the database is not answering" page. The connection is then discarded by the pool.
    """

    def __init__(self):
        self._running: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_connection, seconds: float) -> None:
        try:
            fd = dbapi_connection.pgconn.socket
        except Exception:  # closed or broken already: nothing to watch
            return
        with self._lock:
            self._running[id(dbapi_connection)] = (time.monotonic() + seconds, fd)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, daemon=True, name="db-watchdog")
                self._thread.start()

    def disarm(self, dbapi_connection) -> None:
        with self._lock:
            self._running.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self._lock:
                late = [key for key, (deadline, _fd) in self._running.items() if deadline < now]
                fds = [self._running.pop(key)[1] for key in late]
            for fd in fds:
                log.error("the database did not answer a call in time; closing its connection")
                try:
                    _shutdown(fd)
                except OSError:
                    pass


def _shutdown(fd: int) -> None:
    """End every wait on this socket (the descriptor stays libpq's to close)."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    finally:
        sock.close()


WATCHDOG = Watchdog()


def _postgresql_deadlines(engine, timeouts: dict) -> None:
    """Arm the watchdog for each statement and each check-out ping; a dead connection found at
    check-out is replaced (what ``pool_pre_ping`` does, but with a deadline)."""
    statement = timeouts["DB_STATEMENT_TIMEOUT"] + 2
    ping = min(statement, timeouts["DB_CONNECT_TIMEOUT"])

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, _cursor, _statement, _parameters, _context, _many):
        WATCHDOG.arm(conn.connection.dbapi_connection, statement)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, _cursor, _statement, _parameters, _context, _many):
        WATCHDOG.disarm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _failed(context):
        if context.connection is not None and context.connection.connection is not None:
            try:
                WATCHDOG.disarm(context.connection.connection.dbapi_connection)
            except Exception:
                pass

    @event.listens_for(engine, "commit")
    def _arm_commit(conn):
        WATCHDOG.arm(conn.connection.dbapi_connection, statement)

    @event.listens_for(engine, "checkin")
    def _disarm_returned(dbapi_connection, _record):
        WATCHDOG.disarm(dbapi_connection)

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):
        WATCHDOG.arm(dbapi_connection, ping)
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise DisconnectionError(f"the connection did not answer a ping: {error}") from error
        finally:
            WATCHDOG.disarm(dbapi_connection)


def make_engine(url: str, config=None):
    """An engine for ``url`` whose every call is bounded (``TIMEOUTS``, overridable in ``config``).

    SQLite: the busy timeout (how long a write waits for another's lock), write-ahead logging,
    foreign keys. PostgreSQL: connect, statement, lock and idle-in-transaction timeouts on the
    server, a pool that does not wait longer than a lock would, and the watchdog for a server that
    cannot enforce its own timeouts."""
    timeouts = {key: float((config or {}).get(key, default)) for key, default in TIMEOUTS.items()}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": timeouts["DB_LOCK_TIMEOUT"]})
        event.listen(engine, "commit", _note_commit)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        if make_url(url).database not in (None, "", ":memory:"):
            event.listen(engine, "connect", _sqlite_write_ahead_log)
        return engine
    ms = {key: int(value * 1000) for key, value in timeouts.items()}
    options = (f"-c statement_timeout={ms['DB_STATEMENT_TIMEOUT']} -c lock_timeout={ms['DB_LOCK_TIMEOUT']} "
               f"-c idle_in_transaction_session_timeout={ms['DB_STATEMENT_TIMEOUT'] * 3}")
    given = make_url(url).query.get("options")  # the URL's own (e.g. a search_path) are kept, and win
    if given:
        options = " ".join([options, *([given] if isinstance(given, str) else given)])
    engine = create_engine(url, pool_timeout=timeouts["DB_LOCK_TIMEOUT"],
                           connect_args={"connect_timeout": max(1, round(timeouts["DB_CONNECT_TIMEOUT"])),
                                         "options": options})
    event.listen(engine, "commit", _note_commit)
    if engine.dialect.driver == "psycopg":
        _postgresql_deadlines(engine, timeouts)
    return engine


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config)
    app.extensions["db_engine"] = engine
    app.extensions["db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
    app.cli.add_command(db_cli)


class DatabaseNotAnswering(OperationalError):
    """Refused at once: the database failed to answer moments ago (``database_trouble``)."""

    def __init__(self, seconds: float):
        super().__init__("(the portal did not try)", None, Exception(
            f"the database did not answer a moment ago; the portal waits {seconds:.0f} s before trying again"))


# After a connection to the database failed or timed out, this app (in this process) does not try
# again for a few seconds (DB_RETRY_PAUSE): every request in that time gets its answer (the portal's
# 503 page) at once, instead of each waiting out its own connect timeout while the database is down.
PAUSE_KEY = "db_paused_until"


def database_trouble(error: Exception) -> None:
    """Called with each database error a request ends with: a connection that could not be made,
    was lost or timed out pauses this process's attempts (a locked table or a failed statement
    does not: the database answered)."""
    reason = str(getattr(error, "orig", error) or "").lower()
    if (isinstance(error, (DisconnectionError, DBTimeoutError)) or getattr(error, "connection_invalidated", False)
            or any(word in reason for word in ("timeout expired", "could not connect", "connection refused",
                                               "server closed the connection", "connection is lost"))):
        pause = float(current_app.config.get("DB_RETRY_PAUSE", 5.0))
        current_app.extensions[PAUSE_KEY] = time.monotonic() + pause


def _note_commit(_conn) -> None:
    """The request reached its commit: an error from here on may come after the database kept it."""
    if has_app_context():
        g.db_commit_started = True


def get_session() -> Session:
    """The session for this request or CLI command (the schema checked on first use).

    Refused at once (DatabaseNotAnswering) while this process pauses after a connection failure."""
    if "db_session" not in g:
        paused_until = current_app.extensions.get(PAUSE_KEY, 0.0)
        if time.monotonic() < paused_until:
            raise DatabaseNotAnswering(paused_until - time.monotonic())
        require_schema()
        g.db_session = current_app.extensions["db"]()
    return g.db_session


# -- Units of work ---------------------------------------------------------------------------------
#
# ``commit`` is the one place the portal commits (tests/test_unit_of_work.py checks that no other
# code calls ``.commit()``). Who calls it is the boundary of a unit of work (docs/design.md,
# invariant 11): a web request (``portal.web.unit_of_work``), a CLI command (``command_unit_of_work``
# below), and the operations whose work is two transactions by design (a review decision, then the
# publish it causes; the outbox's claim, send and mark; the record of a failed login, kept though
# the request is refused). Domain code only flushes.

AFTER_COMMIT = "after_commit"  # session.info key: [(transaction, action)] to run once that transaction commits


def after_commit(session: Session, action) -> None:
    """Run ``action()`` once the session's current transaction commits; never if it rolls back
    (a mail about a change nobody kept is never sent)."""
    session.info.setdefault(AFTER_COMMIT, []).append((session.get_transaction() or session.begin(), action))


def commit(session: Session) -> None:
    """Commit the session's transaction (on failure: rolled back, and the error raised), then run
    what was waiting for that commit. An action that fails is logged: the commit stands."""
    transaction = session.get_transaction()
    waiting = session.info.pop(AFTER_COMMIT, [])
    try:
        session.commit()
    except BaseException:
        try:  # ready for the next unit of work (not possible when the COMMIT itself was sent)
            session.rollback()
        except InvalidRequestError:
            pass
        raise
    for registered, action in waiting:
        if registered is not transaction:
            continue  # registered in a transaction that was rolled back since
        try:
            action()
        except Exception:
            log.exception("an action after a commit failed; what was committed stands")


def rollback(session: Session) -> None:
    """Undo the session's transaction; what waited for its commit is dropped."""
    session.info.pop(AFTER_COMMIT, None)
    session.rollback()


@contextmanager
def transaction(session: Session):
    """A unit of work of its own: committed (``commit``) when the block ends, rolled back if it raises."""
    try:
        yield session
    except BaseException:
        rollback(session)
        raise
    commit(session)


def command_unit_of_work(command: click.Command) -> None:
    """Make each of ``command``'s runs (every command of it, for a group) one unit of work: what it
    changed through ``get_session()`` is committed when it ends normally, and rolled back when it
    fails (a ``ClickException`` or any error), so a command that refuses changes nothing."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            command_unit_of_work(sub)
    callback = command.callback
    if callback is None or getattr(callback, "unit_of_work", False):
        return

    @functools.wraps(callback)
    def one_transaction(*args, **kwargs):
        try:
            result = callback(*args, **kwargs)
        except BaseException as exc:
            session = g.get("db_session") if has_app_context() else None
            if session is not None and not (isinstance(exc, SystemExit) and not exc.code):
                rollback(session)
            elif session is not None:
                commit(session)  # sys.exit(0) is a normal end
            raise
        session = g.get("db_session") if has_app_context() else None
        if session is not None:
            commit(session)
        return result

    one_transaction.unit_of_work = True
    command.callback = one_transaction


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", translations_dir: str | Path | None = None,
            content_dir: str | Path | None = None) -> None:
    """Bring the database at ``url`` to ``revision``.

    ``translations_dir`` (and ``content_dir``, for the checks' kept terms) are handed to the
    migrations: the one that moved the working catalogs into the database reads them from there.
    """
    config = alembic_config(url)
    config.attributes["translations_dir"] = translations_dir
    config.attributes["content_dir"] = content_dir
    command.upgrade(config, revision)


def next_revision_id(versions: Path | None = None) -> str:
    """The id of the next migration: the number after the newest one's (``0010``), so the files
    (``0010_reviewer_credentials.py``: the id, then the message's words) sort in the order they run."""
    folders = {MIGRATIONS / "versions", versions or MIGRATIONS / "versions"}
    numbers = [int(path.name[:4]) for folder in folders for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py")]
    return f"{max(numbers, default=0) + 1:04d}"


def new_revision(url: str, message: str, autogenerate: bool = True, versions: Path | None = None) -> Path:
    """Write the next migration (``flask db revision``): Alembic compares the database at ``url``,
    which must be at the newest revision, with the models (``portal.models``) and writes the
    operations that bring one to the other. Returns the new file; read it before committing it
    (autogenerate misses renames and data changes)."""
    config = alembic_config(url)
    folder = versions or MIGRATIONS / "versions"
    if versions is not None:  # tests: the new file elsewhere, the existing revisions still read
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join((str(MIGRATIONS / "versions"), str(versions))))
    script = command.revision(config, message=message, autogenerate=autogenerate,
                              rev_id=next_revision_id(versions), version_path=str(folder))
    return Path(script.path)


class DatabaseNotReady(click.ClickException):
    """The database is not at the schema this code needs, and is not migrated from here.

    A ClickException, so every command prints its one line and exits 1 instead of a
    traceback; the web answers 503 with the same words (``portal.web``).
    """


@functools.cache
def _migrations() -> ScriptDirectory:
    """This code's migrations (read once per process; the URL plays no part in reading them)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revisions() -> tuple[str, ...]:
    """The newest migration(s) in this code."""
    return tuple(sorted(_migrations().get_heads()))


def current_revisions(engine) -> tuple[str, ...] | None:
    """The database's revision(s); () for an empty database; None when the portal's tables
    exist without Alembic's record (made with ``Base.metadata.create_all``): taken as they are."""
    with engine.connect() as connection:
        found = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
        if not found and set(inspect(connection).get_table_names()) & set(Base.metadata.tables):
            return None
    return found


def _embedded_file(config) -> Path | None:
    """The SQLite file when the database is the embedded default and may be upgraded on first
    use (``SQLITE_AUTO_UPGRADE``, on unless set false); otherwise None."""
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not config.get("SQLITE_AUTO_UPGRADE", True):
        return None
    if url.database in (None, "", ":memory:"):
        return None  # a new, empty database on every connection: nothing to keep up to date
    return Path(url.database)


_upgrading = threading.Lock()


@contextmanager
def _upgrade_lock(database: Path):
    """One upgrade at a time across threads and processes (every worker may start together)."""
    with _upgrading, open(f"{database}.upgrade-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _describe(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) if revisions else "none (no tables yet)"


def require_schema() -> None:
    """Make sure the database is at this code's newest migration; once per app and process.

    Upgrades the embedded SQLite database (see the module docstring); raises DatabaseNotReady
    for any other database that is behind, and for one migrated by newer code than this.
    """
    app = current_app._get_current_object()
    if app.extensions.get("db_schema_ready"):
        return
    engine, heads = app.extensions["db_engine"], head_revisions()
    database = _embedded_file(app.config)
    if database is None:
        _refuse_other_revisions(current_revisions(engine), heads)
        app.extensions["db_schema_ready"] = True
        return
    try:
        current = current_revisions(engine)
    except OperationalError as error:
        # While another worker migrates the embedded file, even reading its revision can fail at
        # once ("database is locked"): wait for that upgrade (its lock), then read again.
        if "locked" not in str(error.orig).lower():
            raise
        current = ()
    if current is not None and current != heads:
        with _upgrade_lock(database):
            current = current_revisions(engine)  # another process may have done it meanwhile
            if current is not None and current != heads:
                _refuse_unknown_revisions(current, heads)
                upgrade(app.config["DATABASE_URL"], translations_dir=app.config.get("TRANSLATIONS_DIR"),
                        content_dir=app.config.get("CONTENT_DIR"))
                log.warning("upgraded the database %s from revision %s to %s on first use",
                            database, _describe(current), _describe(heads))
    app.extensions["db_schema_ready"] = True


def _refuse_unknown_revisions(current: tuple[str, ...], heads: tuple[str, ...]) -> None:
    if set(current) - {script.revision for script in _migrations().walk_revisions()}:
        raise DatabaseNotReady(f"The database is at revision {_describe(current)}, which this code does not "
                               f"know (it needs {_describe(heads)}): it was upgraded by a newer version of the "
                               "portal. Run that version, or restore a backup made for this one.")


def _refuse_other_revisions(current: tuple[str, ...] | None, heads: tuple[str, ...]) -> None:
    """A shared database (not migrated from here) must already be at this code's revision."""
    if current is not None and current != heads:
        _refuse_unknown_revisions(current, heads)
        raise DatabaseNotReady(f"The database is at revision {_describe(current)}, but this code needs "
                               f"{_describe(heads)}. Run `flask db upgrade`, then try again.")


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision):
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(current_app.config["DATABASE_URL"], revision, translations_dir=current_app.config.get("TRANSLATIONS_DIR"),
            content_dir=current_app.config.get("CONTENT_DIR"))
    click.echo(f"Database is at {revision}.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, in a few words.")
@click.option("--autogenerate/--empty", default=True, show_default=True,
              help="Compare the database (at the newest revision) with portal/models.py and write the difference.")
def revision_command(message, autogenerate):
    """Write the next migration into portal/migrations/versions (numbered after the newest)."""
    path = new_revision(current_app.config["DATABASE_URL"], message, autogenerate)
    click.echo(f"Wrote {path}. Read it, test the upgrade and the downgrade (tests/test_migrations.py), then commit it.")
