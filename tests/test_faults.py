"""Faults inside one process: the database down, frozen, locked or failing at the commit.

Families keep reading the last approved text, within a bounded time; staff get the portal's own
page, which never asks the database; nothing typed or saved is lost. The same faults from outside,
on real servers (PostgreSQL stopped and frozen, a full disk), are in tests/test_faults_real.py.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal import create_app
from portal.db import TIMEOUTS, make_engine
from portal.families.served import ServedCatalogs
from tests.conftest import ROOT, close_app, login, make_app, signed_in

SPANISH = "Saltar al contenido principal"
TITLE, SPANISH_TITLE = "Tests when leukemia comes back", "Pruebas cuando la leucemia regresa"


def publish_spanish(work) -> None:
    """An approved, published site text and page title: what families must keep reading through
    every fault (the title gives the page a review date)."""
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", "Skip to main content", SPANISH, author="tina")
    work.translate("es", TITLE, SPANISH_TITLE, author="tina")
    assert work.approve("es", "Skip to main content", "rita").report is not None
    assert work.approve("es", TITLE, "rita").report is not None


def reviewed_line(html: str) -> str:
    return re.search(r'<p class="translation-reviewed">(.*?)</p>', html).group(1)


def break_database(app, tmp_path: Path):
    """From now on every session of the app (the request's and the served catalogs') fails to
    connect, as when the database server is stopped. Returns a function that mends it."""
    factory = app.extensions["db"]
    good = factory.kw["bind"]
    factory.configure(bind=make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"))
    return lambda: factory.configure(bind=good)


def freeze_served(app):
    """The served catalogs' database calls hang until released, as on a frozen server."""
    served: ServedCatalogs = app.extensions["served"]
    thawed, real = threading.Event(), served._sessions

    def frozen():
        thawed.wait(60)
        return real()

    served._sessions = frozen
    return thawed


def timed_get(client, url: str):
    started = time.perf_counter()
    response = client.get(url)
    return response, time.perf_counter() - started


# --- Families ---------------------------------------------------------------------------------

def test_families_keep_the_last_catalog_while_the_database_is_down(app, work, tmp_path):
    publish_spanish(work)
    client = app.test_client()
    assert SPANISH in client.get("/es/tests").get_data(as_text=True)
    mend = break_database(app, tmp_path)
    for url in ("/es/tests", "/es/", "/es/glossary", "/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        if response.status_code == 200:
            assert SPANISH in response.get_data(as_text=True), url
    mend()
    assert SPANISH in client.get("/es/tests").get_data(as_text=True)


def test_a_frozen_database_costs_a_family_a_bounded_wait_and_the_page_catches_up_after(app, work):
    """The first request of a freeze waits at most the patience (2 s), each later one at most the
    short bound (100 ms) more; when the database answers, the next request serves the new publish."""
    publish_spanish(work)
    client = app.test_client()
    assert SPANISH in client.get("/es/tests").get_data(as_text=True)
    served = app.extensions["served"]
    thawed = freeze_served(app)
    try:
        first, first_took = timed_get(client, "/es/tests")
        later = [timed_get(client, "/es/tests") for _ in range(10)]
        assert first.status_code == 200 and SPANISH in first.get_data(as_text=True)
        assert first_took < served.patience + 1.0
        assert all(r.status_code == 200 and SPANISH in r.get_data(as_text=True) for r, _ in later)
        assert max(took for _, took in later) < served.wait + 0.5, [round(t, 3) for _, t in later]
        # One check of the locale waits on the frozen database for the whole freeze: the requests
        # of the freeze share it, and no other thread is started for them.
        assert len(served._checks) == 1 and served._threads == 1 and served._idle == 0
        # A revocation is recorded meanwhile (by another host, whose database connection works).
        with work.session() as session:
            from sqlalchemy import select

            from portal.people.accounts import find_user
            from portal.review.models import Approval
            from portal.review.operations import revoke_approval

            approval = session.scalars(select(Approval).where(Approval.msgid == "Skip to main content")).one()
            revoke_approval(session, "es", approval.id, find_user(session, "rita"), "Wrong register.")
    finally:
        thawed.set()
    deadline = time.monotonic() + 5
    while SPANISH in client.get("/es/tests").get_data(as_text=True):
        assert time.monotonic() < deadline, "the page never caught up with the revocation"
        time.sleep(0.05)


def test_a_publish_is_served_on_the_next_request_when_the_database_answers(app, work):
    """The bound is no excuse for a stale page: with the database up, a revocation is never missed."""
    publish_spanish(work)
    client = app.test_client()
    assert SPANISH in client.get("/es/tests").get_data(as_text=True)
    from sqlalchemy import select

    from portal.people.accounts import find_user
    from portal.review.models import Approval
    from portal.review.operations import revoke_approval

    with work.session() as session:
        approval = session.scalars(select(Approval).where(Approval.msgid == "Skip to main content")).one()
        revoke_approval(session, "es", approval.id, find_user(session, "rita"), "Wrong register.")
    assert SPANISH not in client.get("/es/tests").get_data(as_text=True)


def test_a_worker_that_starts_with_the_database_down_serves_its_local_copy(app, work, tmp_path):
    publish_spanish(work)
    original = app.test_client().get("/es/tests").get_data(as_text=True)  # writes the copy
    assert SPANISH in original and SPANISH_TITLE in original
    copy = Path(app.config["PUBLISHED_DIR"]) / "es.json"
    assert copy.is_file()
    down = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    restarted = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": down,
                            "TRANSLATIONS_DIR": app.config["TRANSLATIONS_DIR"],
                            "PUBLISHED_DIR": app.config["PUBLISHED_DIR"]})
    response, took = timed_get(restarted.test_client(), "/es/tests")
    assert response.status_code == 200 and SPANISH in response.get_data(as_text=True)
    assert took < restarted.extensions["served"].patience + 1.0
    # The review date shown with the page comes from the same copy as the text.
    html = response.get_data(as_text=True)
    assert SPANISH_TITLE in html and reviewed_line(html) == reviewed_line(original)
    assert "2026" in reviewed_line(html) or re.search(r"\d{4}", reviewed_line(html))


def test_without_a_local_copy_a_worker_serves_english_with_the_notice_never_a_500(app, work, tmp_path):
    down = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": down,
                        "TRANSLATIONS_DIR": app.config["TRANSLATIONS_DIR"],
                        "PUBLISHED_DIR": str(tmp_path / "nothing-here")})
    client = fresh.test_client()
    for url in ("/es/tests", "/ar/", "/vi/glossary", "/zh-Hans/outlook"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Skip to main content" in response.get_data(as_text=True), url


def test_a_damaged_or_foreign_local_copy_is_not_served(app, work, tmp_path):
    copies = Path(app.config["PUBLISHED_DIR"])
    copies.mkdir(parents=True, exist_ok=True)
    (copies / "es.json").write_text("{not json")
    (copies / "vi.json").write_text('{"locale": "es", "version": 1, "mo": "", "reviewed": {}}')
    down = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": down,
                        "TRANSLATIONS_DIR": app.config["TRANSLATIONS_DIR"], "PUBLISHED_DIR": str(copies)})
    for url in ("/es/tests", "/vi/tests"):
        assert fresh.test_client().get(url).status_code == 200


def test_a_local_copy_from_another_database_gives_way_to_the_database(app, work, tmp_path):
    """A copy is only a stand-in: once the database answers, its catalog is served, even when the
    copy claims the same or a newer version (it may come from another database altogether)."""
    publish_spanish(work)
    assert SPANISH in app.test_client().get("/es/tests").get_data(as_text=True)
    other = make_app(tmp_path / "other", Path(app.config["TRANSLATIONS_DIR"]),
                     PUBLISHED_DIR=app.config["PUBLISHED_DIR"])
    with other.extensions["db"]() as session:
        from portal.review.operations import publish_locale

        publish_locale(session, "es")  # the same version number as the copy's, nothing approved
        publish_locale(session, "es")
    copy_version = __import__("json").loads((Path(app.config["PUBLISHED_DIR"]) / "es.json").read_text())["version"]
    with other.extensions["db"]() as session:
        from portal.review.gate import published_version

        assert published_version(session, "es") == copy_version
    try:
        assert SPANISH not in other.test_client().get("/es/tests").get_data(as_text=True)
    finally:
        close_app(other)


def test_a_full_disk_for_the_local_copy_costs_only_the_copy(app, work, monkeypatch):
    import errno

    from portal.translation import catalogs

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    publish_spanish(work)
    monkeypatch.setattr(catalogs, "atomic_write", full)
    response = app.test_client().get("/es/tests")
    assert response.status_code == 200 and SPANISH in response.get_data(as_text=True)


def test_locked_sqlite_keeps_families_reading_and_a_save_waits_only_its_bound(tmp_path, empty_catalogs):
    """Another process holds SQLite's write lock: reads go on (write-ahead log), a save waits the
    lock timeout, then gets the portal's page with the typed text; nothing is changed."""
    app = make_app(tmp_path, empty_catalogs, DB_LOCK_TIMEOUT=0.5,
                   DATABASE_URL=f"sqlite:///{tmp_path / 'locked.sqlite3'}")  # SQLite's own lock, in every run
    from tests.conftest import Workflow, person

    work = Workflow(app)
    publish_spanish(work)
    person(work, "ana", [("translator", "es")])
    unit = work.unit("es", "Infections")
    client = signed_in(app, "ana")
    page = client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        family, family_took = timed_get(app.test_client(), "/es/tests")
        assert family.status_code == 200 and SPANISH in family.get_data(as_text=True)
        assert family_took < 1.0
        started = time.perf_counter()
        response = client.post(f"/translate/es/m/{unit.mid}",
                               data={"csrf_token": token, "base": unit.revision, "form0": "Infecciones & más"})
        took = time.perf_counter() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and took < 5
    assert "The database is not answering" in html and "Nothing was changed" in html
    assert "Infecciones &amp; más</textarea>" in html  # given back, escaped
    assert "Error:" in html.split("</title>")[0]
    assert work.unit("es", "Infections").forms == unit.forms
    # The page's own form sends the same save again, and now it is kept.
    again = client.post(f"/translate/es/m/{unit.mid}",
                        data={"csrf_token": token, "base": unit.revision, "form0": "Infecciones & más"})
    assert again.status_code == 302
    assert work.unit("es", "Infections").forms == ["Infecciones & más"]


# --- Staff ----------------------------------------------------------------------------------

def test_staff_pages_say_the_database_is_not_answering_without_asking_it(app, people, tmp_path):
    client = signed_in(app, "tina")
    unit_mid = people.unit("es", "Infections").mid
    mend = break_database(app, tmp_path)
    engine = app.extensions["db"].kw["bind"]
    connects = []
    event.listen(engine, "connect", lambda *_: connects.append(1))
    for url in ("/translate/es/", f"/translate/es/m/{unit_mid}", "/review/", "/account", "/admin/people"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 503, url
        assert "The database is not answering" in html and "Nothing was changed" in html, url
        assert "Internal Server Error" not in html
        assert response.headers["Retry-After"] == "60"
        assert response.headers["Content-Security-Policy"] and response.headers["Cache-Control"] == "no-store"
    # After the first failure the process pauses: the later pages were answered without a try.
    assert len(connects) <= 1
    mend()


def test_a_save_during_an_outage_gives_the_typed_text_back(app, people, tmp_path):
    client = signed_in(app, "tina")
    unit = people.unit("es", "Infections")
    page = client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    mend = break_database(app, tmp_path)
    response = client.post(f"/translate/es/m/{unit.mid}",
                           data={"csrf_token": token, "base": unit.revision, "form0": "Infecciones", "fuzzy": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Nothing was changed" in html and ">Infecciones</textarea>" in html
    assert 'name="fuzzy" value="1"' in html and f'name="base" value="{unit.revision}"' in html
    mend()
    assert people.unit("es", "Infections").forms == unit.forms


def test_a_save_whose_answer_was_lost_shows_as_kept_the_next_time(app, people, monkeypatch):
    """The commit reached the database, then the connection failed before the answer: the page
    does not claim nothing was saved, and the message page says the save was kept."""
    client = signed_in(app, "tina")
    unit = people.unit("es", "Infections")
    page = client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert "Your last save" not in page

    def lost(_session):
        raise OperationalError("COMMIT", None, Exception("server closed the connection unexpectedly"))

    event.listen(Session, "after_commit", lost)
    try:
        response = client.post(f"/translate/es/m/{unit.mid}",
                               data={"csrf_token": token, "base": unit.revision, "form0": "Infecciones"})
    finally:
        event.remove(Session, "after_commit", lost)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Nothing was changed" not in html and "may or may not" in html
    app.extensions.pop("db_paused_until", None)  # the pause after a lost connection, over
    again = client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    assert re.search(r"Your last save at \d\d:\d\d UTC on \d{4}-\d\d-\d\d was kept", again)
    assert people.unit("es", "Infections").forms == ["Infecciones"]


def test_another_persons_save_is_not_shown_as_yours(app, people):
    people.translate("es", "Infections", "Infecciones", author="tom")
    client = signed_in(app, "tina")
    unit = people.unit("es", "Infections")
    assert "Your last save" not in client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)


def test_every_database_wait_ends_before_the_worker_is_given_up_on():
    """gunicorn gives a worker 30 s (its default, not changed in gunicorn.conf.py); every database
    wait the portal sets ends well before, so a request always gets the portal's own answer."""
    config = (ROOT / "gunicorn.conf.py").read_text()
    found = re.search(r"^timeout\s*=\s*(\d+)", config, re.M)
    worker_timeout = int(found.group(1)) if found else 30
    assert TIMEOUTS["DB_STATEMENT_TIMEOUT"] + 2 < worker_timeout  # the watchdog's deadline
    assert TIMEOUTS["DB_LOCK_TIMEOUT"] < worker_timeout
    assert TIMEOUTS["DB_CONNECT_TIMEOUT"] * 2 < worker_timeout  # a ping, then one new connection
    engine = make_engine("sqlite:///:memory:")
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0] == \
            TIMEOUTS["DB_LOCK_TIMEOUT"] * 1000


def test_a_failed_login_during_an_outage_is_the_same_page(app, people, tmp_path):
    client = app.test_client()
    from tests.conftest import csrf_token

    token = csrf_token(client)
    break_database(app, tmp_path)
    response = client.post("/login", data={"csrf_token": token, "username": "tina", "password": "x"})
    assert response.status_code == 503
    assert "The database is not answering" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/es/tests", "/ar/glossary"])
def test_family_error_pages_do_not_need_the_database(app, work, tmp_path, url):
    publish_spanish(work)
    break_database(app, tmp_path)
    assert app.test_client().get(url.replace("tests", "no-such-page").replace("glossary", "nope")).status_code == 404


def test_login_still_works_for_people_after_the_database_returns(app, people, tmp_path):
    mend = break_database(app, tmp_path)
    client = app.test_client()
    assert client.get("/translate/es/").status_code == 302  # not signed in: to the login page
    mend()
    assert login(client, "tina").status_code == 302


def test_a_stale_save_conflicts_when_only_the_translators_comment_changed(app, people):
    """Anything of the unit changed since the editor loaded it (here only the comment, from a
    Poedit upload) makes a stale save a conflict: the change is never silently carried over."""
    from portal.people.accounts import find_user
    from portal.translation import units

    people.translate("es", "Infections", "Infecciones", author="tina")
    base = people.unit("es", "Infections").revision
    terms = app.extensions["terms"]
    with people.session() as session:
        mid = people.unit("es", "Infections").mid
        units.apply_changes(session, "es", [units.Change(mid, ["Infecciones"], base, comment="Check the term")],
                            find_user(session, "tom"), terms)
        session.commit()
    with people.session() as session:
        with pytest.raises(units.Conflict):
            units.save(session, "es", mid, ["Las infecciones"], base, find_user(session, "tina"), terms)
        session.rollback()
    unit = people.unit("es", "Infections")
    assert (unit.forms, unit.translator_comment) == (["Infecciones"], "Check the term")


def test_a_save_that_fails_before_its_commit_says_nothing_was_changed_after_a_last_seen_write(
        app, people, monkeypatch):
    """A login's last-seen time is written (and committed) before the request's work, at most every
    5 minutes; that commit is not the save's, so a save that then fails before its own commit
    still says that nothing was changed, not that it may have been kept."""
    import datetime as dt

    from sqlalchemy import update

    from portal.people.models import LoginSession
    from portal.translation import units

    client = signed_in(app, "tina")
    unit = people.unit("es", "Infections")
    page = client.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with people.session() as session:  # the login was last seen long ago: this request writes it
        session.execute(update(LoginSession).values(last_seen_at=dt.datetime(2020, 1, 1)))

    def locked(*_args, **_kwargs):
        raise OperationalError("UPDATE units", None, Exception("database is locked"))

    monkeypatch.setattr(units, "save", locked)
    response = client.post(f"/translate/es/m/{unit.mid}",
                           data={"csrf_token": token, "base": unit.revision, "form0": "Infecciones"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Nothing was changed" in html and "may or may not" not in html
    with people.session() as session:  # the last-seen time was written by this request
        assert session.scalar(select(LoginSession.last_seen_at)) > dt.datetime(2020, 1, 1)
    assert people.unit("es", "Infections").forms == unit.forms
