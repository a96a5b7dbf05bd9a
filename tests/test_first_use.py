"""The first command or request on a database that is not at the newest migration.

The embedded SQLite default is upgraded on first use, and the upgrade carries the translations
folder into the database (units from the template for every locale, each working ``.po`` taken
over as it is); any other database (PostgreSQL, or SQLite with SQLITE_AUTO_UPGRADE off, which
stands in for it on the SQLite run) is left alone, with one line saying to run
`flask db upgrade` (commands) or a 503 page (the web).
"""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import case, func, inspect, select, text

from portal import create_app
from portal.db import current_revisions, head_revisions, upgrade
from portal.locales import TRANSLATED_LOCALES
from tests.conftest import PASSWORD, ROOT, close_app, csrf_token, database_url
from tests.test_pages import assert_security_headers

HEAD = ", ".join(head_revisions())
FIRST_COMMANDS = [["users", "list"], ["translate", "status"], ["translate", "publish", "es"],
                  ["review", "export"], ["users", "create", "ana", "--password", PASSWORD]]


def app_on(tmp_path, catalogs, url: str, **config):
    """An app on its own folders and ``url`` (``catalogs`` copied as its translations folder), its
    database left exactly as it is."""
    translations = tmp_path / "translations"
    if not translations.exists():
        shutil.copytree(catalogs, translations)
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url,
                       "TRANSLATIONS_DIR": str(translations), "PUBLISHED_DIR": str(tmp_path / "published"),
                       "UPLOAD_DIR": str(tmp_path / "uploads"), **config})


def tables(app) -> set[str]:
    with app.extensions["db_engine"].connect() as connection:
        return set(inspect(connection).get_table_names())


def units_by_locale(app) -> dict[str, tuple[int, int]]:
    """Per locale: how many live units, and how many of them hold a translation."""
    from portal.translation.models import Unit

    with app.extensions["db"]() as session:
        rows = session.execute(select(Unit.locale, func.count(), func.sum(case((Unit.translated, 1), else_=0)))
                               .where(Unit.obsolete.is_(False)).group_by(Unit.locale)).all()
    return {locale: (count, translated) for locale, count, translated in rows}


def template_size(app) -> int:
    from portal.translation.catalogs import load_po
    from portal.translation.template import live_entries

    return len(live_entries(load_po(Path(app.config["TRANSLATIONS_DIR"]) / "messages.pot")))


@pytest.fixture
def fresh_sqlite(tmp_path, empty_catalogs):
    """The embedded default on a fresh clone: a SQLite file nobody has upgraded (on every run,
    PostgreSQL's included: this is the SQLite behaviour)."""
    app = app_on(tmp_path, empty_catalogs, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    yield app
    close_app(app)


@pytest.fixture
def not_embedded(tmp_path, empty_catalogs):
    """A database the portal must not migrate by itself: CI's PostgreSQL (a fresh schema) when
    TEST_DATABASE_URL is set, else SQLite with SQLITE_AUTO_UPGRADE off."""
    url = database_url(tmp_path)
    forced = {"SQLITE_AUTO_UPGRADE": False} if url.startswith("sqlite") else {}
    app = app_on(tmp_path, empty_catalogs, url, **forced)
    yield app
    close_app(app)


# --- the embedded SQLite default: upgraded on first use ------------------------------------------

@pytest.mark.parametrize("command", FIRST_COMMANDS, ids=" ".join)
def test_the_first_command_on_a_fresh_clone_upgrades_the_database(fresh_sqlite, command):
    assert current_revisions(fresh_sqlite.extensions["db_engine"]) == ()
    result = fresh_sqlite.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Traceback" not in result.output
    assert current_revisions(fresh_sqlite.extensions["db_engine"]) == head_revisions()
    # ... and every locale has its units: the template merged in, none translated yet.
    size = template_size(fresh_sqlite)
    assert units_by_locale(fresh_sqlite) == {loc.code: (size, 0) for loc in TRANSLATED_LOCALES}


def test_the_first_request_after_an_upgrade_takes_the_working_catalogs_over(tmp_path):
    """An installation that kept its translations in .po files and runs this code for the first
    time: its embedded database is upgraded by the first request, and every text of its catalogs
    is in the units (as written outside the portal), the repository's drafts served to nobody."""
    from portal.translation.catalogs import load_po
    from portal.translation.identity import is_translated

    app = app_on(tmp_path, ROOT / "translations", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        upgrade(app.config["DATABASE_URL"], "0006")  # the installation as the previous release left it
        # A staff page waits for the upgrade (a family page would not: it gets English meanwhile).
        assert app.test_client().get("/login").status_code == 200
        assert current_revisions(app.extensions["db_engine"]) == head_revisions()
        response = app.test_client().get("/es/tests")
        assert response.status_code == 200
        size = template_size(app)
        expected = {}
        for loc in TRANSLATED_LOCALES:
            catalog = load_po(Path(app.config["TRANSLATIONS_DIR"]) / loc.code / "LC_MESSAGES" / "messages.po")
            expected[loc.code] = (size, sum(1 for e in catalog if e.msgid and not e.obsolete and is_translated(e)))
        assert units_by_locale(app) == expected
        assert all(translated > 0 for _, translated in expected.values())
        # Nobody approved the drafts: the page is English, and says parts are not yet reviewed.
        html = response.get_data(as_text=True)
        assert "Pruebas cuando la leucemia vuelve" not in html and "Tests when leukemia comes back" in html
        assert "not yet reviewed in this language" in html
    finally:
        close_app(app)


def test_the_factory_itself_never_touches_the_database(fresh_sqlite, tmp_path):
    """STYLE.md: a create_app that migrates surprises people. Only first use does."""
    assert tables(fresh_sqlite) == set()
    assert fresh_sqlite.test_cli_runner().invoke(args=["translate", "extract", "--help"]).exit_code == 0
    assert tables(fresh_sqlite) == set()


def test_a_database_at_an_older_revision_is_brought_to_head_keeping_its_rows(fresh_sqlite):
    url = fresh_sqlite.config["DATABASE_URL"]
    upgrade(url, "0002")
    with fresh_sqlite.extensions["db_engine"].begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at, "
            "session_token) VALUES (1, 'rita', 'Rita', 'x', 0, 1, '2026-01-02 03:04:05', :token)"),
            {"token": "t" * 64})
    result = fresh_sqlite.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert "rita" in result.output
    assert current_revisions(fresh_sqlite.extensions["db_engine"]) == head_revisions()


def test_the_first_request_on_a_fresh_clone_upgrades_the_database(fresh_sqlite):
    client = fresh_sqlite.test_client()
    assert client.get("/es/tests").status_code == 200
    # The request started the upgrade; on a busy machine it may take longer than a family is kept
    # waiting (FAMILY_DB_PATIENCE: the page is served meanwhile), so wait for it to finish.
    deadline = time.monotonic() + 60
    while current_revisions(fresh_sqlite.extensions["db_engine"]) != head_revisions() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert current_revisions(fresh_sqlite.extensions["db_engine"]) == head_revisions()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "nobody",
                                           "password": PASSWORD})
    assert response.status_code == 401, "a refused login, not a missing table"


def test_workers_starting_together_upgrade_once(tmp_path, empty_catalogs):
    """Every worker of a fresh install may take its first request at the same moment."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    apps = [app_on(tmp_path, empty_catalogs, url) for _ in range(4)]
    statuses, errors = [], []

    def first_request(app):
        try:
            client = app.test_client()
            statuses.append(client.post("/login", data={"csrf_token": csrf_token(client),
                                                        "username": "nobody", "password": "x"}).status_code)
        except Exception as exc:  # noqa: BLE001  (reported below, with the thread's own error)
            errors.append(exc)

    threads = [threading.Thread(target=first_request, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == [] and statuses == [401] * 4
        assert current_revisions(apps[0].extensions["db_engine"]) == head_revisions()
    finally:
        for app in apps:
            close_app(app)


def test_tables_made_without_alembic_are_taken_as_they_are(fresh_sqlite):
    """Base.metadata.create_all (as the gate's property test does) has no revision to compare."""
    from portal.db import Base

    Base.metadata.create_all(fresh_sqlite.extensions["db_engine"])
    result = fresh_sqlite.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert "alembic_version" not in tables(fresh_sqlite)


# --- any other database: one line that says what to run, or a 503 -------------------------------

def one_line_error(app, command=("users", "list")) -> str:
    result = app.test_cli_runner().invoke(args=list(command))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), "one line, not a traceback"
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def refused(app, command=("users", "list")) -> str:
    output = one_line_error(app, command)
    assert "Run `flask db upgrade`" in output
    return output


@pytest.mark.parametrize("command", FIRST_COMMANDS, ids=" ".join)
def test_a_command_on_an_empty_database_says_to_upgrade_and_changes_nothing(not_embedded, command):
    output = refused(not_embedded, command)
    assert f"The database is at revision none (no tables yet), but this code needs {HEAD}." in output
    assert tables(not_embedded) == set()


def test_a_command_on_a_database_behind_names_both_revisions(not_embedded):
    upgrade(not_embedded.config["DATABASE_URL"], "0002")
    output = refused(not_embedded)
    assert f"The database is at revision 0002, but this code needs {HEAD}." in output
    assert current_revisions(not_embedded.extensions["db_engine"]) == ("0002",)


def test_after_flask_db_upgrade_the_same_process_carries_on(not_embedded):
    runner = not_embedded.test_cli_runner()
    refused(not_embedded)
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("url", ["/login", "/review/", "/translate/es/"])
def test_a_request_on_a_database_behind_gets_a_503_that_says_what_to_do(not_embedded, url):
    response = not_embedded.test_client().get(url, headers={"Accept-Language": "es"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Run `flask db upgrade`" in html and f"needs {HEAD}" in html
    assert_security_headers(response)
    assert tables(not_embedded) == set()


def test_families_keep_reading_in_english_while_the_database_is_behind(not_embedded, caplog):
    """A family page needs only the served catalog: with a database nobody migrated, families get
    the page (English, with the usual notice) and the log says what to run; nothing is created."""
    client = not_embedded.test_client()
    assert client.get("/", headers={"Accept-Language": "es"}).status_code == 302
    response = client.get("/es/tests")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="es"' in html and "Tests when leukemia comes back" in html  # English, in the Spanish page
    assert_security_headers(response)
    assert "Run `flask db upgrade`" in caplog.text
    assert tables(not_embedded) == set()


def test_static_files_are_served_while_the_database_is_behind(not_embedded):
    response = not_embedded.test_client().get("/static/portal.css")
    assert response.status_code == 200
    response.close()


def test_a_database_upgraded_by_newer_code_is_never_touched(fresh_sqlite):
    """Also on SQLite: a revision this code does not know cannot be upgraded from."""
    upgrade(fresh_sqlite.config["DATABASE_URL"])
    with fresh_sqlite.extensions["db_engine"].begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    output = one_line_error(fresh_sqlite)
    assert "revision 9999, which this code does not know" in output
    assert fresh_sqlite.test_client().get("/login").status_code == 503

