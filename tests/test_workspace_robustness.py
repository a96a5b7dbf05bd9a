"""Saving under pressure (docs/design.md, invariant 5): many writer processes on one database, a writer
killed mid-save, and the Poedit round trip through download, preview and apply.

A save is one transaction: the unit (text, revision) and its history row change together or
not at all, and a save based on a unit revision that is no longer current is a Conflict, never
an overwrite. Runs on SQLite (a file in the test's folder) and, when TEST_DATABASE_URL is set,
on PostgreSQL. Every catalog the portal writes is checked twice: polib parses it, and GNU
gettext's ``msgfmt -c`` (an implementation that shares no code with the portal) accepts it.
"""
from __future__ import annotations

import difflib
import json
import multiprocessing
import os
import random
import signal
import threading
import time
import traceback
from pathlib import Path

import polib
import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import sessionmaker

from portal.db import make_engine
from portal.models import Edit, Unit, User
from portal.translation import files, units, uploads
from portal.translation.checks import Terms
from portal.translation.identity import fingerprint, message_id
from portal.translation.units import Change, Conflict, apply_changes, current_revision
from tests.conftest import Workflow, close_app, make_app, msgfmt_check

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "es"
TERMS = Terms.load(ROOT / "content")
PASSWORD = "correct horse battery"


# --- Helpers ---------------------------------------------------------------------------------

# The SQLite file of the many-writer tests in memory when there is a tmpfs: every commit fsyncs,
# which on a disk costs four times the save itself, and proves nothing here (a process that is
# killed leaves the kernel's page cache behind it; SQLite's journal, not fsync, makes that atomic).
TMP_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@pytest.fixture
def busy_app(empty_catalogs):
    """Like ``app`` (every unit untranslated), its SQLite file in memory (``TMP_ROOT``)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="robustness-", dir=TMP_ROOT))
    app = make_app(folder, empty_catalogs)
    yield app
    close_app(app)
    shutil.rmtree(folder, ignore_errors=True)


def letters(number: int) -> str:
    """A number spelled in letters ("bcd" for 123): a tag that the number check never sees."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def number_of(tag: str) -> int:
    return int("".join(str("abcdefghij".index(c)) for c in tag))


def tagged(tag: str, unit) -> list[str]:
    """A translation that passes every blocking check: the source with a tag in front."""
    if unit.msgid_plural:
        return [f"[{tag}] {unit.msgid}", f"[{tag}] {unit.msgid_plural}"]
    return [f"[{tag}] {unit.msgid}"]


def plain_units(app) -> list[Unit]:
    """Singular messages without digits, placeholders, links or emphasis (any tag passes the
    checks), in template order."""
    with app.extensions["db"]() as session:
        found = session.scalars(units.live(LOCALE).where(Unit.msgid_plural == "")).all()
    return [u for u in found if not any(mark in u.msgid for mark in "%{*[]()0123456789")]


def plural_unit(app) -> Unit:
    with app.extensions["db"]() as session:
        return session.scalars(units.live(LOCALE).where(Unit.msgid_plural != "")).first()


def snapshot(app) -> dict:
    """Everything about each unit of the locale a save must keep or change, by message id."""
    with app.extensions["db"]() as session:
        rows = session.execute(select(Unit.mid, Unit.forms_json, Unit.fuzzy, Unit.translator_comment, Unit.revision,
                                      Unit.previous_msgid, Unit.obsolete, Unit.state, Unit.fingerprint)
                               .where(Unit.locale == LOCALE))
        return {row[0]: tuple(row[1:]) for row in rows}


def edit_rows(app) -> list[Edit]:
    with app.extensions["db"]() as session:
        return list(session.scalars(select(Edit).where(Edit.locale == LOCALE).order_by(Edit.id)))


def revision_of(app) -> int:
    with app.extensions["db"]() as session:
        return current_revision(session, LOCALE)


def unit_revisions(app) -> dict[str, int]:
    with app.extensions["db"]() as session:
        return dict(session.execute(select(Unit.mid, Unit.revision).where(Unit.locale == LOCALE)).all())


CONSISTENCY = text("""
    SELECT u.mid, u.forms_json, u.catalog_revision,
           (SELECT e.translation_json FROM edits e WHERE e.locale = u.locale AND e.mid = u.mid
            ORDER BY e.id DESC LIMIT 1),
           (SELECT max(e.revision) FROM edits e WHERE e.locale = u.locale AND e.mid = u.mid),
           (SELECT count(*) FROM edits e WHERE e.locale = u.locale AND e.mid = u.mid),
           u.revision,
           (SELECT revision FROM catalog_revisions WHERE locale = u.locale),
           (SELECT max(revision) FROM edits WHERE locale = u.locale)
    FROM units u WHERE u.locale = :locale AND u.mid IN :mids
""").bindparams(bindparam("mids", expanding=True))


def consistent_view(connection, mids: list[str]) -> list[tuple]:
    """Each unit with its newest history row, the locale's revision and the newest edit's, read
    in one statement (so in one snapshot, on SQLite and PostgreSQL alike)."""
    return [tuple(row) for row in connection.execute(CONSISTENCY, {"locale": LOCALE, "mids": list(mids)})]


def assert_unit_and_history_agree(rows: list[tuple], start_revision: int) -> None:
    """Both or neither: every unit's text is its newest edit's (or it has no edit and is as it
    started, untranslated), the unit says which locale revision made it, and the locale's
    revision is that of its newest edit (or where it started, before any)."""
    for mid, forms_json, made_by, newest, newest_revision, count, _unit_revision, locale_revision, last in rows:
        if count == 0:
            assert json.loads(forms_json) == [""], f"{mid}: a text with no history row"
        else:
            assert forms_json == newest, f"{mid}: the unit and its newest history row differ"
            assert made_by == newest_revision, f"{mid}: the unit names revision {made_by}, its history {newest_revision}"
        assert locale_revision == max(start_revision, last or 0), (locale_revision, last)


def child_config(app) -> dict:
    """What another worker process needs to act on the same database."""
    return {key: app.config[key] for key in ("DATABASE_URL", "SECRET_KEY")}


def mp_context():
    """forkserver: children fork from a clean single-threaded server that has imported the portal
    once, so they start fast and never inherit the test process's database connections."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["portal", "portal.models", "portal.translation.units", __name__])
    return context


def sessions_for(config):
    """A worker's own engine and sessions (as every portal process has: ``portal.db.make_engine``)."""
    engine = make_engine(config["DATABASE_URL"])
    return engine, sessionmaker(engine, expire_on_commit=False)


# --- a. Eight writers, 200 saves each, on one database -----------------------------------------

WRITERS = 8
SAVES_EACH = 200  # per writer process
THREAD_SAVES_EACH = 40  # per thread of one process (gunicorn's gthread workers share an engine)
OWN_EACH = 4  # messages only this writer saves
SHARED = 2  # messages every writer saves
STALE_EVERY = 10  # every 10th save of a shared message is based on a revision already gone


def _save_many(make_session, author_id, number, own, shared, english, saves, barrier) -> list[tuple]:
    """Save ``saves`` times as fast as possible: every other save one of the writer's own messages,
    the rest a shared one, each time reading the unit's revision first (as the editor page does)
    and sending it as the base. Returns every outcome, saved or Conflict; anything else raises."""
    outcome = []
    with make_session() as session:
        author = session.get(User, author_id)
        session.rollback()
        barrier.wait(120)
        for step in range(saves):
            mid = own[(step // 2) % len(own)] if step % 2 == 0 else shared[(step // 2) % len(shared)]
            base = session.scalar(select(Unit.revision).where(Unit.locale == LOCALE, Unit.mid == mid))
            session.rollback()  # the page is rendered; the save comes as a request of its own
            stale = step % 2 == 1 and (step // 2) % STALE_EVERY == 0
            if stale:
                base -= 1
            unit_text = [f"[{letters(number)} {letters(step)}] {english[mid]}"]
            try:
                revision = units.save(session, LOCALE, mid, unit_text, base, author, TERMS)
                session.commit()
                outcome.append(("saved", mid, unit_text, base, revision, stale))
            except Conflict as conflict:
                session.rollback()
                theirs = (conflict.theirs, conflict.theirs_revision, conflict.theirs_fingerprint, conflict.author)
                outcome.append(("conflict", mid, unit_text, base, theirs, stale))
    return outcome


def _writer_process(config, author_id, number, own, shared, english, saves, barrier, results):
    """A worker process with an engine of its own."""
    engine, make_session = sessions_for(config)
    try:
        results.put((number, _save_many(make_session, author_id, number, own, shared, english, saves, barrier)))
    except BaseException:  # noqa: BLE001  (reported to the test, which fails with it)
        results.put((number, traceback.format_exc()))
    finally:
        engine.dispose()


def _writer_thread(make_session, author_id, number, own, shared, english, saves, barrier, results):
    """A thread of the test's own process, on the app's engine."""
    try:
        results.put((number, _save_many(make_session, author_id, number, own, shared, english, saves, barrier)))
    except BaseException:  # noqa: BLE001
        results.put((number, traceback.format_exc()))


def _many_writers(app, work, kind: str, saves: int) -> None:
    """WRITERS writers (processes or threads) save ``saves`` times each. Every save is saved or
    reported as a Conflict; every saved one is in the history exactly once, based on the unit
    revision just before it; the unit revisions and the locale's revision count the saves; a
    conflict names the text and author that stood, and leaves no trace."""
    plain = plain_units(app)
    mids = [u.mid for u in plain[:WRITERS * OWN_EACH + SHARED]]
    own = {n: mids[n * OWN_EACH:(n + 1) * OWN_EACH] for n in range(WRITERS)}
    shared = mids[-SHARED:]
    english = {u.mid: u.msgid for u in plain}
    names = {n: f"w{letters(n)}" for n in range(WRITERS)}
    authors = {n: work.user(names[n], "translator", LOCALE) for n in range(WRITERS)}
    start_revision, start_units = revision_of(app), unit_revisions(app)
    if kind == "processes":
        context = mp_context()
        barrier, results = context.Barrier(WRITERS + 1), context.Queue()
        workers = [context.Process(target=_writer_process, args=(child_config(app), authors[n], n, own[n], shared,
                                                                 english, saves, barrier, results))
                   for n in range(WRITERS)]
    else:
        import queue

        barrier, results = threading.Barrier(WRITERS + 1), queue.Queue()
        workers = [threading.Thread(target=_writer_thread, args=(app.extensions["db"], authors[n], n, own[n], shared,
                                                                 english, saves, barrier, results))
                   for n in range(WRITERS)]
    began = time.monotonic()
    for worker in workers:
        worker.start()
    reads, outcomes = 0, {}
    try:
        barrier.wait(120)
        # Meanwhile a reader checks, in one snapshot each time, that no unit is ever seen apart
        # from its history (a save half made, or a history row without its unit).
        engine = app.extensions["db_engine"]
        deadline = time.monotonic() + 180
        while len(outcomes) < WRITERS and time.monotonic() < deadline:
            with engine.connect() as connection:
                assert_unit_and_history_agree(consistent_view(connection, mids), start_revision)
            reads += 1
            while not results.empty() and len(outcomes) < WRITERS:
                number, outcome = results.get(timeout=10)
                outcomes[number] = outcome
            time.sleep(0.02)
        while len(outcomes) < WRITERS:
            number, outcome = results.get(timeout=60)
            outcomes[number] = outcome
    finally:
        for worker in workers:
            worker.join(60)
            if kind == "processes" and worker.is_alive():
                worker.kill()
    elapsed = time.monotonic() - began
    failed = {n: o for n, o in outcomes.items() if not isinstance(o, list)}
    assert not failed, "\n".join(failed.values())
    assert reads > 0
    assert all(len(o) == saves for o in outcomes.values())

    attempts = [(n, *o) for n, out in outcomes.items() for o in out]  # (writer, kind, mid, forms, base, ..., stale)
    saved = [a for a in attempts if a[1] == "saved"]
    conflicts = [a for a in attempts if a[1] == "conflict"]
    # The history is exactly the successful saves: one Edit each, by its writer, with its revision.
    rows = edit_rows(app)
    assert sorted((r.mid, tuple(r.forms), r.author_id, r.revision, r.origin) for r in rows) == sorted(
        (mid, tuple(forms), authors[n], revision, "web") for n, _, mid, forms, _, revision, _ in saved)
    # Each save took the next locale revision: no two saves share one, none is missing.
    assert sorted(a[5] for a in saved) == list(range(start_revision + 1, start_revision + len(saved) + 1))
    assert revision_of(app) == start_revision + len(saved)
    final = snapshot(app)
    history = {}
    for row in rows:
        history.setdefault(row.mid, []).append(row)
    standing = {}  # (mid, unit revision) -> (text, its writer's name) that stood at that revision
    for mid in mids:
        standing[(mid, start_units[mid])] = ([""], None)  # untranslated at first
        made = sorted((a for a in saved if a[2] == mid), key=lambda a: a[5])
        # Each successful save was based on the unit as it was just before it: none overwrote a
        # save it had not seen. And the unit's revision counts its saves, one each.
        for position, (n, _, _, forms, base, _, _) in enumerate(made):
            assert base == start_units[mid] + position, f"{mid}: a save based on {base} overwrote a newer text"
            standing[(mid, base + 1)] = (forms, names[n])
        assert final[mid][3] == start_units[mid] + len(made)
        assert json.loads(final[mid][0]) == made[-1][3], f"{mid}: the last save is not the unit's text"
        assert [r.revision for r in history[mid]] == [a[5] for a in made]
    # Own messages: nobody else saved them, so no conflict; every save arrived.
    for n in range(WRITERS):
        assert not [a for a in conflicts if a[2] in own[n]], f"writer {n} got a conflict on its own message"
    # A conflict shows the text that stood and who wrote it, and leaves no trace; a stale base always is one.
    saved_texts = {(a[2], tuple(a[3])) for a in saved}
    for _, _, mid, mine, base, (theirs, theirs_revision, theirs_print, author), _ in conflicts:
        assert theirs_revision != base and standing[(mid, theirs_revision)] == (theirs, author)
        assert theirs_print == fingerprint(("", english[mid], ""), theirs)
        assert (mid, tuple(mine)) not in saved_texts
    assert all(a[1] == "conflict" for a in attempts if a[6]), "a save on a stale base went through"
    assert len([a for a in attempts if a[6]]) == WRITERS * len(range(1, saves, 2 * STALE_EVERY))
    print(f"{len(saved)} saves and {len(conflicts)} conflicts from {WRITERS} {kind} in {elapsed:.1f} s, "
          f"{reads} consistent reads meanwhile")


def test_eight_writer_processes_lose_no_save_and_the_history_is_the_saves(busy_app):
    _many_writers(busy_app, Workflow(busy_app), "processes", SAVES_EACH)


def test_eight_threads_of_one_process_lose_no_save_either(busy_app):
    _many_writers(busy_app, Workflow(busy_app), "threads", THREAD_SAVES_EACH)


# --- b. A writer killed at random moments ------------------------------------------------------

KILL_ROUNDS = 8
KILLED_SAVE_SIZE = 120  # messages in each save (an upload): a transaction of about half a second


def _endless_saver(config, author_id, mids, started, completed):
    """Save every message in ``mids`` as one change (an upload: a long transaction), tagged with
    the round number, forever."""
    engine, make_session = sessions_for(config)
    with make_session() as session:
        author = session.get(User, author_id)
        found = {u.mid: u for u in session.scalars(select(Unit).where(Unit.locale == LOCALE, Unit.mid.in_(mids)))}
        postgresql = engine.dialect.name == "postgresql"
        backend = session.scalar(text("SELECT pg_backend_pid()")) if postgresql else 0
        session.rollback()
        done = completed.value
        started.value = backend or 1  # on PostgreSQL, the server process the saves run in
        while True:
            done += 1
            changes = [Change(mid, tagged(letters(done), found[mid]), None) for mid in mids]
            apply_changes(session, LOCALE, changes, author, TERMS, origin="upload")
            session.commit()
            completed.value = done


def _wait_for_a_transaction(engine, database: Path | None, backend: int, deadline: float) -> bool:
    """Poll until the saver is in the middle of a save that has written something: on SQLite its
    rollback journal exists; on PostgreSQL its server process has a transaction id. True when it
    was caught so."""
    if database is not None:
        journal = Path(f"{database}-journal")
        while time.monotonic() < deadline:
            if journal.exists():
                return True
        return False
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            writing = connection.execute(text("SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = :pid"),
                                         {"pid": backend}).scalar()
            connection.rollback()  # a fresh snapshot of the statistics each time
            if writing:
                return True
    return False


def _rounds_in(connection, mids) -> set[int]:
    """The round tags found in the saved messages (one value when every save was whole)."""
    found = set()
    for (forms_json,) in connection.execute(select(Unit.forms_json).where(Unit.locale == LOCALE, Unit.mid.in_(mids))):
        text_ = json.loads(forms_json)[0]
        found.add(number_of(text_[1:text_.index("]")]) if text_ else 0)
    return found


def test_a_writer_killed_mid_save_leaves_each_unit_with_its_history_or_neither(busy_app):
    from sqlalchemy.engine import make_url

    app, work = busy_app, Workflow(busy_app)

    plain = plain_units(app)
    mids = [u.mid for u in plain[:KILLED_SAVE_SIZE]]
    author = work.user("kim", "translator", LOCALE)
    start_revision, start_units = revision_of(app), unit_revisions(app)
    url = make_url(app.config["DATABASE_URL"])
    database = Path(url.database) if url.get_backend_name() == "sqlite" else None
    context = mp_context()
    completed = context.Value("i", 0)
    mid_save = 0
    seed = os.environ.get("PYTEST_SEED", str(time.time_ns()))
    rng = random.Random(seed)
    print(f"seed {seed}")
    began = time.monotonic()
    engine = app.extensions["db_engine"]
    for round_ in range(KILL_ROUNDS):
        started = context.Value("i", 0)
        child = context.Process(target=_endless_saver, args=(child_config(app), author, mids, started, completed))
        child.start()
        try:
            deadline = time.monotonic() + 60
            while not started.value and time.monotonic() < deadline:
                assert child.is_alive(), f"the saver died on its own (exit code {child.exitcode})"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 1.2))
            if round_ % 2:  # half the rounds: kill the moment a save is under way
                mid_save += _wait_for_a_transaction(engine, database, started.value, time.monotonic() + 10)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.join(30)
        assert child.exitcode == -signal.SIGKILL
        done = completed.value
        engine.dispose()  # a new connection, as after a crash (SQLite rolls a hot journal back)
        with engine.connect() as connection:
            if database is not None:
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            rounds = _rounds_in(connection, mids)
            assert len(rounds) == 1, f"a mix of saves: rounds {sorted(rounds)}"
            (in_db,) = rounds
            # The save the writer last finished, or the one it committed just before it was killed.
            assert in_db in (done, done + 1), (in_db, done)
            rows = consistent_view(connection, mids)
            assert_unit_and_history_agree(rows, start_revision)
            for mid, _, _, _, _, count, unit_revision, locale_revision, last in rows:
                assert count == in_db, f"{mid}: {count} history rows after {in_db} whole saves"
                assert unit_revision == start_units[mid] + in_db, f"{mid}: revision {unit_revision}"
                assert locale_revision == start_revision + in_db
            edits = connection.execute(select(func.count()).select_from(Edit).where(Edit.locale == LOCALE)).scalar()
            assert edits == in_db * len(mids)
        completed.value = in_db  # the next writer goes on from what the database holds
    elapsed = time.monotonic() - began
    assert elapsed < 60, f"{elapsed:.1f} s"
    print(f"{KILL_ROUNDS} kills in {elapsed:.1f} s, last round {completed.value}, "
          f"{mid_save} in the middle of a transaction")


def _killed_at_commit(config, author_id, mid, forms, base):
    """Save one message, but die (SIGKILL) the moment the save is about to be committed."""
    from sqlalchemy.orm import Session

    engine, make_session = sessions_for(config)
    Session.commit = lambda self: os.kill(os.getpid(), signal.SIGKILL)
    with make_session() as session:
        units.save(session, LOCALE, mid, forms, base, session.get(User, author_id), TERMS)
        session.commit()


def test_a_writer_killed_after_its_flush_before_its_commit_leaves_nothing(app, work):
    """The unit's UPDATE and its history row are both sent, then the process dies: neither stays,
    so no text is ever in a unit without the history that says who wrote it (four eyes)."""
    from portal.people.accounts import create_user
    from portal.review.rules import unit_authors

    unit = next(u for u in plain_units(app) if u.kind == "medical")
    with app.extensions["db"]() as session:
        rob = create_user(session, "rob", PASSWORD, roles=[("translator", LOCALE), ("reviewer", LOCALE)]).id
        session.commit()
    before, start_revision = snapshot(app), revision_of(app)
    child = mp_context().Process(target=_killed_at_commit,
                                 args=(child_config(app), rob, unit.mid, tagged("rob", unit), unit.revision))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    app.extensions["db_engine"].dispose()
    assert snapshot(app) == before
    assert edit_rows(app) == []
    assert revision_of(app) == start_revision
    with app.extensions["db"]() as session:
        assert unit_authors(session, units.get(session, LOCALE, unit.mid)) == set()


# --- c. The Poedit round trip --------------------------------------------------------------------

def _translate_some(app, work, author_name: str) -> tuple[int, list[Unit]]:
    """Give the locale some history: 20 translations (one fuzzy, one plural), then a translator
    comment on one of them."""
    author_id = work.user(author_name, "translator", LOCALE)
    plain = plain_units(app)
    chosen = plain[:19] + [plural_unit(app)]
    changes = [Change(u.mid, tagged("server", u), u.revision, fuzzy=(i == 3)) for i, u in enumerate(chosen)]
    with app.extensions["db"]() as session:
        author = session.get(User, author_id)
        apply_changes(session, LOCALE, changes, author, TERMS)
        session.commit()
        commented = units.get(session, LOCALE, plain[5].mid)
        revision = apply_changes(session, LOCALE, [Change(commented.mid, commented.forms, commented.revision,
                                                          comment="Keep this short: it is a button.")], author, TERMS)
        session.commit()
    return revision, plain_units(app)


def _download(app, tmp_path) -> Path:
    with app.extensions["db"]() as session:
        data = uploads.download(session, LOCALE, app.secret_key)
    downloaded = tmp_path / "messages-es.po"
    downloaded.write_bytes(data)
    msgfmt_check(downloaded)
    return downloaded


def _export(app) -> str:
    with app.extensions["db"]() as session:
        return files.export(session, LOCALE)


def _poedit_save(downloaded: Path, edits: dict[str, list[str]]) -> bytes:
    """Change msgstr as Poedit does, and write the file with another tool's layout (polib's 78 columns)."""
    catalog = polib.pofile(str(downloaded))
    for msgid, forms in edits.items():
        entry = catalog.find(msgid)
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = forms[0]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.metadata["Last-Translator"] = "Uma <uma@example.org>"
    catalog.metadata["PO-Revision-Date"] = "2026-02-03 10:11+0100"
    catalog.metadata["X-Generator"] = "Poedit 3.4.2"
    catalog.save(str(downloaded))
    return downloaded.read_bytes()


def _blocks(text_: str) -> list[str]:
    """The catalog's header and entries as raw text, in order, to compare byte for byte."""
    return text_.split("\n\n")


def test_poedit_round_trip_changes_exactly_the_edited_messages(app, work, tmp_path):
    revision, plain = _translate_some(app, work, "tina")
    uma = work.user("uma", "translator", LOCALE)
    before, before_export, before_edits = snapshot(app), _export(app), len(edit_rows(app))
    downloaded = _download(app, tmp_path)
    stamp = polib.pofile(str(downloaded)).metadata[uploads.REVISION_HEADER]
    assert uploads.stamped_revision(app.secret_key, LOCALE, stamp) == revision == revision_of(app)
    long_untranslated = max(plain[20:], key=lambda u: len(u.msgid))  # wraps differently at 76 and 78
    assert len(long_untranslated.msgid) > 160
    plural = plural_unit(app)
    edits = {
        long_untranslated.msgid: [f"[uma] {long_untranslated.msgid}"],  # new
        plain[7].msgid: [f"[uma] {plain[7].msgid}"],  # changed
        plural.msgid: [f"[uma] {plural.msgid}", f"[uma] {plural.msgid_plural}"],  # plural, changed
    }
    data = _poedit_save(downloaded, edits)
    uploaded = uploads.read_upload(data, "messages-es.po", LOCALE)
    with app.extensions["db"]() as session:
        result = uploads.preview(session, LOCALE, uploaded, TERMS, app.secret_key)
        assert result.revision == revision
        assert [i.msgid for i in result.new] == [long_untranslated.msgid]
        assert sorted(i.msgid for i in result.changed) == sorted([plain[7].msgid, plural.msgid])
        assert (result.conflicts, result.failures, result.unknown, result.server_newer) == ([], [], [], [])
        assert result.unchanged == len(before) - 3
        new_revision = uploads.apply(session, LOCALE, result, as_fuzzy=False, take_mine=set(),
                                     author=session.get(User, uma), terms=TERMS)
        session.commit()
    assert new_revision == revision + 1
    # In the database: exactly the three edited units changed, to exactly the file's texts.
    after = snapshot(app)
    edited = {u.mid for u in [long_untranslated, plain[7], plural]}
    assert {mid for mid in after if after[mid] != before[mid]} == edited
    by_msgid = {u.msgid: u for u in plain + [plural]}
    for msgid, forms in edits.items():
        assert json.loads(after[by_msgid[msgid].mid][0]) == forms
    # The export, entry by entry, is as it was but for those three: Poedit's layout and the
    # download's stamp did not leak in, and its header is the portal's own.
    after_export = _export(app)
    old_blocks, new_blocks = _blocks(before_export), _blocks(after_export)
    assert len(old_blocks) == len(new_blocks) == len(before) + 1
    differing = [new for old, new in zip(old_blocks[1:], new_blocks[1:]) if old != new]
    diff = "\n".join(difflib.unified_diff(before_export.splitlines(), after_export.splitlines(), lineterm=""))
    assert len(differing) == 3 and all("[uma]" in block for block in differing), diff
    for unwanted in (uploads.REVISION_HEADER, "X-Generator", "Uma <uma@example.org>", "2026-02-03 10:11+0100"):
        assert unwanted not in after_export
    exported = tmp_path / "exported.po"
    exported.write_text(after_export, encoding="utf-8")
    msgfmt_check(exported)
    # The history: one edit per edited message, by uma, at the new revision.
    rows = edit_rows(app)
    assert len(rows) == before_edits + 3
    uploads_ = [r for r in rows if r.origin == "upload"]
    assert sorted(r.msgid for r in uploads_) == sorted(edits)
    assert {(r.author_id, r.revision) for r in uploads_} == {(uma, new_revision)}
    assert all(json.loads(r.translation_json) == edits[r.msgid] for r in uploads_)


# --- d. An upload that meets a newer server save ----------------------------------------------

@pytest.mark.parametrize("resolution", ["mine", "theirs"])
def test_upload_conflict_is_reported_and_resolved_as_chosen(app, work, tmp_path, resolution):
    revision, plain = _translate_some(app, work, "tina")
    rita = work.user("rita", "translator", LOCALE)
    uma = work.user("uma", "translator", LOCALE)
    x, y, z = plain[1], plain[2], plain[4]  # all translated by tina at the downloaded revision
    downloaded = _download(app, tmp_path)
    # Meanwhile, on the server, rita saves X and Z.
    server = {m.msgid: [f"[rita] {m.msgid}"] for m in (x, z)}
    with app.extensions["db"]() as session:
        for message in (x, z):
            units.save(session, LOCALE, message.mid, server[message.msgid], message.revision,
                       session.get(User, rita), TERMS)
            session.commit()
    # In Poedit, uma changes X (differently) and Y; Z keeps the text of the downloaded revision.
    file_text = {x.msgid: [f"[uma] {x.msgid}"], y.msgid: [f"[uma] {y.msgid}"]}
    uploaded = uploads.read_upload(_poedit_save(downloaded, file_text), "messages-es.po", LOCALE)
    assert uploaded.find(z.msgid).msgstr == tagged("server", z)[0]
    with app.extensions["db"]() as session:
        result = uploads.preview(session, LOCALE, uploaded, TERMS, app.secret_key)
        assert [i.msgid for i in result.conflicts] == [x.msgid]
        assert [i.msgid for i in result.changed] == [y.msgid]
        assert result.new == [] and result.failures == []
        assert len(result.server_newer) == 1  # Z: only the server changed it; not a conflict
        conflict = result.conflicts[0]
        assert conflict.server == server[x.msgid]
        assert conflict.upload == file_text[x.msgid]
        assert conflict.base == tagged("server", x)
        take_mine = {message_id(x.key)} if resolution == "mine" else set()
        uploads.apply(session, LOCALE, result, as_fuzzy=False, take_mine=take_mine,
                      author=session.get(User, uma), terms=TERMS)
        session.commit()
    final = {u.msgid: u for u in plain_units(app)}
    expected_x = file_text[x.msgid] if resolution == "mine" else server[x.msgid]
    assert final[x.msgid].forms == expected_x
    assert final[y.msgid].forms == file_text[y.msgid]
    assert final[z.msgid].forms == server[z.msgid]  # left alone
    applied = sorted(r.msgid for r in edit_rows(app) if r.origin == "upload")
    assert applied == sorted([x.msgid, y.msgid] if resolution == "mine" else [y.msgid])
    assert revision_of(app) == revision + 3


# --- Regression: a race this file found, now fixed --------------------------------------------

def test_download_never_stamps_older_text_with_a_newer_revision(app, work, tmp_path, monkeypatch):
    """rita saves X (on another connection) after the download read the revision and before it
    reads the units. Whatever the order the database lets happen, the file must never claim a
    revision newer than its text: else uma's upload, which leaves X as downloaded, would be
    taken for a change of X and overwrite rita's newer save."""
    _, plain = _translate_some(app, work, "tina")
    rita = work.user("rita", "translator", LOCALE)
    uma = work.user("uma", "translator", LOCALE)
    x, y = plain[1], plain[2]
    real_catalog = files.catalog
    saver = {}

    def save_lands_between(session, locale, *args):
        monkeypatch.setattr(files, "catalog", real_catalog)

        def rita_saves():
            with app.extensions["db"]() as other:
                units.save(other, LOCALE, x.mid, [f"[rita] {x.msgid}"], x.revision, other.get(User, rita), TERMS)
                other.commit()

        saver["thread"] = threading.Thread(target=rita_saves)
        saver["thread"].start()
        saver["thread"].join(timeout=2.0)  # done by now, unless the download holds a lock it waits for
        return real_catalog(session, locale, *args)

    monkeypatch.setattr(files, "catalog", save_lands_between)
    downloaded = _download(app, tmp_path)
    saver["thread"].join(timeout=30)
    assert not saver["thread"].is_alive()
    assert files.catalog is real_catalog  # the save did land
    # uma changes only Y in Poedit and uploads; X in her file is the text she downloaded.
    uploaded = uploads.read_upload(_poedit_save(downloaded, {y.msgid: [f"[uma] {y.msgid}"]}),
                                   "messages-es.po", LOCALE)
    with app.extensions["db"]() as session:
        result = uploads.preview(session, LOCALE, uploaded, TERMS, app.secret_key)
        assert x.msgid not in [i.msgid for i in result.changed], \
            "the preview offers to overwrite rita's newer save with the downloaded text, as a plain change"
        uploads.apply(session, LOCALE, result, as_fuzzy=False, take_mine=set(),
                      author=session.get(User, uma), terms=TERMS)
        session.commit()
    final = {u.msgid: u for u in plain_units(app)}
    assert final[x.msgid].forms == [f"[rita] {x.msgid}"]
    assert final[y.msgid].forms == [f"[uma] {y.msgid}"]
