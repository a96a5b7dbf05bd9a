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
import threading
from contextlib import contextmanager
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import make_url
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


def make_engine(url: str):
    """An engine for ``url``; SQLite gets foreign keys and a busy timeout for several workers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
    app.cli.add_command(db_cli)


def get_session() -> Session:
    """The session for this request or CLI command (the schema checked on first use)."""
    if "db_session" not in g:
        require_schema()
        g.db_session = current_app.extensions["db"]()
    return g.db_session


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
    current = current_revisions(engine)
    if current is not None and current != heads:
        if set(current) - {script.revision for script in _migrations().walk_revisions()}:
            raise DatabaseNotReady(f"The database is at revision {_describe(current)}, which this code does not "
                                   f"know (it needs {_describe(heads)}): it was upgraded by a newer version of the "
                                   "portal. Run that version, or restore a backup made for this one.")
        database = _embedded_file(app.config)
        if database is None:
            raise DatabaseNotReady(f"The database is at revision {_describe(current)}, but this code needs "
                                   f"{_describe(heads)}. Run `flask db upgrade`, then try again.")
        with _upgrade_lock(database):
            current = current_revisions(engine)  # another process may have done it meanwhile
            if current is not None and current != heads:
                upgrade(app.config["DATABASE_URL"], translations_dir=app.config.get("TRANSLATIONS_DIR"),
                        content_dir=app.config.get("CONTENT_DIR"))
                log.warning("upgraded the database %s from revision %s to %s on first use",
                            database, _describe(current), _describe(heads))
    app.extensions["db_schema_ready"] = True


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision):
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(current_app.config["DATABASE_URL"], revision, translations_dir=current_app.config.get("TRANSLATIONS_DIR"),
            content_dir=current_app.config.get("CONTENT_DIR"))
    click.echo(f"Database is at {revision}.")
