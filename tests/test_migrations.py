"""Alembic migrations: head matches the models, and each migration keeps the rows that exist.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (a fresh schema per test).
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

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
from portal.models import Approval, Edit, LoginSession, User
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


def differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


HEAD = "0006"


def test_one_head_and_one_line_of_revisions():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [HEAD]
    assert [rev.revision for rev in script.walk_revisions()] == [HEAD, "0005", "0004", "0003", "0002", "0001"]


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
        approval = session.get(Approval, 9)
        assert (approval.reviewer_id, approval.fingerprint, approval.forms) == (1, "a" * 64, ["Antibiótico"])
        assert approval.created_at == dt.datetime(2026, 1, 2, 3, 6, 0)
        assert approval.revoked_at is None and approval.author_known is False
        assert approval.note == ""


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
    with Session(engine) as session:
        edit = session.get(Edit, 7)
        assert edit.words == words_fingerprint(["Antibiótico"]) and edit.replaced_json is None
    command.downgrade(alembic_config(url), "0005")
    engine.dispose()
    assert "words" not in {c["name"] for c in inspect(engine).get_columns("edits")}
    assert "source_changes" not in inspect(engine).get_table_names()
    upgrade(url, "head")
    engine.dispose()
    _check_rows(engine)
    assert differences(engine) == []
