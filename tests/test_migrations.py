"""Alembic migrations: head matches the models, and each migration keeps the rows that exist.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (a fresh schema per test).
"""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import polib
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import portal.models  # noqa: F401  (registers the tables on Base.metadata)
from portal.db import Base, alembic_config, make_engine, upgrade
from portal.models import Approval, Edit, LoginSession, PublishedCatalog, Unit, User
from tests.conftest import close_app, database_url


@pytest.fixture
def url(tmp_path):
    """An empty database: a SQLite file, or a fresh PostgreSQL schema (dropped afterwards)."""
    return database_url(tmp_path)


@pytest.fixture
def engine(url):
    engine = make_engine(url)
    yield engine
    close_app(SimpleNamespace(extensions={"db_engine": engine}, config={"DATABASE_URL": url}))


def current_revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def differences(engine, newer_tables: tuple[str, ...] = (), newer_columns: tuple[tuple[str, str], ...] = ()) -> list:
    """How the database differs from the models, leaving out the tables and columns of later revisions."""
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diff if _added_table(d) not in newer_tables and _added_column(d) not in newer_columns]


def _added_column(difference) -> tuple[str, str] | None:
    """(table, column) of a difference that adds a column, if that is what it is."""
    if isinstance(difference, tuple) and difference[0] == "add_column":
        return difference[2], difference[3].name
    return None


def _added_table(difference) -> str | None:
    """The table a difference adds (or adds an index to), if that is what it is."""
    if isinstance(difference, tuple) and difference[0] == "add_table":
        return difference[1].name
    if isinstance(difference, tuple) and difference[0] == "add_index":
        return difference[1].table.name
    return None


FEEDBACK_TABLES = ("family_feedback", "feedback_limits")  # 0011
CREDENTIAL_COLUMNS = (("users", "credential"), ("users", "show_to_families"))  # 0010
NOTIFY_TABLES = ("notification_preferences", "notification_outbox", "digest_cursors")  # 0013
NOTIFY_COLUMNS = (("users", "email"),)  # 0013


COMMENT_TABLES = ("comments",)  # 0012


HEAD = "0014"


def test_one_head_and_one_line_of_revisions():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [HEAD]
    assert [rev.revision for rev in script.walk_revisions()] == [HEAD, "0013", "0012", "0011", "0010", "0009", "0008", "0007",
                                                                  "0006", "0005", "0004", "0003", "0002", "0001"]


def test_upgrading_an_empty_database_to_head_matches_the_models(url, engine):
    upgrade(url, "head")
    assert current_revision(engine) == HEAD
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    diff = differences(engine)
    assert diff == [], f"migrations and models differ: {diff}"


USER = {"id": 1, "username": "rita", "display_name": "Rita", "password_hash": "x", "is_admin": False,
        "active": True, "created_at": dt.datetime(2026, 1, 2, 3, 4, 5), "session_token": "t" * 64}
TEXT = {"locale": "es", "fingerprint": "a" * 64, "msgctxt": "", "msgid": "Antibiotic", "msgid_plural": "",
        "translation_json": '["Antibiótico"]'}


def _insert_at_0003(engine) -> None:
    """An edit and an approval as the 0003 schema stores them (no previous_msgid, no note)."""
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at, "
            "session_token) VALUES (:id, :username, :display_name, :password_hash, :is_admin, :active, "
            ":created_at, :session_token)"), USER)
        connection.execute(text(
            "INSERT INTO edits (id, author_id, origin, created_at, locale, fingerprint, msgctxt, msgid, "
            "msgid_plural, translation_json, revision, fuzzy, warnings_json) VALUES (7, 1, 'web', :at, "
            ":locale, :fingerprint, :msgctxt, :msgid, :msgid_plural, :translation_json, 3, :fuzzy, '[]')"),
            {**TEXT, "at": dt.datetime(2026, 1, 2, 3, 5, 0), "fuzzy": False})
        connection.execute(text(
            "INSERT INTO approvals (id, reviewer_id, author_id, author_known, created_at, revoked_at, "
            "revoked_by_id, revoke_reason, locale, fingerprint, msgctxt, msgid, msgid_plural, translation_json) "
            "VALUES (9, 1, NULL, :author_known, :at, NULL, NULL, '', :locale, :fingerprint, :msgctxt, :msgid, "
            ":msgid_plural, :translation_json)"),
            {**TEXT, "at": dt.datetime(2026, 1, 2, 3, 6, 0), "author_known": False})


def _check_rows(engine) -> None:
    """The rows of _insert_at_0003, as any revision from 0004 on keeps them (the columns read are
    those 0004 has: later migrations add columns the models know and an older schema lacks)."""
    with Session(engine) as session:
        edit = session.execute(select(Edit.author_id, Edit.revision, Edit.translation_json, Edit.msgid,
                                      Edit.previous_msgid).where(Edit.id == 7)).one()
        assert tuple(edit) == (1, 3, '["Antibiótico"]', "Antibiotic", "")
        approval = session.execute(select(Approval.reviewer_id, Approval.fingerprint, Approval.translation_json,
                                          Approval.created_at, Approval.revoked_at, Approval.author_known,
                                          Approval.note).where(Approval.id == 9)).one()
        assert tuple(approval) == (1, "a" * 64, '["Antibiótico"]', dt.datetime(2026, 1, 2, 3, 6, 0), None, False, "")


def test_0004_keeps_existing_rows_and_downgrades_and_upgrades_again(url, engine):
    upgrade(url, "0003")
    assert current_revision(engine) == "0003"
    _insert_at_0003(engine)

    upgrade(url, "0004")
    assert current_revision(engine) == "0004"
    _check_rows(engine)
    with engine.connect() as connection:  # the new columns are NOT NULL with '' for old rows
        assert connection.execute(text("SELECT previous_msgid FROM edits WHERE id = 7")).scalar_one() == ""
        assert connection.execute(text("SELECT note FROM approvals WHERE id = 9")).scalar_one() == ""

    command.downgrade(alembic_config(url), "0003")
    assert current_revision(engine) == "0003"
    engine.dispose()  # SQLite batch mode rebuilt the tables: forget cached connections
    columns = inspect(engine)
    assert "previous_msgid" not in {c["name"] for c in columns.get_columns("edits")}
    assert "note" not in {c["name"] for c in columns.get_columns("approvals")}
    assert "ix_approvals_created_at" not in {i["name"] for i in columns.get_indexes("approvals")}
    assert "ix_rejections_created_at" not in {i["name"] for i in columns.get_indexes("rejections")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM edits")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM approvals")).scalar_one() == 1

    upgrade(url, "head")
    assert current_revision(engine) == HEAD
    engine.dispose()
    _check_rows(engine)
    assert differences(engine) == []


def test_0005_keeps_people_moves_sessions_to_their_own_table_and_downgrades(url, engine):
    upgrade(url, "0003")
    _insert_at_0003(engine)
    upgrade(url, "0004")

    upgrade(url, "head")
    assert current_revision(engine) == HEAD
    engine.dispose()
    columns = inspect(engine)
    assert "session_token" not in {c["name"] for c in columns.get_columns("users")}
    assert {c["name"] for c in columns.get_columns("login_sessions")} == {
        "id", "user_id", "created_at", "last_seen_at", "ended_at"}
    _check_rows(engine)
    with Session(engine) as session:
        rita = session.get(User, 1)
        assert (rita.username, rita.password_hash, rita.active) == ("rita", "x", True)
        session.add(LoginSession(id="s" * 43, user_id=1))  # a login open when someone downgrades
        session.commit()

    command.downgrade(alembic_config(url), "0004")
    assert current_revision(engine) == "0004"
    engine.dispose()
    assert "login_sessions" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        tokens = connection.execute(text("SELECT session_token FROM users")).scalars().all()
    assert len(tokens) == 1 and len(tokens[0]) == 64  # every person has a token again
    with pytest.raises(IntegrityError), engine.begin() as connection:  # and it is unique, as before
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at, "
            "session_token) VALUES (2, 'rosa', 'Rosa', 'x', false, true, :at, :token)"),
            {"at": dt.datetime(2026, 1, 2), "token": tokens[0]})

    upgrade(url, "head")
    assert current_revision(engine) == HEAD
    engine.dispose()
    _check_rows(engine)
    assert differences(engine) == []


def test_0006_fingerprints_the_words_of_existing_edits_and_downgrades(url, engine):
    from portal.translation.identity import words_fingerprint

    upgrade(url, "0003")
    _insert_at_0003(engine)
    upgrade(url, "0005")
    upgrade(url, "0006")
    with Session(engine) as session:  # the columns 0006 has (the models know later ones)
        words, replaced = session.execute(select(Edit.words, Edit.replaced_json).where(Edit.id == 7)).one()
        assert words == words_fingerprint(["Antibiótico"]) and replaced is None
    command.downgrade(alembic_config(url), "0005")
    engine.dispose()
    assert "words" not in {c["name"] for c in inspect(engine).get_columns("edits")}
    assert "source_changes" not in inspect(engine).get_table_names()
    upgrade(url, "head")
    engine.dispose()
    _check_rows(engine)
    assert differences(engine) == []


# --- 0007: an installation that kept its translations in files, carried over to units -------------

APPROVED = ("", "Tests when leukemia comes back", "")  # approved in the portal (history: tom, then tina)
OUTSIDE = ("", "Antibiotic", "")  # edited in the file outside the portal: no edit accounts for it
FUZZY = ("", "Anxiety", "")  # carried over from an earlier English by the old `update`: fuzzy, with #|
TOMS, TINAS = ["Pruebas si la leucemia regresa"], ["Pruebas cuando la leucemia vuelve"]
FILE_TEXT = {APPROVED: TINAS, OUTSIDE: ["Antibiótico"], FUZZY: ["Ansiedad"]}
EARLIER_ENGLISH = "Worry"


def _installation_at_0006(url, engine, tmp_path):
    """A database at 0006 with people, an edit history, an approval and the locale's revision, and
    the translations folder it worked on: the repository's, with an es catalog that holds
    exactly three translations (approved, edited outside the portal, fuzzy)."""
    import json
    import shutil

    from portal.translation.catalogs import load_po, save_po
    from portal.translation.identity import fingerprint, message_key, words_fingerprint
    from tests.conftest import ROOT

    upgrade(url, "0006")
    translations = tmp_path / "old-install" / "translations"
    shutil.copytree(ROOT / "translations", translations)
    path = translations / "es" / "LC_MESSAGES" / "messages.po"
    catalog = load_po(path)
    for entry in catalog:
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        entry.previous_msgid = None
        if entry.msgid_plural:
            entry.msgstr_plural = {index: "" for index in entry.msgstr_plural}
        else:
            entry.msgstr = FILE_TEXT.get(message_key(entry), [""])[0]
    fuzzy = catalog.find(FUZZY[1])
    fuzzy.flags.append("fuzzy")
    fuzzy.previous_msgid = EARLIER_ENGLISH
    save_po(path, catalog)
    people = [(1, "rita"), (2, "tina"), (3, "tom")]
    # Rows get their ids from the database (PostgreSQL's sequences must know them): tom's edit, then
    # tina's, then rita's approval of tina's text.
    edits = [(3, TOMS, None, 1, dt.datetime(2026, 3, 1, 9, 0)), (2, TINAS, TOMS, 2, dt.datetime(2026, 3, 2, 9, 0))]
    with engine.begin() as connection:
        for user_id, name in people:
            connection.execute(text(
                "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at) "
                "VALUES (:id, :name, :name, 'x', false, true, :at)"),
                {"id": user_id, "name": name, "at": dt.datetime(2026, 1, 1)})
        connection.execute(text("INSERT INTO roles (id, user_id, locale, role) VALUES (1, 1, 'es', 'reviewer'), "
                                "(2, 2, 'es', 'translator'), (3, 3, 'es', 'translator')"))
        for author, forms, replaced, revision, at in edits:
            connection.execute(text(
                "INSERT INTO edits (author_id, origin, created_at, locale, fingerprint, msgctxt, msgid, "
                "msgid_plural, translation_json, revision, fuzzy, warnings_json, previous_msgid, words, replaced_json) "
                "VALUES (:author, 'web', :at, 'es', :print, '', :msgid, '', :forms, :revision, false, '[]', '', "
                ":words, :replaced)"),
                {"author": author, "at": at, "print": fingerprint(APPROVED, forms),
                 "msgid": APPROVED[1], "forms": json.dumps(forms, ensure_ascii=False), "revision": revision,
                 "words": words_fingerprint(forms), "replaced": json.dumps(replaced or [""], ensure_ascii=False)})
        connection.execute(text(
            "INSERT INTO approvals (reviewer_id, author_id, author_known, created_at, revoked_at, revoked_by_id, "
            "revoke_reason, locale, fingerprint, msgctxt, msgid, msgid_plural, translation_json, note) VALUES "
            "(1, 2, true, :at, NULL, NULL, '', 'es', :print, '', :msgid, '', :forms, 'Checked.')"),
            {"at": dt.datetime(2026, 3, 3, 9, 0), "print": fingerprint(APPROVED, TINAS), "msgid": APPROVED[1],
             "forms": json.dumps(TINAS, ensure_ascii=False)})
        connection.execute(text("INSERT INTO catalog_revisions (locale, revision) VALUES ('es', 2)"))
    return translations


def _edit_rows(engine) -> list[tuple]:
    """The history as 0006 stores it (the columns every revision from 0006 on has)."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT id, author_id, origin, created_at, locale, fingerprint, msgid, translation_json, revision, "
            "fuzzy, words, replaced_json FROM edits ORDER BY id"))]


def test_0007_carries_an_installation_over_from_its_catalog_files_to_units(url, engine, tmp_path):
    from portal.locales import TRANSLATED_LOCALES
    from portal.review.models import Approval
    from portal.review.operations import publish_locale
    from portal.review.rules import unit_authors
    from portal.translation import template, units
    from portal.translation.catalogs import load_po
    from portal.translation.identity import fingerprint, forms_of, message_id, message_key
    from tests.conftest import ROOT

    translations = _installation_at_0006(url, engine, tmp_path)
    history_before = _edit_rows(engine)
    upgrade(url, "head", translations_dir=translations, content_dir=ROOT / "content")
    assert current_revision(engine) == HEAD
    engine.dispose()
    assert differences(engine) == []
    live = template.live_entries(load_po(translations / "messages.pot"))
    with Session(engine) as session:
        # Every locale has a unit for each message of the template, and holds its catalog's texts.
        for loc in TRANSLATED_LOCALES:
            found = {u.key: u for u in session.scalars(units.live(loc.code))}
            assert set(found) == {message_key(e) for e in live}, loc.code
            for entry in load_po(translations / loc.code / "LC_MESSAGES" / "messages.po"):
                if entry.msgid and not entry.obsolete and message_key(entry) in found:
                    unit = found[message_key(entry)]
                    assert unit.forms == forms_of(entry), (loc.code, entry.msgid)
                    assert unit.fuzzy == ("fuzzy" in entry.flags), (loc.code, entry.msgid)
        # es: exactly the three texts of its file, nothing else.
        es = {u.key: u for u in session.scalars(units.live("es"))}
        assert {key: u.forms for key, u in es.items() if u.translated} == FILE_TEXT
        approved, outside, fuzzy = es[APPROVED], es[OUTSIDE], es[FUZZY]
        assert approved.state == "approved" and approved.fingerprint == fingerprint(APPROVED, TINAS)
        assert approved.changed_at == dt.datetime(2026, 3, 2, 9, 0)  # when tina saved it, not the upgrade
        assert outside.state == "awaiting" and not outside.fuzzy
        assert (fuzzy.state, fuzzy.fuzzy, fuzzy.previous_msgid) == ("fuzzy", True, EARLIER_ENGLISH)
        # The history is intact, each row now knowing its message; the approval too.
        assert _edit_rows(engine)[:2] == history_before
        assert [(e.id, e.author_id) for e in units.history(session, "es", APPROVED)] == [
            (history_before[1][0], 2), (history_before[0][0], 3)]
        assert unit_authors(session, approved) == {2}  # tina wrote it: four eyes still knows
        (approval,) = session.scalars(select(Approval))
        assert (approval.mid, approval.reviewer_id, approval.note) == (message_id(APPROVED), 1, "Checked.")
        # A text no save accounts for: written by an unknown author, as an import records it.
        (imported,) = units.history(session, "es", OUTSIDE)
        assert (imported.author_id, imported.origin, imported.forms) == (None, "import", ["Antibiótico"])
        assert unit_authors(session, outside) == {None}
        assert units.history(session, "es", FUZZY)[0].author_id is None
        # The approved text is what families read once the gate publishes; the others are not.
        publish_locale(session, "es")
        published = session.get(PublishedCatalog, "es")
        served = {message_key(e): forms_of(e) for e in polib.mofile(published.mo) if e.msgid}
    assert served == {APPROVED: TINAS}


def test_0007_downgrades_to_0006_keeping_the_history_and_upgrades_again(url, engine, tmp_path):
    from tests.conftest import ROOT

    translations = _installation_at_0006(url, engine, tmp_path)
    upgrade(url, "head", translations_dir=translations, content_dir=ROOT / "content")
    history = _edit_rows(engine)
    es = [row for row in history if row[4] == "es"]
    assert len(es) == 2 + 2  # the two saves, and one edit for each text no save accounts for

    command.downgrade(alembic_config(url), "0006")
    assert current_revision(engine) == "0006"
    engine.dispose()
    inspector = inspect(engine)
    assert not {"units", "published_catalogs", "pending_uploads"} & set(inspector.get_table_names())
    for table in ("edits", "approvals", "rejections"):
        assert "mid" not in {c["name"] for c in inspector.get_columns(table)}, table
    assert not {"replaced_fuzzy", "comment"} & {c["name"] for c in inspector.get_columns("edits")}
    assert _edit_rows(engine) == history
    with engine.connect() as connection:
        assert connection.execute(text("SELECT reviewer_id, fingerprint FROM approvals")).all() == [
            (1, history[1][5])]

    # Upgraded again from the same files: the same units, and no second edit for the same texts.
    upgrade(url, "head", translations_dir=translations, content_dir=ROOT / "content")
    engine.dispose()
    assert current_revision(engine) == HEAD
    assert differences(engine) == []
    assert _edit_rows(engine) == history
    with Session(engine) as session:
        states = dict(session.execute(select(Unit.msgid, Unit.state).where(
            Unit.locale == "es", Unit.msgid.in_([APPROVED[1], OUTSIDE[1], FUZZY[1]]))).all())
    assert states == {APPROVED[1]: "approved", OUTSIDE[1]: "awaiting", FUZZY[1]: "fuzzy"}


# --- 0008: what an upload's preview showed ----------------------------------------------------------

def test_0008_keeps_waiting_uploads_without_a_record_and_downgrades(url, engine):
    upgrade(url, "0007")
    at = dt.datetime(2026, 4, 1, 9, 0)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at) "
            "VALUES (1, 'ana', 'Ana', 'x', false, true, :at)"), {"at": at})
        connection.execute(text(
            "INSERT INTO pending_uploads (token, locale, user_id, filename, data, created_at) "
            "VALUES (:token, 'es', 1, 'messages.po', :data, :at)"), {"token": "a" * 32, "data": b"po", "at": at})

    def waiting():
        with engine.connect() as connection:
            return connection.execute(text("SELECT token, user_id, data FROM pending_uploads")).all()

    upgrade(url, "0008")
    engine.dispose()
    assert "seen_json" in {c["name"] for c in inspect(engine).get_columns("pending_uploads")}
    with engine.connect() as connection:  # waiting from before: no record of its preview
        assert connection.execute(text("SELECT seen_json FROM pending_uploads")).scalar_one() is None
    assert waiting() == [("a" * 32, 1, b"po")]

    command.downgrade(alembic_config(url), "0007")
    assert current_revision(engine) == "0007"
    engine.dispose()
    assert "seen_json" not in {c["name"] for c in inspect(engine).get_columns("pending_uploads")}
    assert waiting() == [("a" * 32, 1, b"po")]
    upgrade(url, "head")
    engine.dispose()
    assert current_revision(engine) == HEAD
    assert differences(engine) == []


# --- 0009: review revisions, and the one each served catalog was built from ------------------------

def test_0009_keeps_the_published_catalogs_none_behind_and_downgrades(url, engine):
    """Until 0009 every decision was published in its own transaction: a catalog that exists when
    upgrading holds every approval, so it keeps its bytes and dates and no locale is behind."""
    from portal.review.gate import behind_locales, is_behind

    upgrade(url, "0008")
    published = {"locale": "es", "version": 4, "mo": b"the catalog", "reviewed_json": '{"Antibiotic": "2026-03-03"}',
                 "report_json": "{}", "published_at": dt.datetime(2026, 3, 3, 9, 0)}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO published_catalogs (locale, version, mo, reviewed_json, report_json, published_at) "
            "VALUES (:locale, :version, :mo, :reviewed_json, :report_json, :published_at)"), published)

    upgrade(url, "0009")
    engine.dispose()
    assert differences(engine, newer_tables=FEEDBACK_TABLES + COMMENT_TABLES + NOTIFY_TABLES,
                       newer_columns=CREDENTIAL_COLUMNS + NOTIFY_COLUMNS) == []
    with Session(engine) as session:
        row = session.get(PublishedCatalog, "es")
        assert (row.version, row.mo, row.reviewed_json, row.review_revision) == (4, b"the catalog",
                                                                                 published["reviewed_json"], 0)
        assert not is_behind(session, "es") and behind_locales(session) == set()

    command.downgrade(alembic_config(url), "0008")
    engine.dispose()
    assert "review_revisions" not in inspect(engine).get_table_names()
    assert "review_revision" not in {c["name"] for c in inspect(engine).get_columns("published_catalogs")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version, mo FROM published_catalogs")).one() == (4, b"the catalog")
    upgrade(url, "head")
    engine.dispose()
    assert differences(engine) == []


def test_flask_db_revision_writes_the_next_numbered_migration_from_the_models(url, engine, tmp_path, monkeypatch):
    """The next migration is not written by hand: `flask db revision -m ...` compares a database at
    head with the models. At head nothing differs (an empty migration, numbered after the newest);
    a table the models do not have becomes a drop in the new file."""
    from portal import db

    upgrade(url)
    versions = tmp_path / "versions"
    versions.mkdir()
    newest = max(int(p.name[:4]) for p in db.MIGRATIONS.joinpath("versions").glob("[0-9]*.py"))
    empty = db.new_revision(url, "Nothing to do!", versions=versions)
    assert empty.name == f"{newest + 1:04d}_nothing_to_do.py"
    source = empty.read_text()
    assert f"revision = '{newest + 1:04d}'" in source and f"down_revision = '{newest:04d}'" in source
    assert re.search(r"def upgrade\(\) -> None:\n(    #.*\n)*    pass\n", source), source
    empty.unlink()

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
    found = db.new_revision(url, "drop the leftover table", versions=versions)
    assert "op.drop_table('leftover')" in found.read_text()
    assert not list(db.MIGRATIONS.joinpath("versions").glob(f"{newest + 1:04d}_*")), "nothing written among the real ones"


# --- 0011: families' feedback ------------------------------------------------------------------------

def test_0011_adds_the_feedback_tables_and_downgrades_without_touching_anything_else(url, engine):
    upgrade(url, "0009")
    engine.dispose()
    assert not set(FEEDBACK_TABLES) & set(inspect(engine).get_table_names())
    upgrade(url, "0011")
    engine.dispose()
    assert differences(engine, newer_tables=COMMENT_TABLES + NOTIFY_TABLES, newer_columns=NOTIFY_COLUMNS) == []
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO family_feedback (locale, page, choice, text, created_at) "
            "VALUES ('es', 'tests', 'no', 'No entiendo', :at)"), {"at": dt.datetime(2026, 5, 1, 9, 0)})
    command.downgrade(alembic_config(url), "0010")
    assert current_revision(engine) == "0010"
    engine.dispose()
    assert not set(FEEDBACK_TABLES) & set(inspect(engine).get_table_names())
    upgrade(url, "head")
    engine.dispose()
    assert current_revision(engine) == HEAD
    assert differences(engine) == []


# --- 0012: comments ---------------------------------------------------------------------------------

def test_0012_adds_the_comments_table_keeping_everything_and_downgrades(url, engine):
    from portal.models import Comment

    upgrade(url, "0003")
    _insert_at_0003(engine)
    upgrade(url, "0009")
    engine.dispose()
    assert "comments" not in inspect(engine).get_table_names()

    upgrade(url, "0012")
    assert current_revision(engine) == "0012"
    engine.dispose()
    assert differences(engine, newer_tables=NOTIFY_TABLES, newer_columns=NOTIFY_COLUMNS) == []
    _check_rows(engine)
    with Session(engine) as session:
        session.add(Comment(locale="es", mid="m" * 16, fingerprint="a" * 64, msgctxt="", msgid="Antibiotic",
                            msgid_plural="", translation_json='["Antibiótico"]', author_id=1,
                            body="¿Antibiótico o antibióticos?\nMejor en plural.",
                            created_at=dt.datetime(2026, 3, 3, 9, 0)))
        session.commit()
        assert session.scalars(select(Comment.body)).one() == "¿Antibiótico o antibióticos?\nMejor en plural."

    command.downgrade(alembic_config(url), "0011")
    assert current_revision(engine) == "0011"
    engine.dispose()
    assert "comments" not in inspect(engine).get_table_names()
    _check_rows(engine)
    upgrade(url, "head")
    engine.dispose()
    assert differences(engine) == []
    with Session(engine) as session:  # the table is back, empty: a downgrade drops its comments
        assert session.scalars(select(Comment)).all() == []


# --- 0013: e-mail notifications ---------------------------------------------------------------------

def test_0013_adds_addresses_and_the_notification_tables_and_downgrades(url, engine):
    upgrade(url, "0012")
    engine.dispose()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at, credential, "
            "show_to_families) VALUES (1, 'rita', 'Rita', 'x', :no, :yes, :at, '', :no)"),
            {"at": dt.datetime(2026, 1, 2), "no": False, "yes": True})  # booleans: PostgreSQL takes no 0 and 1
    upgrade(url, "0013")
    engine.dispose()
    assert set(NOTIFY_TABLES) <= set(inspect(engine).get_table_names())
    assert differences(engine) == []
    with engine.begin() as connection:
        assert connection.execute(text("SELECT email FROM users WHERE id = 1")).scalar() == ""
        connection.execute(text("UPDATE users SET email = 'rita@example.org' WHERE id = 1"))
    command.downgrade(alembic_config(url), "0012")
    assert current_revision(engine) == "0012"
    engine.dispose()
    assert not set(NOTIFY_TABLES) & set(inspect(engine).get_table_names())
    assert "email" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.begin() as connection:
        assert connection.execute(text("SELECT username FROM users WHERE id = 1")).scalar() == "rita"
    upgrade(url, "head")
    engine.dispose()
    assert current_revision(engine) == HEAD


def test_0014_gives_texts_whose_approval_was_revoked_the_revoked_state(app, people):
    """Before 0014 a revoked approval left its text stored as "rejected". After it, every stored
    state is what portal.translation.units.review_state says, and a downgrade stores "rejected" again."""
    from portal.people.accounts import find_user
    from portal.review import operations
    from portal.translation import units as units_module

    texts = {"revoked": ("How well it works", "Qué tan bien funciona"),
             "revoked then rejected": ("Newer kinds of treatment", "Tipos más nuevos de tratamiento"),
             "rejected": ("Risks of strong treatment", "Riesgos del tratamiento fuerte"),
             "approved": ("If treatment is not working", "Si el tratamiento no funciona"),
             "awaiting": ("Chemotherapy and other medicines your child may get", "Quimioterapia y otras medicinas")}
    for msgid, spanish in texts.values():
        people.translate("es", msgid, spanish, author="tina")
    for case in ("revoked", "revoked then rejected", "approved"):
        people.approve("es", texts[case][0], "rita")
    with people.session() as session:
        rob = find_user(session, "rob")
        for case in ("revoked", "revoked then rejected"):
            unit = units_module.find(session, "es", texts[case][0])[0]
            approval = session.scalars(select(Approval).where(Approval.fingerprint == unit.fingerprint)).one()
            operations.revoke_approval(session, "es", approval.id, rob, "Wrong number")
        for case in ("revoked then rejected", "rejected"):
            unit = units_module.find(session, "es", texts[case][0])[0]
            operations.review_message(session, "es", unit.mid, rob, unit.fingerprint, "reject", "Say it plainer")
    url = app.config["DATABASE_URL"]
    engine = app.extensions["db_engine"]

    def states() -> dict[str, tuple[str, str]]:
        """Each case's (stored state, the state review_state gives)."""
        with Session(engine) as session:
            found = {case: units_module.find(session, "es", msgid)[0] for case, (msgid, _) in texts.items()}
            return {case: (unit.state, units_module.review_state(session, unit)) for case, unit in found.items()}

    assert {case: now for case, (_, now) in states().items()} == {
        "revoked": "revoked", "revoked then rejected": "rejected", "rejected": "rejected",
        "approved": "approved", "awaiting": "awaiting"}
    # The database as the code before 0014 left it.
    command.downgrade(alembic_config(url), "0013")
    engine.dispose()
    assert states()["revoked"] == ("rejected", "revoked")
    upgrade(url, "head")
    engine.dispose()
    assert all(stored == now for stored, now in states().values()), states()
