"""One unit of work per request (docs/design.md, invariant 11): a page that only shows never writes
to the database, and each change commits in one place.

Every GET address the app has is requested here (the list comes from the URL map, so a new page is
covered the day it is added) by a person with every role, with the database's writes recorded.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from portal.locales import TRANSLATED_LOCALES
from portal.translation.identity import message_id
from tests.conftest import login, person

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
MESSAGE = "How well it works"


class Writes:
    """The statements that change the database, as the engine sends them."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            self.seen.append(statement.split("\n")[0][:120])

    def stop(self):
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def everyone(app, work):
    """A person who may open every staff page of Spanish, with something on each: a saved text,
    an approval, a rejection, the trail."""
    person(work, "adam", [("translator", "es"), ("reviewer", "es")], display_name="Adam", is_admin=True)
    person(work, "tina", [("translator", "es")])
    person(work, "rita", [("reviewer", "es")])
    work.translate("es", MESSAGE, "Qué tan bien funciona", author="tina")
    work.translate("es", "Tests when leukemia comes back", "Pruebas cuando vuelve la leucemia", author="tina")
    work.approve("es", "Tests when leukemia comes back", "rita")
    for locale in TRANSLATED_LOCALES:
        work.publish(locale.code)
    client = app.test_client()
    assert login(client, "adam").status_code == 302
    return client


def get_addresses(app, work) -> list[str]:
    """Every GET address of the app, each argument filled with something that exists."""
    with work.session() as session:
        from portal.people.accounts import find_user

        adam = find_user(session, "adam").id
    values = {"tag": "es", "slug": "treatment", "locale": "es", "mid": message_id(("", MESSAGE, "")),
              "person_id": str(adam), "filename": "portal.css"}
    addresses = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give this test a value for {sorted(missing)} so the page is requested"
        addresses.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule))
    return addresses


def test_no_page_writes_to_the_database_when_it_is_only_shown(app, work, everyone):
    addresses = get_addresses(app, work)
    assert {"/review/", "/review/es/", "/translate/es/", "/admin/people", "/es/treatment"} <= set(addresses)
    writes = Writes(app.extensions["db_engine"])
    try:
        for address in addresses:
            writes.seen.clear()
            with everyone.get(address) as response:
                assert response.status_code < 500, address
            assert writes.seen == [], f"GET {address} wrote to the database: {writes.seen}"
    finally:
        writes.stop()


def test_the_recorder_sees_a_write(app, work, everyone):
    """The check above is not blind: a POST that saves is seen writing."""
    from tests.test_review import save_text

    writes = Writes(app.extensions["db_engine"])
    try:
        save_text(everyone, MESSAGE, "Qué tan bien funciona ahora")
    finally:
        writes.stop()
    assert any(statement.startswith(("UPDATE units", "INSERT INTO edits")) for statement in writes.seen), writes.seen


def test_a_family_page_writes_only_when_the_gate_must_catch_up(app, work):
    """A family page is only shown, with one exception that is the gate's: when a language was never
    published (a fresh install) or its catalog is behind its approvals (a publish that failed), the
    first request publishes it (``portal.web.ensure_published``); once current, nothing is written."""
    family = app.test_client()
    writes = Writes(app.extensions["db_engine"])
    try:
        assert family.get("/es/treatment").status_code == 200
        assert writes.seen and all("published_catalogs" in s for s in writes.seen), writes.seen
        writes.seen.clear()
        for address in ("/es/treatment", "/es/", "/ar/glossary", "/en/tests"):
            assert family.get(address).status_code in (200, 404)
        assert [s for s in writes.seen if "published_catalogs" not in s] == []
        writes.seen.clear()
        assert family.get("/es/treatment").status_code == 200
        assert writes.seen == []
    finally:
        writes.stop()


# -- One place commits; the request and the command are the units of work -------------------------

# Who may call portal.db.commit / transaction, and why (docs/design.md, invariant 11). Everything
# else only flushes: the request (portal.web.unit_of_work) or the command (portal.db.command_unit_of_work)
# commits it. A new caller must be added here, with its reason, and to the design document.
COMMITS_OF_THEIR_OWN = {
    "portal/db.py": "the one commit, and the command's unit of work",
    "portal/web.py": "the request's unit of work; a family page's publish on demand rolls back on failure",
    "portal/cli.py": "a command commits its change before it says what it did, so a failed commit is never printed as done",
    "portal/review/operations.py": "a decision, then the publish it causes: two transactions, so a failed publish loses no decision",
    "portal/notify/outbox.py": "each mail is claimed, sent and marked in transactions of its own",
    "portal/notify/digests.py": "each person's digest in a transaction of its own",
    "portal/people/throttle.py": "a failed login counts though the request is refused",
    "portal/people/sessions.py": "a login's last-seen time, before the request's work begins",
    "portal/translation/views.py": "an upload's preview shown again is remembered though the apply is refused (409)",
}


def _portal_sources():
    from tests.conftest import ROOT

    for path in sorted((ROOT / "portal").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_only_portal_db_commits_and_only_the_listed_boundaries_call_it():
    committing = {name for name, source in _portal_sources() if re.search(r"\.commit\(\)", source)}
    assert committing == {"portal/db.py"}, "commit through portal.db.commit (or let the request or command do it)"
    callers = {name for name, source in _portal_sources()
               if re.search(r"\bdb\.(commit|transaction)\(|^def (commit|transaction)\(", source, re.MULTILINE)}
    assert callers == set(COMMITS_OF_THEIR_OWN), (
        "a module began committing (or stopped): list it in COMMITS_OF_THEIR_OWN with its reason, "
        "and in docs/design.md (invariant 11)")


@pytest.fixture
def probe(app):
    """An app with four test routes (added before its first request, then wrapped like every view)
    that each add a person, and a way to ask who was kept."""
    from flask import abort

    from portal import db, web
    from portal.people.accounts import create_user, find_user

    ran = []

    def add(name):
        session = db.get_session()
        create_user(session, name, "correct horse battery")
        db.after_commit(session, lambda: ran.append(name))

    def saved():
        add("saved")
        return "", 302, {"Location": "/"}

    def refused():
        add("refused")
        return "not valid", 400

    def failed():
        add("failed")
        abort(409)

    def shown():
        add("shown")
        return "just a page"

    for view in (saved, refused, failed, shown):
        app.add_url_rule(f"/probe/{view.__name__}", view.__name__, view, methods=["GET", "POST"])
        web.access.public(view)
    app.config["WTF_CSRF_ENABLED"] = False
    web.every_view_one_unit_of_work(app)

    def kept():
        with app.extensions["db"]() as session:
            return {name for name in ("saved", "refused", "failed", "shown") if find_user(session, name)}

    return app.test_client(), kept, ran


def test_a_post_commits_once_it_succeeds_and_a_refused_one_changes_nothing(probe):
    client, kept, ran = probe
    assert client.post("/probe/refused").status_code == 400
    assert client.post("/probe/failed").status_code == 409
    assert kept() == set() and ran == []  # nothing kept, and nothing waiting for a commit ran
    assert client.post("/probe/saved").status_code == 302
    assert kept() == {"saved"} and ran == ["saved"]


def test_a_get_commits_nothing_even_if_a_view_tried_to_write(probe):
    client, kept, ran = probe
    assert client.get("/probe/shown").status_code == 200
    assert client.get("/probe/saved").status_code == 302  # a GET, whatever its answer
    assert kept() == set() and ran == []


def test_an_action_waits_for_its_own_transaction_and_is_dropped_with_a_rollback(app):
    from portal import db
    from portal.people.accounts import create_user

    ran = []
    with app.extensions["db"]() as session:
        create_user(session, "first", "correct horse battery")
        db.after_commit(session, lambda: ran.append("first"))
        db.rollback(session)  # its transaction is gone: the action with it
        session.rollback()
        db.after_commit(session, lambda: ran.append("second"))
        assert ran == []
        with db.transaction(session):
            create_user(session, "second", "correct horse battery")
        assert ran == ["second"]
        with pytest.raises(RuntimeError), db.transaction(session):
            create_user(session, "third", "correct horse battery")
            db.after_commit(session, lambda: ran.append("third"))
            raise RuntimeError("refused")
        assert ran == ["second"]
    with app.extensions["db"]() as session:
        from portal.people.accounts import find_user

        assert [bool(find_user(session, name)) for name in ("first", "second", "third")] == [False, True, False]


def test_an_action_registered_before_a_plain_rollback_does_not_run_at_the_next_commit(app):
    """A rollback not made through portal.db (SQLAlchemy's own) starts a new transaction; what waited
    for the old one is not run when the new one commits."""
    from portal import db

    ran = []
    with app.extensions["db"]() as session:
        session.execute(text("SELECT 1"))
        db.after_commit(session, lambda: ran.append("old"))
        session.rollback()
        db.commit(session)
    assert ran == []


def test_a_command_is_one_unit_of_work(app, runner):
    """What a command changed is committed when it ends, and all of it rolled back when it fails."""
    import click
    from flask.cli import AppGroup

    from portal import db
    from portal.people.accounts import create_user, find_user

    group = AppGroup("probe")

    @group.command("add")
    @click.argument("name")
    @click.option("--then-fail", is_flag=True)
    def add(name, then_fail):
        create_user(db.get_session(), name, "correct horse battery")
        if then_fail:
            raise click.ClickException("refused after the change")

    app.cli.add_command(group)
    db.command_unit_of_work(group)
    assert runner.invoke(args=["probe", "add", "kept"]).exit_code == 0
    result = runner.invoke(args=["probe", "add", "lost", "--then-fail"])
    assert result.exit_code == 1 and "refused after the change" in result.output
    with app.extensions["db"]() as session:
        assert find_user(session, "kept") is not None and find_user(session, "lost") is None


def test_the_portals_commands_and_views_are_all_wrapped(app):
    unwrapped = [endpoint for endpoint, view in app.view_functions.items() if not getattr(view, "unit_of_work", False)]
    assert unwrapped == []

    def commands(group, prefix=""):
        for name, command in getattr(group, "commands", {}).items():
            if hasattr(command, "commands"):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command
    missing = [name for name, command in commands(app.cli)
               if command.callback is not None and not getattr(command.callback, "unit_of_work", False)]
    assert missing == []


@pytest.fixture
def full_disk(monkeypatch):
    """Every commit fails as SQLite's does when the disk is full (the write-ahead log is written at COMMIT)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def refused(self):
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(Session, "commit", refused)
    return monkeypatch


@pytest.mark.parametrize("args, done", [
    (["users", "create", "ana", "--role", "translator", "--locale", "es"], "Created ana"),
    (["demo"], "Demo people"),
])
def test_a_command_says_what_it_did_only_once_it_is_kept(app, runner, full_disk, args, done):
    """A person's new password is shown once: never for a person the database did not keep."""
    result = runner.invoke(args=args)
    full_disk.undo()
    assert result.exit_code == 1, result.output
    assert done not in result.output and "Password" not in result.output, result.output
    assert "full" in result.output and "Traceback" not in result.output, result.output
    with app.extensions["db"]() as session:
        from portal.people.accounts import list_users

        assert list_users(session) == []


def test_demo_makes_nobody_when_one_of_its_people_exists_already(app, runner, work):
    work.user("demo-reviewer-vi", "reviewer", "vi")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1 and "No demo person was made" in result.output, result.output
    assert "Demo people" not in result.output
    with app.extensions["db"]() as session:
        from portal.people.accounts import list_users

        assert [user.username for user in list_users(session)] == ["demo-reviewer-vi"]
