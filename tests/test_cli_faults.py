"""The machine's faults in every command (issue 12): a full disk, a folder that cannot be written,
a database that does not answer. One line starting "Error:", exit 1, no traceback, and the truth
about what was changed; any other exception is a bug and keeps its traceback.

The tests run as root, where chmod stops nothing: a read-only folder and a full disk are
simulated by making the real write point (the temporary file's creation, its ``write``) fail
with the errno the kernel gives, for the files of the target only.
"""
from __future__ import annotations

import errno
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import Pool

from portal import create_app, faults
from portal.translation.catalogs import load_po
from portal.translation.pofile import dumps
from tests.conftest import PASSWORD, ROOT, close_app

UNREACHABLE = {
    "sqlite-folder-missing": "sqlite:///{tmp}/no-such-folder/portal.sqlite3",
    "postgresql-nobody-listening": "postgresql+psycopg://nobody@127.0.0.1:1/portal",
}

# Every command that uses the database (`flask translate extract` only reads the project).
DATABASE_COMMANDS = [
    ["users", "list"], ["users", "create", "ana", "--password", PASSWORD], ["users", "set-role", "ana", "reviewer", "es"],
    ["users", "disable", "ana"], ["users", "enable", "ana"],
    ["translate", "update"], ["translate", "import"], ["translate", "export"], ["translate", "publish"],
    ["translate", "status"], ["translate", "check", "es"],
    ["review", "approve", "es", "--reviewer", "rita", "--all"], ["review", "export"],
    ["db", "upgrade"], ["demo"],
]


def one_error_line(result) -> str:
    """The failed command's whole output: exactly one line, "Error: ...", and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"a traceback: {result.exception!r}"
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and "[SQL" not in result.output
    return lines[0]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module", params=sorted(UNREACHABLE))
def unreachable_app(request, tmp_path_factory):
    """An app whose database cannot be reached (create_app itself never touches it)."""
    tmp = tmp_path_factory.mktemp("unreachable")
    shutil.copytree(ROOT / "translations", tmp / "translations")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": UNREACHABLE[request.param].format(tmp=tmp),
                      "TRANSLATIONS_DIR": str(tmp / "translations"), "PUBLISHED_DIR": str(tmp / "published"),
                      "UPLOAD_DIR": str(tmp / "uploads")})
    yield app, tmp
    close_app(app)


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=" ".join)
def test_a_database_that_cannot_be_reached_is_one_line(unreachable_app, args):
    app, tmp = unreachable_app
    before = files_of(tmp / "translations")
    line = one_error_line(app.test_cli_runner().invoke(args=args))
    assert line.startswith("Error: the database is not answering (")
    assert "Nothing was changed." in line and "DATABASE_URL" in line
    assert ("unable to open database file" in line or "Connection refused" in line), line
    assert files_of(tmp / "translations") == before
    assert not (tmp / "no-such-folder").exists()


def test_the_real_flask_command_prints_one_line_and_no_traceback(tmp_path):
    """Through the `flask` executable (FlaskGroup finds the command), not only the test runner."""
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    env = {**os.environ, "FLASK_INSTANCE_PATH": str(tmp_path / "instance"), "FLASK_SECRET_KEY": "test-secret",
           "FLASK_DATABASE_URL": f"sqlite:///{tmp_path}/no-such-folder/portal.sqlite3",
           "FLASK_TRANSLATIONS_DIR": str(tmp_path / "translations")}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "users", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the database is not answering ("), done.stderr
    assert f"{tmp_path}/no-such-folder/portal.sqlite3: unable to open database file" in lines[0]


# --- Files: the real write point fails -----------------------------------------------------------

def is_temporary_of(target: Path, path) -> bool:
    """Whether ``path`` is a temporary file ``atomic_write`` makes for ``target``."""
    path = Path(os.fsdecode(path))
    return path.parent == target.parent and path.name.startswith(f".{target.name}.") and path.name.endswith(".tmp")


def read_only_folder(monkeypatch, target: Path) -> None:
    """Creating a file next to ``target`` fails as on a read-only file system (EROFS)."""
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and is_temporary_of(target, path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)


class FullDisk(io.FileIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk(monkeypatch, target: Path) -> None:
    """Writing the bytes of a new ``target`` fails as on a full disk (ENOSPC; ``write`` gives no name)."""
    real_fdopen = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        if "w" in mode and is_temporary_of(target, os.readlink(f"/proc/self/fd/{fd}")):
            return FullDisk(fd, "wb")
        return real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)


def stale_template(app) -> tuple[Path, bytes]:
    """Drop one message from the app's template, so `flask translate extract` has to write it."""
    template = Path(app.config["TRANSLATIONS_DIR"]) / "messages.pot"
    catalog = load_po(template)
    catalog.remove(catalog.find("Skip to main content"))
    template.write_text(dumps(catalog), encoding="utf-8")
    return template, template.read_bytes()


def no_temporary_files(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_extract_into_a_read_only_folder_is_one_line_and_changes_nothing(app, runner, monkeypatch):
    template, before = stale_template(app)
    read_only_folder(monkeypatch, template)
    line = one_error_line(runner.invoke(args=["translate", "extract"]))
    assert line == (f"Error: cannot write {template}: the file system is read-only. Nothing was changed. Make "
                    "the folder writable for the user running the command (or run it as the user who owns it), "
                    "then run it again.")
    assert template.read_bytes() == before
    no_temporary_files(template.parent)


def test_extract_on_a_full_disk_is_one_line_and_changes_nothing(app, runner, monkeypatch):
    template, before = stale_template(app)
    full_disk(monkeypatch, template)
    line = one_error_line(runner.invoke(args=["translate", "extract"]))
    assert line == (f"Error: the disk is full ({template}). Nothing was changed. Free some space and run the "
                    "command again.")
    assert template.read_bytes() == before
    no_temporary_files(template.parent)


def test_export_on_a_full_disk_keeps_the_old_file(work, runner, monkeypatch):
    target = work.paths.po("es")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"# last week's export\n")
    full_disk(monkeypatch, target)
    line = one_error_line(runner.invoke(args=["translate", "export", "es"]))
    assert line.startswith(f"Error: the disk is full ({target}). Nothing was changed.")
    assert target.read_bytes() == b"# last week's export\n"
    no_temporary_files(target.parent)


def test_export_that_fails_half_way_says_which_files_it_wrote(work, runner, monkeypatch):
    """Each file is written whole or not at all, one locale after another: Spanish is written
    before the Vietnamese file fails, so "nothing was changed" would be false."""
    spanish, vietnamese = work.paths.po("es"), work.paths.po("vi")
    read_only_folder(monkeypatch, vietnamese)
    result = runner.invoke(args=["translate", "export", "es", "vi"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.splitlines() == [
        f"{spanish}: written.",
        f"Error: cannot write {vietnamese}: the file system is read-only. Done before the failure, and kept: "
        f"wrote {spanish}; nothing else was changed. Make the folder writable for the user running the command "
        "(or run it as the user who owns it), then run it again."]
    assert spanish.exists() and not vietnamese.exists()
    assert not (work.paths.translations_dir / "vi").exists(), "the folders made for the file are gone too"


def test_review_export_into_a_folder_without_permission_is_one_line(runner, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "trail.csv"
    out.write_text("last week's export\n")
    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and is_temporary_of(out, path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    line = one_error_line(runner.invoke(args=["review", "export", "--output", str(out)]))
    assert line.startswith(f"Error: cannot write {out}: permission denied. Nothing was changed.")
    assert out.read_text() == "last week's export\n"
    assert [p.name for p in folder.iterdir()] == ["trail.csv"]


# --- The database's own disk (SQLite's max_page_count: the real "database or disk is full") --------

@pytest.fixture
def small_sqlite_disk():
    """Every SQLite connection opened from now on (the app's, Alembic's) may grow only to
    ``limit(pages)`` pages, or its current size if larger: SQLite then fails as on a full disk."""
    pages = {"limit": None}

    def limit(dbapi_connection, _record):
        if pages["limit"] is not None:
            now = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {max(pages['limit'], now)}")

    event.listen(Pool, "connect", limit)
    yield lambda count: pages.update(limit=count)
    event.remove(Pool, "connect", limit)


def test_a_write_on_the_databases_full_disk_changes_nothing(app, runner, work, small_sqlite_disk):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite's own disk")
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    # A write that needs many new pages: the shipped Spanish drafts imported (hundreds of texts and
    # their history), where the database may not grow by one page.
    target = Path(app.config["TRANSLATIONS_DIR"]) / "es" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po", target / "messages.po")
    small_sqlite_disk(0)  # no page more than it has now
    app.extensions["db_engine"].dispose()
    result = runner.invoke(args=["translate", "import", "es"])
    assert one_error_line(result) == (
        f"Error: the database's disk is full ({database}) (database or disk is full). Nothing was changed. "
        "Free some space and run the command again.")
    small_sqlite_disk(None)
    app.extensions["db_engine"].dispose()
    assert not work.unit("es", "Infections").translated  # nothing of the import was kept


def test_a_migration_stopped_by_a_full_disk_says_what_it_left(tmp_path, empty_catalogs, small_sqlite_disk):
    """SQLite commits a migration's CREATE and ALTER as they run: "nothing was changed" would be false."""
    shutil.copytree(empty_catalogs, tmp_path / "translations")
    database = tmp_path / "portal.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{database}",
                      "TRANSLATIONS_DIR": str(tmp_path / "translations"), "PUBLISHED_DIR": str(tmp_path / "published"),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    small_sqlite_disk(20)
    try:
        line = one_error_line(app.test_cli_runner().invoke(args=["db", "upgrade"]))
    finally:
        close_app(app)
    assert line.startswith(f"Error: the database's disk is full ({database}) (database or disk is full). "
                           "Done before the failure, and kept: committed ")
    assert ("may have changed the database's tables part-way, which SQLite does not undo (if `flask db upgrade` "
            "then fails, restore the database from a backup); nothing else was changed.") in line
    assert "Nothing was changed" not in line


# --- What is a fault, what is a bug --------------------------------------------------------------

def sqlite_error(message: str, code: int, kind=sqlite3.OperationalError):
    error = kind(message)
    error.sqlite_errorcode = code
    return error


class PostgresDiskFull(Exception):
    sqlstate = "53100"


@pytest.mark.parametrize("error, expected", [
    (OSError(errno.ENOSPC, "No space left on device", "/srv/t/messages.po"),
     "the disk is full (/srv/t/messages.po). Nothing was changed."),
    (OSError(errno.EDQUOT, "Disk quota exceeded", "/srv/t/messages.po"), "the disk is full (/srv/t/messages.po)."),
    (OSError(errno.EROFS, "Read-only file system", "/srv/t"), "cannot write /srv/t: the file system is read-only."),
    (OSError(errno.EPERM, "Operation not permitted", "/srv/t"), "cannot write /srv/t: permission denied"),
    (OperationalError("SELECT secret FROM users", {}, sqlite_error("database is locked", 5)),
     "the database is not answering (database is locked). Nothing was changed."),
    (OperationalError("INSERT INTO edits VALUES (?)", {}, sqlite_error("database or disk is full", 13)),
     "the database's disk is full (database or disk is full)."),
    (OperationalError("UPDATE units SET x = 1", {}, sqlite_error("attempt to write a readonly database", 8)),
     "cannot write the database (attempt to write a readonly database)."),
    (OperationalError("INSERT INTO units VALUES (1)", {}, PostgresDiskFull("could not extend file \"base/1/2\": "
                                                                           "No space left on device\nHINT: x")),
     "the database's disk is full (could not extend file \"base/1/2\": No space left on device)."),
    (InterfaceError("SELECT 1", {}, Exception("the connection is closed")),
     "the database is not answering (the connection is closed)."),
    (PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"),
     "the database is not answering (QueuePool limit of size 5 overflow 10 reached, connection timed out, "
     "timeout 30.00)."),
])
def test_faults_are_worded_without_sql(error, expected):
    line = faults.describe(error)
    assert line is not None and line.startswith(expected), line
    assert "SELECT" not in line and "INSERT" not in line and "UPDATE" not in line and "\n" not in line


@pytest.mark.parametrize("error", [
    RuntimeError("a bug"),
    KeyError("a bug"),
    FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/t/messages.pot"),
    OSError("disk full"),  # no errno: not the kernel's words
    OperationalError("SELECT nope FROM units", {}, sqlite_error("no such column: nope", 1)),
    OperationalError("SELECT 1", {}, sqlite3.OperationalError("near \"SELEC\": syntax error")),
    InterfaceError("SELECT ?", {}, sqlite_error("Error binding parameter 1", 1, sqlite3.InterfaceError)),
])
def test_bugs_are_not_faults(error):
    assert faults.describe(error) is None


def test_only_faults_lose_their_traceback(runner, monkeypatch):
    """The same command, failing in different ways: the machine's faults are one line; a bug keeps
    its exception (and so its traceback); the command's own errors are left as they were."""
    from portal.people import accounts

    cases = [(OSError(errno.ENOSPC, "No space left on device", "/srv/x"), True),
             (OperationalError("SELECT 1", {}, sqlite_error("database is locked", 5)), True),
             (RuntimeError("a bug"), False),
             (OperationalError("SELECT nope FROM users", {}, sqlite_error("no such column: nope", 1)), False),
             (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/x"), False)]
    for error, reported in cases:
        def failing(_session, error=error):
            raise error

        monkeypatch.setattr(accounts, "list_users", failing)
        result = runner.invoke(args=["users", "list"])
        assert result.exit_code == 1, error
        if reported:
            one_error_line(result)
        else:
            assert result.exception is error, "a bug keeps its traceback"
    result = runner.invoke(args=["users", "create", "x", "--role", "reviewer"])
    assert one_error_line(result) == "Error: Give --role and --locale together (or neither)."


def test_every_portal_command_reports_faults(app):
    """One place (cli.init_app) covers every command, including ones added later."""
    def leaves(command):
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield from leaves(sub)
        else:
            yield command

    found = [command for top in app.cli.commands.values() for command in leaves(top)]
    assert {c.name for c in found} >= {"extract", "update", "import", "export", "publish", "status", "check",
                                       "create", "set-role", "disable", "enable", "list", "approve", "upgrade", "demo"}
    assert all(getattr(c.callback, "reports_faults", False) for c in found), \
        [c.name for c in found if not getattr(c.callback, "reports_faults", False)]
