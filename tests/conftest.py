"""Shared fixtures: an app on temporary folders and database, a client, a CLI runner,
and helpers that act as translators and reviewers do."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import jinja2
import polib
import pytest
from hypothesis import HealthCheck, settings

from portal import create_app
from portal.db import transaction, upgrade
from portal.locales import TRANSLATED_LOCALES
from portal.paths import Paths
from portal.people.accounts import create_user, find_user, set_role
from portal.review.operations import approve_messages, publish_locale
from portal.translation import units
from portal.translation.catalogs import load_po
from portal.translation.files import entry_of
from portal.translation.operations import adopt_catalog, update_locales
from portal.translation.pofile import dumps

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis profiles (HYPOTHESIS_PROFILE): "ci", the default and what `make test` and .ci/run's
# SQLite pass use, explores the gate's state machine as deeply as it always has; "dev" (`make
# test-fast`, and .ci/run's second pass, on PostgreSQL) takes a quick look. Tests take their size from the profile.
settings.register_profile("ci", max_examples=60, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=10, stateful_step_count=10, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


SCHEMA_PREFIX = "portal_test_"
CREATED_SCHEMAS: list[str] = []  # this process's (each pytest-xdist worker sweeps only its own)


def database_url(tmp_path: Path) -> str:
    """SQLite in the test's folder; or, with TEST_DATABASE_URL (CI's PostgreSQL run), a fresh
    schema of its own on that server, chosen through libpq's search_path option."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = SCHEMA_PREFIX + uuid.uuid4().hex[:16]
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    CREATED_SCHEMAS.append(schema)
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def drop_test_schemas():
    """Leave the PostgreSQL server as it was: drop every schema this process made (most are
    already gone: each test's app drops its own when it closes)."""
    yield
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        for name in CREATED_DATABASES:  # the templates, and any a test left
            _drop_database(base, name)
    if not base or not CREATED_SCHEMAS:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    for schema in CREATED_SCHEMAS:  # one transaction each: dropping hundreds at once exhausts the lock table
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """scrypt with small parameters in tests (3 ms, not 90 ms a hash); production keeps the default."""
    from portal.people import accounts

    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture(scope="session")
def empty_catalogs(tmp_path_factory):
    """The committed template and no working catalogs: every unit starts untranslated."""
    folder = tmp_path_factory.mktemp("empty") / "translations"
    folder.mkdir()
    shutil.copy(ROOT / "translations" / "messages.pot", folder / "messages.pot")
    return folder


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates shared by every app a test process builds (each app has its own Jinja
    environment and would compile every template again: a third of a staff page test's time).
    Keyed by name and checked against the source's checksum by Jinja, so an edited template is
    compiled again."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def _share_url_builders() -> None:
    """Werkzeug compiles two URL builder functions (Python source, through ``ast`` and ``compile``)
    for every rule of every app: two thirds of building an app, and the tests build about a
    thousand. A builder depends only on the rule's parts and defaults (converters are looked up on
    the rule it is bound to), so a test process compiles each shape once and binds it to each rule."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict = {}

    def shared(self, append_unknown: bool = True):
        key = (tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared


_share_url_builders()


def make_app(tmp_path, translations_source, **config):
    """An app on its own folders and database. ``translations_source`` is copied as the app's
    translations folder; its template is merged into the units of every locale, and each
    working ``.po`` it holds is taken over as it is (as the move to the database does: texts by
    an unknown author). ``config`` adds or overrides settings (e.g. TRUSTED_PROXIES=1)."""
    translations = tmp_path / "translations"
    shutil.copytree(translations_source, translations)
    given = config.pop("DATABASE_URL", None)  # a server of the test's own
    postgres = os.environ.get("TEST_DATABASE_URL") if not given else None
    template = _PG_BUILT.get(_source_key(translations_source, config)) if postgres else None
    url = given or (_new_database(postgres, template) if postgres else database_url(tmp_path))
    built = _built_database(translations_source, config) if url.startswith("sqlite:") and not given else None
    if built is not None:  # a closed file nobody writes (made by _remember_database): a plain copy is consistent
        shutil.copyfile(built, tmp_path / "portal.sqlite3")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "TRANSLATIONS_DIR": str(translations),
        "PUBLISHED_DIR": str(tmp_path / "published"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        **config,
    })
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    if built is not None or template is not None:
        return app
    upgrade(app.config["DATABASE_URL"])
    paths, terms = Paths.from_config(app.config), app.extensions["terms"]
    with app.extensions["db"]() as session:
        update_locales(paths, session, [loc.code for loc in TRANSLATED_LOCALES], terms)
        for loc in TRANSLATED_LOCALES:
            if paths.po(loc.code).exists():
                adopt_catalog(session, loc.code, load_po(paths.po(loc.code)), terms)
        session.commit()
    if postgres:  # the database as built, kept as a template to copy for the next test
        app.extensions["db_engine"].dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
        _PG_BUILT[_source_key(translations_source, config)] = _new_database(postgres, _database_of(url),
                                                                             prefix=PG_TEMPLATE_PREFIX)
    if url.startswith("sqlite:") and not given:
        _remember_database(translations_source, config, tmp_path / "portal.sqlite3")
    return app


# The database make_app builds depends only on the translations folder it starts from and the
# settings: on SQLite, each process builds it once per (folder contents, settings) and copies it
# (a second, not a second per test with the shipped drafts). PostgreSQL builds every time.
_BUILT: dict[tuple, Path] = {}


# Settings that play no part in building the database (the migrations, the units, the shipped
# drafts): apps that differ only in these share one built database.
_BUILD_NEUTRAL = ("ORGANISATION_", "TRUSTED_PROXIES", "PURGE_", "MAIL_", "FEEDBACK_", "PUBLIC_BASE_URL",
                  "PUBLISHED_DIR", "DB_LOCK_TIMEOUT")


def _source_key(translations_source, config) -> tuple:
    files = sorted((str(path.relative_to(translations_source)), path.stat().st_size, path.stat().st_mtime_ns)
                   for path in Path(translations_source).rglob("*") if path.is_file())
    relevant = sorted((name, value) for name, value in config.items() if not name.startswith(_BUILD_NEUTRAL))
    return str(translations_source), tuple(files), repr(relevant)


def _built_database(translations_source, config) -> Path | None:
    return _BUILT.get(_source_key(translations_source, config))


def _remember_database(translations_source, config, database: Path) -> None:
    import atexit
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="portal-test-db-"))
    atexit.register(shutil.rmtree, folder, True)
    copy = folder / "portal.sqlite3"
    _copy_sqlite(database, copy)
    _BUILT[_source_key(translations_source, config)] = copy


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (safe whatever the journal mode)."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# On PostgreSQL each test gets a database of its own, copied from a template that this process
# built once per (folder contents, settings) (CREATE DATABASE ... TEMPLATE: a file copy, far quicker
# than migrating and filling every test's database again).
PG_PREFIX, PG_TEMPLATE_PREFIX = "portal_t_", "portal_tpl_"
_PG_BUILT: dict[tuple, str] = {}
CREATED_DATABASES: list[str] = []


def _admin(base: str):
    from sqlalchemy import create_engine

    if "engine" not in _ADMIN:
        _ADMIN["engine"] = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=__import__(
            "sqlalchemy.pool", fromlist=["NullPool"]).NullPool)
    return _ADMIN["engine"]


_ADMIN: dict = {}


def _database_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database


def _new_database(base: str, template: str | None, prefix: str = PG_PREFIX) -> str:
    """A new database on the test server (a copy of ``template`` if given); its URL, or its name
    for a template."""
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = prefix + uuid.uuid4().hex[:16]
    with _admin(base).connect() as connection:
        # PostgreSQL 15+ copies a template block by block through the WAL by default; copying its
        # files is 3 to 4 times quicker for these small databases (0.05 s, not 0.17 s, measured).
        newer = connection.execute(text("SHOW server_version_num")).scalar_one()
        strategy = " STRATEGY = FILE_COPY" if template and int(newer) >= 150000 else ""
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
                                + strategy))
    CREATED_DATABASES.append(name)
    if prefix == PG_TEMPLATE_PREFIX:
        return name
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_database(base: str, name: str) -> None:
    from sqlalchemy import text

    with _admin(base).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def close_app(app) -> None:
    """Close the app's database connections (PostgreSQL warns about connections left open),
    and drop its PostgreSQL schema or database."""
    app.extensions["db_engine"].dispose()
    base = os.environ.get("TEST_DATABASE_URL")
    url = app.config["DATABASE_URL"]
    if base and (_database_of(url) or "").startswith(PG_PREFIX):
        _drop_database(base, _database_of(url))
        return
    if base and "search_path" in url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        schema = make_url(url).query["options"].split("search_path=", 1)[1]
        engine = create_engine(base)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def app(tmp_path, empty_catalogs):
    """Untranslated catalogs: each test says exactly which translations exist."""
    app = make_app(tmp_path, empty_catalogs)
    yield app
    close_app(app)


@pytest.fixture
def shipped_app(tmp_path):
    """The catalogs as committed in translations/ (the draft translations)."""
    app = make_app(tmp_path, ROOT / "translations")
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Workflow:
    """Acts on an app's catalogs and database the way people do, through the domain code."""

    def __init__(self, app):
        self.app = app
        self.paths = Paths.from_config(app.config)

    @contextmanager
    def session(self):
        """A session for one step, committed when the step ends, as a command's would be
        (``portal.db.transaction``): domain code only flushes."""
        with self.app.extensions["db"]() as session, transaction(session):
            yield session

    def user(self, name: str, role: str | None = None, locale: str | None = None):
        with self.session() as session:
            user = find_user(session, name)
            if user is None:
                roles = [(role, locale)] if role else []
                user = create_user(session, name, "correct horse battery", roles=roles)
            return user.id

    def unit(self, locale: str, msgid: str):
        """The live unit whose English is ``msgid`` (read in a session of its own)."""
        with self.session() as session:
            found = units.find(session, locale, msgid)
            assert found, f"{msgid!r} is not a message of the template"
            return found[0]

    def translate(self, locale: str, msgid: str, text: str | list[str], author: str | None = None,
                  fuzzy: bool = False) -> None:
        """Put a translation into a unit as it is, checks or not: saved by ``author`` (like a web
        save), or with no author (like a file edited outside the portal and imported)."""
        forms = list(text) if isinstance(text, list) else [text]
        with self.session() as session:
            person = find_user(session, author) if author else None
            unit = units.find(session, locale, msgid)[0]
            units.apply_changes(session, locale, [units.Change(unit.mid, forms, None, fuzzy)], person,
                                self.app.extensions["terms"], origin="web" if person else "import", check=False)
            session.commit()

    def approve(self, locale: str, msgid: str, reviewer: str):
        with self.session() as session:
            return approve_messages(session, locale, find_user(session, reviewer), msgid=msgid)

    def publish(self, locale: str):
        with self.session() as session:
            return publish_locale(session, locale)

    def served(self, locale: str) -> polib.MOFile:
        """The catalog the gate published for ``locale`` (what families read)."""
        return served_mo(self.app, locale)

    def mark_staff_only(self, msgid: str) -> None:
        """Make one message of this app's template a staff template's string (none ship today), to
        test what happens to strings that are not reviewed."""
        from portal.translation.extract import STAFF_COMMENT

        template = load_po(self.paths.template)
        template.find(msgid).comment = STAFF_COMMENT
        self.paths.template.write_text(dumps(template), encoding="utf-8")
        self.update()

    def change_template(self, change) -> None:
        """Edit this app's template (``change(template)``), then merge it, as a deploy would."""
        template = load_po(self.paths.template)
        change(template)
        self.paths.template.write_text(dumps(template), encoding="utf-8")
        self.update()

    def update(self):
        """`flask translate update` for every locale."""
        with self.session() as session:
            return update_locales(self.paths, session, [loc.code for loc in TRANSLATED_LOCALES],
                                  self.app.extensions["terms"])

    def entry(self, locale: str, msgid: str) -> polib.POEntry:
        """The unit as a catalog entry, as a translator sees it in Poedit."""
        return entry_of(self.unit(locale, msgid))


@pytest.fixture
def work(app):
    return Workflow(app)


PASSWORD = "correct horse battery"


def served_mo(app, locale: str) -> polib.MOFile:
    """The catalog the gate published for ``locale``, from the database (an empty one if never)."""
    from portal.review.models import PublishedCatalog

    with app.extensions["db"]() as session:
        row = session.get(PublishedCatalog, locale)
        return polib.mofile(row.mo) if row is not None and row.mo else polib.MOFile()


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a form page as a browser would."""
    import re

    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def msgfmt_check(path) -> None:
    """GNU gettext's own validation of a catalog (syntax, headers, format strings, plural forms),
    an implementation that shares no code with the portal. Its output goes to a temporary file:
    never to a device such as /dev/null (the tests run as root)."""
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("msgfmt"):
        pytest.fail("GNU gettext's msgfmt is required for this test")
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["msgfmt", "-c", "-o", os.path.join(folder, "messages.mo"), str(path)],
                              capture_output=True, text=True)
    assert done.returncode == 0, f"msgfmt -c rejects {path}:\n{done.stderr}"


def english(text: str) -> str:
    """Site text as a translated page shows it while its translation is not served: in English,
    marked as English (``portal.families.i18n.mark_fallbacks``)."""
    return f'<span lang="en" dir="ltr">{text}</span>'


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": password})


# --- People and clients ---------------------------------------------------------------------------

def person(work, username: str, roles=(), display_name: str = "", is_admin: bool = False) -> int:
    with work.session() as session:
        user = create_user(session, username, PASSWORD, display_name=display_name, roles=list(roles),
                           is_admin=is_admin)
        return user.id


def add_role(work, username: str, role: str, locale: str) -> None:
    with work.session() as session:
        set_role(session, find_user(session, username), role, locale)


@pytest.fixture
def people(work):
    """Two Spanish translators, two Spanish reviewers, a Vietnamese reviewer and an admin."""
    person(work, "tina", [("translator", "es")], display_name="Tina Torres")
    person(work, "tom", [("translator", "es")], display_name="Tom Tran")
    person(work, "rita", [("reviewer", "es")], display_name="Rita Reyes")
    person(work, "rob", [("reviewer", "es")], display_name="Rob Romero")
    person(work, "vic", [("reviewer", "vi")], display_name="Vic Vo")
    person(work, "ada", is_admin=True, display_name="Ada Admin")
    return work


def signed_in(app, username: str):
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 302, f"{username} could not log in"
    return client


@pytest.fixture
def rita(app, people):
    return signed_in(app, "rita")


@pytest.fixture
def rob(app, people):
    return signed_in(app, "rob")


@pytest.fixture
def tina(app, people):
    return signed_in(app, "tina")


# --- Tiers ----------------------------------------------------------------------------------------
# `make test-fast` runs the fast tier: domain and views on SQLite, in this process. The full tier
# (`make test`, .ci/run) adds the browser tests (marked in tests/browser/conftest.py) and these,
# which start servers or processes of their own: gunicorn, a second host, PostgreSQL, nginx, a
# killed CLI or write.
SERVER_MODULES = {"test_two_hosts", "test_production_server", "test_faults_real", "test_cli_faults",
                  "test_interrupted_writes"}
SERVER_FIXTURES = {"served"}  # tests/test_static_export.py: nginx serving the export
SERVER_TESTS = {"test_publish_reaches_every_gunicorn_worker_without_restart",  # tests/test_app.py
                # tests/test_workspace_robustness.py: writer processes of their own, killed mid-save
                "test_eight_writer_processes_lose_no_save_and_the_history_is_the_saves",
                "test_a_writer_killed_mid_save_leaves_each_unit_with_its_history_or_neither",
                "test_a_writer_killed_after_its_flush_before_its_commit_leaves_nothing"}


# Modules whose subject is decided outside the database: file formats, the checks, the content,
# rendering from published bytes, the route x role table, the hostile-file corpus (refused or
# blocked by the checks before anything is stored). They run on SQLite only: .ci/run's PostgreSQL
# pass leaves them out (marker database_neutral); the database code they pass through is run on
# PostgreSQL by the other modules (units, review, gate, uploads, auth, faults, migrations, ...).
DATABASE_NEUTRAL_MODULES = {"test_access", "test_hostile_uploads", "test_pages", "test_pofile", "test_content",
                            "test_checks", "test_translations", "test_catalogs", "test_locales", "test_readability",
                            "test_structure"}


# Modules whose use of the database is the ORM's plain reads and writes, which the modules that test
# the storage itself (units, uploads, review, gate, four eyes, migrations, faults, two hosts,
# concurrent writers, sessions and throttling, feedback limits, the outbox, comments, the trail,
# the memory) run on PostgreSQL. To keep CI under 15 minutes these run on SQLite only (marker
# sqlite_only): pages and caching, the static export, the admin and CLI pages, the flow, the
# preview, and the servers started to test the web server and files rather than the database.
SQLITE_ONLY_MODULES = {"test_admin", "test_http_caching", "test_static_export", "test_trust", "test_wayfinding",
                       "test_cli", "test_flow", "test_preview", "test_fallback_marking", "test_cli_faults",
                       "test_production_server", "test_app", "test_interrupted_writes"}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in DATABASE_NEUTRAL_MODULES:
            item.add_marker(pytest.mark.database_neutral)
        if module in SQLITE_ONLY_MODULES:
            item.add_marker(pytest.mark.sqlite_only)
        if (module in SERVER_MODULES or SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.originalname in SERVER_TESTS):
            item.add_marker(pytest.mark.servers)
