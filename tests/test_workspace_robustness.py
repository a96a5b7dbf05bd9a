"""Saving under pressure (DESIGN invariant 5): many writers at once, a writer killed mid-save,
and the Poedit round trip through download, preview and apply.

Every check of the file on disk is made twice: polib parses it, and GNU gettext's
``msgfmt -c`` (an implementation that shares no code with the portal) accepts it.
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
from pathlib import Path

import polib
import pytest
from sqlalchemy import select

from portal import create_app
from portal.models import Edit, User
from portal.translation import uploads, workspace
from portal.translation.catalogs import catalog_lock, load_po, po_path, save_po
from portal.translation.checks import Terms
from portal.translation.identity import entry_fingerprint, fingerprint, forms_of, message_id, message_key
from portal.translation.workspace import Change, Conflict, apply_changes, current_revision
from tests.conftest import msgfmt_check

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "es"
TERMS = Terms.load(ROOT / "content")
PASSWORD = "correct horse battery"


# --- Helpers ---------------------------------------------------------------------------------

def catalog_file(app) -> Path:
    return po_path(app.config["TRANSLATIONS_DIR"], LOCALE)




def letters(number: int) -> str:
    """A number spelled in letters ("bcd" for 123): a tag that the number check never sees."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def tagged(tag: str, entry: polib.POEntry) -> list[str]:
    """A translation that passes every blocking check: the source with a tag in front."""
    if entry.msgid_plural:
        return [f"[{tag}] {entry.msgid}", f"[{tag}] {entry.msgid_plural}"]
    return [f"[{tag}] {entry.msgid}"]


def plain_entries(catalog: polib.POFile) -> list[polib.POEntry]:
    """Singular messages without digits, placeholders, links or emphasis: any tag passes the checks."""
    return [e for e in catalog if not e.obsolete and e.msgid and not e.msgid_plural
            and not any(mark in e.msgid for mark in "%{*[]()0123456789")]


def snapshot(catalog: polib.POFile) -> dict:
    """Everything about each entry a save must keep, by message key."""
    return {message_key(e): (e.msgstr, dict(e.msgstr_plural), list(e.flags), e.comment, e.tcomment,
                             list(e.occurrences), e.previous_msgid, e.obsolete) for e in catalog}


def edit_rows(app) -> list[Edit]:
    with app.extensions["db"]() as session:
        return list(session.scalars(select(Edit).where(Edit.locale == LOCALE).order_by(Edit.id)))


def revision_of(app) -> int:
    with app.extensions["db"]() as session:
        return current_revision(session, LOCALE)


def child_config(app) -> dict:
    """What another worker process needs to act on the same catalogs and database."""
    return {key: app.config[key] for key in ("DATABASE_URL", "TRANSLATIONS_DIR", "PUBLISHED_DIR",
                                             "SECRET_KEY", "TESTING")}


def mp_context():
    """forkserver: children fork from a clean single-threaded server that has imported the portal
    once, so they start fast and never inherit the test process's database connections."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["portal", "portal.translation.workspace", "portal.translation.uploads", __name__])
    return context


# --- a. Many threads saving into one catalog ---------------------------------------------------

THREADS = 8


def test_concurrent_saves_from_threads_lose_nothing_and_report_every_conflict(app, work):
    path = catalog_file(app)
    start = load_po(path)
    plain = plain_entries(start)
    plural = next(e for e in start if e.msgid_plural)
    names = [f"t{letters(n)}" for n in range(THREADS)]
    ids = {name: work.user(name, "translator", LOCALE) for name in names}
    bases = {message_key(e): entry_fingerprint(e) for e in start}
    # Threads 0-3 save three messages each that nobody else touches (one of them the plural one);
    # threads 4-7 all save the same two messages, X then Y, each from the text they first read.
    own = {n: plain[3 * n:3 * n + 3] for n in range(4)}
    own[0][2] = plural
    shared = plain[12:14]
    tasks = {}
    for n, name in enumerate(names):
        entries = own[n] if n < 4 else shared
        tasks[name] = [(message_key(e), tagged(name, e)) for e in entries]
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def translator(name):
        try:
            with app.extensions["db"]() as session:
                author = session.get(User, ids[name])
                barrier.wait(timeout=60)
                for key, forms in tasks[name]:
                    try:
                        revision = workspace.save(path, session, LOCALE, key, forms, bases[key], author, TERMS)
                        results.append(("saved", name, key, forms, revision))
                    except Conflict as conflict:
                        session.rollback()
                        results.append(("conflict", name, key, forms, conflict))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append((name, exc))

    threads = [threading.Thread(target=translator, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a save never finished (deadlock?)"
    assert not errors, errors
    assert len(results) == sum(len(t) for t in tasks.values())

    saved = [r for r in results if r[0] == "saved"]
    final = load_po(path)
    by_key = {message_key(e): e for e in final}
    # Different messages: every save arrived, none was refused.
    for n in range(4):
        for key, forms in tasks[names[n]]:
            assert ("saved", names[n], key, forms) in [r[:4] for r in saved]
            assert forms_of(by_key[key]) == forms, f"the save of {key[1]!r} by {names[n]} was lost"
    # One message, one base: exactly one winner, every other save a Conflict naming the winner.
    for entry in shared:
        key = message_key(entry)
        winners = [r for r in saved if r[2] == key]
        conflicts = [r for r in results if r[0] == "conflict" and r[2] == key]
        assert len(winners) == 1, winners
        assert len(conflicts) == 3
        _, winner, _, won, _ = winners[0]
        assert forms_of(by_key[key]) == won
        for _, loser, _, mine, conflict in conflicts:
            assert loser != winner
            assert conflict.mine == mine and conflict.theirs == won
            assert conflict.theirs_fingerprint == fingerprint(key, won)
            assert conflict.author == winner
    # Nothing else in the file moved.
    touched = {key for _, _, key, _, _ in saved}
    before = snapshot(start)
    after = snapshot(final)
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k not in touched} == {k: v for k, v in before.items()
                                                                      if k not in touched}
    msgfmt_check(path)
    # The history is exactly the successful saves, one revision each.
    rows = edit_rows(app)
    assert sorted((r.msgid, tuple(r.forms), r.author_id, r.revision, r.origin) for r in rows) == sorted(
        (key[1], tuple(forms), ids[name], revision, "web") for _, name, key, forms, revision in saved)
    assert sorted(r[4] for r in saved) == list(range(1, len(saved) + 1))
    assert revision_of(app) == len(saved) == 14


# --- b. Several processes saving into one catalog while it is read -----------------------------

PROCESSES = 4
SAVES_EACH = 5


def _process_translator(config, author_id, tasks, barrier, results):
    """A worker process with its own app, saving its tasks as fast as it can."""
    app = create_app(config)
    try:
        path = po_path(config["TRANSLATIONS_DIR"], LOCALE)
        outcome = []
        with app.extensions["db"]() as session:
            author = session.get(User, author_id)
            barrier.wait(60)
            for key, forms, base in tasks:
                try:
                    revision = workspace.save(path, session, LOCALE, tuple(key), forms, base, author, TERMS)
                    outcome.append(("saved", key, forms, revision, None))
                except Conflict as conflict:
                    session.rollback()
                    outcome.append(("conflict", key, forms, conflict.theirs, conflict.author))
        results.put((author_id, outcome))
    except BaseException as exc:
        results.put((author_id, repr(exc)))
    finally:
        app.extensions["db_engine"].dispose()


def test_concurrent_saves_from_processes_while_a_reader_parses_the_file(app, work, tmp_path):
    path = catalog_file(app)
    start = load_po(path)
    size = len(start)
    plain = plain_entries(start)
    shared = plain[0]
    users = {n: work.user(f"p{letters(n)}", "translator", LOCALE) for n in range(PROCESSES)}
    names = {uid: f"p{letters(n)}" for n, uid in users.items()}
    tasks = {}
    for n, uid in users.items():
        own = plain[1 + n * SAVES_EACH:1 + (n + 1) * SAVES_EACH]
        # The shared message first, so all of them race for it.
        tasks[uid] = [(list(message_key(e)), tagged(names[uid], e), entry_fingerprint(e)) for e in [shared, *own]]
    context = mp_context()
    barrier = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    workers = [context.Process(target=_process_translator,
                               args=(child_config(app), uid, tasks[uid], barrier, results))
               for uid in users.values()]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(120)
        reads, states = 0, {}
        deadline = time.monotonic() + 120
        while any(worker.is_alive() for worker in workers) and time.monotonic() < deadline:
            data = path.read_bytes()
            catalog = polib.pofile(data.decode("utf-8"), wrapwidth=76)
            assert len(catalog) == size and catalog.metadata["Language"] == LOCALE, "half-written catalog"
            reads += 1
            states.setdefault(hash(data), data)
        outcomes = dict(results.get(timeout=60) for _ in workers)
    finally:
        for worker in workers:
            worker.join(60)
            if worker.is_alive():
                worker.kill()
    assert all(isinstance(o, list) for o in outcomes.values()), outcomes
    assert reads > 0
    # Every distinct state the reader saw is a catalog msgfmt accepts, not only the last one.
    for number, data in enumerate(states.values()):
        seen = tmp_path / f"seen-{number}.po"
        seen.write_bytes(data)
        msgfmt_check(seen)
    msgfmt_check(path)

    final = {message_key(e): e for e in load_po(path)}
    saved = [(uid, *o) for uid, out in outcomes.items() for o in out if o[0] == "saved"]
    for uid, out in outcomes.items():
        for _, key, forms, *_ in out[1:]:
            assert forms_of(final[tuple(key)]) == forms, f"{names[uid]}'s save of {key[1]!r} was lost"
        assert all(o[0] == "saved" for o in out[1:])
    winners = [s for s in saved if tuple(s[2]) == message_key(shared)]
    assert len(winners) == 1
    winner, won = winners[0][0], winners[0][3]
    conflicts = [o for out in outcomes.values() for o in out if o[0] == "conflict"]
    assert len(conflicts) == PROCESSES - 1
    assert all(theirs == won and author == names[winner] for _, _, _, theirs, author in conflicts)
    assert forms_of(final[message_key(shared)]) == won
    rows = edit_rows(app)
    assert sorted((r.msgid, tuple(r.forms), r.author_id, r.revision) for r in rows) == sorted(
        (key[1], tuple(forms), uid, revision) for uid, _, key, forms, revision, _ in saved)
    assert sorted(s[4] for s in saved) == list(range(1, len(saved) + 1))
    assert revision_of(app) == len(saved) == PROCESSES * SAVES_EACH + 1


# --- c. A writer killed at random moments ------------------------------------------------------

KILL_ROUNDS = 8


def _endless_saver(config, author_id, keys, started, completed):
    """Save every message in ``keys`` as one change, tagged with the round number, forever."""
    app = create_app(config)
    path = po_path(config["TRANSLATIONS_DIR"], LOCALE)
    entries = {message_key(e): e for e in load_po(path)}
    with app.extensions["db"]() as session:
        author = session.get(User, author_id)
        done = completed.value
        started.value = 1
        while True:
            done += 1
            changes = [Change(tuple(key), tagged(letters(done), entries[tuple(key)]), None) for key in keys]
            apply_changes(path, session, LOCALE, changes, author, TERMS, origin="upload")
            completed.value = done


def _wait_for_a_write(path: Path, deadline: float) -> bool:
    """Poll until a write of the catalog is under way: a temporary file next to it, or the catalog
    itself changed (a new inode, or a new size or time for a writer that writes in place).
    True when it was caught with the temporary file present, i.e. in the middle of the write."""
    def state():
        status = path.stat()
        return status.st_ino, status.st_size, status.st_mtime_ns

    first = state()
    while time.monotonic() < deadline:
        if any(name.endswith(".tmp") for name in os.listdir(path.parent)):
            return True
        if state() != first:
            return False
    return False


def _rounds_in(catalog: polib.POFile, keys: set) -> set[int]:
    """The round tags found in the changed messages (one value when the file is whole)."""
    found = set()
    for entry in catalog:
        if message_key(entry) in keys:
            text = entry.msgstr
            found.add(0 if not text else int("".join(str("abcdefghij".index(c)) for c in text[1:text.index("]")])))
    return found


def test_a_writer_killed_mid_save_leaves_the_old_catalog_or_the_new_one(app, work):
    path = catalog_file(app)
    start = load_po(path)
    size = len(start)
    marker = plain_entries(start)[0]
    keys = {message_key(e) for e in plain_entries(start)}  # ~300 messages: a slow, large save
    author = work.user("kim", "translator", LOCALE)
    context = mp_context()
    completed = context.Value("i", 0)
    windows = mid_write = 0
    seed = os.environ.get("PYTEST_SEED", str(time.time_ns()))
    rng = random.Random(seed)
    print(f"seed {seed}")
    began = time.monotonic()
    for round_ in range(KILL_ROUNDS):
        started = context.Value("i", 0)
        child = context.Process(target=_endless_saver,
                                args=(child_config(app), author, sorted(keys), started, completed))
        child.start()
        try:
            deadline = time.monotonic() + 60
            while not started.value and time.monotonic() < deadline:
                assert child.is_alive(), f"the saver died on its own (exit code {child.exitcode})"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 1.2))
            if round_ % 2:  # half the rounds: kill the moment the catalog starts to change
                mid_write += _wait_for_a_write(path, time.monotonic() + 10)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.join(30)
        assert child.exitcode == -signal.SIGKILL
        done = completed.value
        catalog = polib.pofile(str(path), wrapwidth=76)  # parses: the file is whole
        assert len(catalog) == size
        msgfmt_check(path)
        rounds = _rounds_in(catalog, keys)
        assert len(rounds) == 1, f"a mix of saves in one file: rounds {sorted(rounds)}"
        (in_file,) = rounds
        assert in_file in (done, done + 1), (in_file, done)  # before that save, or after it
        marker_text = catalog.find(marker.msgid).msgstr
        assert marker_text in ("" if done == 0 else tagged(letters(done), marker)[0],
                               tagged(letters(done + 1), marker)[0])
        # The file never runs ahead of the history (that would be text no edit accounts for, which
        # its author could approve): the history commits before the file is replaced, so it may
        # lead the file by the one save that was killed in between, never trail it.
        committed = revision_of(app)
        assert committed in (in_file, in_file + 1), (in_file, committed)
        windows += committed == in_file + 1
        completed.value = in_file  # the next writer goes on from what the file holds
    elapsed = time.monotonic() - began
    assert elapsed < 60, f"{elapsed:.1f} s"
    # Leftover temporary files are allowed; the catalog itself is a whole, regular file.
    assert path.is_file() and not path.is_symlink()
    leftovers = [p.name for p in path.parent.glob(f".{path.name}.*.tmp")]
    assert set(os.listdir(path.parent)) - set(leftovers) == {path.name, f"{path.name}.lock"}
    print(f"{KILL_ROUNDS} kills in {elapsed:.1f} s, last round {completed.value}, "
          f"{mid_write} while a temporary file was being written, {windows} between the commit and the file, "
          f"{len(leftovers)} temporary files left")


# --- d. The Poedit round trip --------------------------------------------------------------------

def _translate_some(app, work, author_name: str) -> tuple[int, list[polib.POEntry]]:
    """Give the catalog some history: 20 translations (one fuzzy, one plural) and a translator comment."""
    path = catalog_file(app)
    author_id = work.user(author_name, "translator", LOCALE)
    catalog = load_po(path)
    plain = plain_entries(catalog)
    plural = next(e for e in catalog if e.msgid_plural)
    chosen = plain[:19] + [plural]
    changes = [Change(message_key(e), tagged("server", e), entry_fingerprint(e), fuzzy=(i == 3))
               for i, e in enumerate(chosen)]
    with app.extensions["db"]() as session:
        revision = apply_changes(path, session, LOCALE, changes, session.get(User, author_id), TERMS)
    with catalog_lock(path):
        catalog = load_po(path)
        catalog.find(plain[5].msgid).tcomment = "Keep this short: it is a button."
        save_po(path, catalog)
    return revision, plain


def _download(app, tmp_path) -> Path:
    with app.extensions["db"]() as session:
        data = uploads.download(catalog_file(app), session, LOCALE, app.secret_key)
    downloaded = tmp_path / "messages-es.po"
    downloaded.write_bytes(data)
    return downloaded


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


def _blocks(text: str) -> list[str]:
    """The file's header and entries as raw text, in file order, to compare byte for byte."""
    return text.split("\n\n")


def test_poedit_round_trip_changes_exactly_the_edited_messages(app, work, tmp_path):
    path = catalog_file(app)
    revision, plain = _translate_some(app, work, "tina")
    uma = work.user("uma", "translator", LOCALE)
    before_text = path.read_text(encoding="utf-8")
    before = snapshot(load_po(path))
    downloaded = _download(app, tmp_path)
    stamp = polib.pofile(str(downloaded)).metadata[uploads.REVISION_HEADER]
    assert uploads.stamped_revision(app.secret_key, LOCALE, stamp) == revision == 1
    catalog = load_po(path)
    long_untranslated = max(plain[20:], key=lambda e: len(e.msgid))  # wraps differently at 76 and 78
    assert len(long_untranslated.msgid) > 160
    plural = next(e for e in catalog if e.msgid_plural)
    edits = {
        long_untranslated.msgid: [f"[uma] {long_untranslated.msgid}"],  # new
        plain[7].msgid: [f"[uma] {plain[7].msgid}"],  # changed
        plural.msgid: [f"[uma] {plural.msgid}", f"[uma] {plural.msgid_plural}"],  # plural, changed
    }
    data = _poedit_save(downloaded, edits)
    uploaded = uploads.read_upload(data, "messages-es.po", LOCALE)
    with app.extensions["db"]() as session:
        result = uploads.preview(path, session, LOCALE, uploaded, TERMS, app.secret_key)
        assert result.revision == revision
        assert [i.msgid for i in result.new] == [long_untranslated.msgid]
        assert sorted(i.msgid for i in result.changed) == sorted([plain[7].msgid, plural.msgid])
        assert (result.conflicts, result.failures, result.unknown, result.server_newer) == ([], [], [], [])
        assert result.unchanged == len(before) - 3
        new_revision = uploads.apply(path, session, LOCALE, result, as_fuzzy=False, take_mine=set(),
                                     author=session.get(User, uma), terms=TERMS)
    assert new_revision == revision + 1
    after = snapshot(load_po(path))
    edited = {message_key(e) for e in catalog if e.msgid in edits}
    assert {k for k in after if after[k] != before[k]} == edited
    for key in edited:
        assert forms_of(load_po(path).find(key[1])) == edits[key[1]]
    # Byte for byte, the rest of the file (header included) is as it was: Poedit's layout,
    # headers and the revision stamp did not leak into the working catalog.
    after_text = path.read_text(encoding="utf-8")
    old_blocks, new_blocks = _blocks(before_text), _blocks(after_text)
    assert len(old_blocks) == len(new_blocks) == len(before) + 1
    differing = [new for old, new in zip(old_blocks, new_blocks) if old != new]
    diff = "\n".join(difflib.unified_diff(before_text.splitlines(), after_text.splitlines(), lineterm=""))
    assert len(differing) == 3 and all("[uma]" in block for block in differing), diff
    assert uploads.REVISION_HEADER not in after_text and "X-Generator" not in after_text
    msgfmt_check(path)
    uploads_ = [r for r in edit_rows(app) if r.origin == "upload"]
    assert sorted(r.msgid for r in uploads_) == sorted(edits)
    assert {(r.author_id, r.revision) for r in uploads_} == {(uma, new_revision)}
    assert all(json.loads(r.translation_json) == edits[r.msgid] for r in uploads_)


# --- e. An upload that meets a newer server save ----------------------------------------------

@pytest.mark.parametrize("resolution", ["mine", "theirs"])
def test_upload_conflict_is_reported_and_resolved_as_chosen(app, work, tmp_path, resolution):
    path = catalog_file(app)
    revision, plain = _translate_some(app, work, "tina")
    rita = work.user("rita", "translator", LOCALE)
    uma = work.user("uma", "translator", LOCALE)
    x, y, z = plain[1], plain[2], plain[4]  # all translated by tina at the downloaded revision
    downloaded = _download(app, tmp_path)
    # Meanwhile, on the server, rita saves X and Z.
    server = {m.msgid: [f"[rita] {m.msgid}"] for m in (x, z)}
    with app.extensions["db"]() as session:
        for message in (x, z):
            entry = load_po(path).find(message.msgid)
            workspace.save(path, session, LOCALE, message_key(entry), server[message.msgid],
                           entry_fingerprint(entry), session.get(User, rita), TERMS)
    # In Poedit, uma changes X (differently) and Y; Z keeps the text of the downloaded revision.
    file_text = {x.msgid: [f"[uma] {x.msgid}"], y.msgid: [f"[uma] {y.msgid}"]}
    uploaded = uploads.read_upload(_poedit_save(downloaded, file_text), "messages-es.po", LOCALE)
    assert uploaded.find(z.msgid).msgstr == tagged("server", z)[0]
    with app.extensions["db"]() as session:
        result = uploads.preview(path, session, LOCALE, uploaded, TERMS, app.secret_key)
        assert [i.msgid for i in result.conflicts] == [x.msgid]
        assert [i.msgid for i in result.changed] == [y.msgid]
        assert result.new == [] and result.failures == []
        assert len(result.server_newer) == 1  # Z: only the server changed it; not a conflict
        conflict = result.conflicts[0]
        assert conflict.server == server[x.msgid]
        assert conflict.upload == file_text[x.msgid]
        assert conflict.base == tagged("server", x)
        take_mine = {message_id(message_key(x))} if resolution == "mine" else set()
        uploads.apply(path, session, LOCALE, result, as_fuzzy=False, take_mine=take_mine,
                      author=session.get(User, uma), terms=TERMS)
    final = load_po(path)
    expected_x = file_text[x.msgid] if resolution == "mine" else server[x.msgid]
    assert forms_of(final.find(x.msgid)) == expected_x
    assert forms_of(final.find(y.msgid)) == file_text[y.msgid]
    assert forms_of(final.find(z.msgid)) == server[z.msgid]  # left alone
    msgfmt_check(path)
    applied = sorted(r.msgid for r in edit_rows(app) if r.origin == "upload")
    assert applied == sorted([x.msgid, y.msgid] if resolution == "mine" else [y.msgid])
    assert revision_of(app) == revision + 3


# --- Regressions: two races this file found, now fixed ----------------------------------------

def test_download_never_stamps_older_text_with_a_newer_revision(app, work, tmp_path, monkeypatch):
    path = catalog_file(app)
    _, plain = _translate_some(app, work, "tina")
    rita = work.user("rita", "translator", LOCALE)
    uma = work.user("uma", "translator", LOCALE)
    x, y = plain[1], plain[2]
    real_revision = uploads.current_revision

    saver = {}

    def save_lands_between(session, locale):
        """rita saves X (in another thread) after download parsed the file, before it reads the
        revision. With the download holding the catalog lock, her save has to wait for it."""
        import threading

        monkeypatch.setattr(uploads, "current_revision", real_revision)

        def rita_saves():
            with app.extensions["db"]() as other:
                entry = load_po(path).find(x.msgid)
                workspace.save(path, other, LOCALE, message_key(entry), [f"[rita] {x.msgid}"],
                               entry_fingerprint(entry), other.get(User, rita), TERMS)

        saver["thread"] = threading.Thread(target=rita_saves)
        saver["thread"].start()
        saver["thread"].join(timeout=1.0)  # it cannot finish while the lock is held
        saver["finished_inside"] = not saver["thread"].is_alive()
        return real_revision(session, locale)

    monkeypatch.setattr(uploads, "current_revision", save_lands_between)
    downloaded = _download(app, tmp_path)
    saver["thread"].join(timeout=30)
    assert not saver["finished_inside"], "a save completed between reading the file and its revision"
    assert uploads.current_revision is real_revision  # the save did land, after the download
    # uma changes only Y in Poedit and uploads; X in her file is the text she downloaded.
    uploaded = uploads.read_upload(_poedit_save(downloaded, {y.msgid: [f"[uma] {y.msgid}"]}),
                                   "messages-es.po", LOCALE)
    with app.extensions["db"]() as session:
        result = uploads.preview(path, session, LOCALE, uploaded, TERMS, app.secret_key)
        assert x.msgid not in [i.msgid for i in result.changed], \
            "the preview offers to overwrite rita's newer save with the downloaded text, as a plain change"
        uploads.apply(path, session, LOCALE, result, as_fuzzy=False, take_mine=set(),
                      author=session.get(User, uma), terms=TERMS)
    assert forms_of(load_po(path).find(x.msgid)) == [f"[rita] {x.msgid}"]


def _killed_at_commit(config, author_id, key, forms, base):
    """Save one message, but die (SIGKILL) the moment the history is about to be committed."""
    from sqlalchemy.orm import Session

    app = create_app(config)
    Session.commit = lambda self: os.kill(os.getpid(), signal.SIGKILL)
    with app.extensions["db"]() as session:
        workspace.save(po_path(config["TRANSLATIONS_DIR"], LOCALE), session, LOCALE, tuple(key), forms, base,
                       session.get(User, author_id), TERMS)


def test_a_writer_killed_after_the_file_before_the_commit_leaves_no_unattributed_text(app, work):
    from portal.people.accounts import create_user
    from portal.review.rules import OwnText, approve, reviewed_keys
    from portal.translation.catalogs import pot_path

    path = catalog_file(app)
    template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
    medical = reviewed_keys(template)
    entry = next(e for e in plain_entries(load_po(path)) if message_key(e) in medical)
    with app.extensions["db"]() as session:
        rob = create_user(session, "rob", PASSWORD, roles=[("translator", LOCALE), ("reviewer", LOCALE)]).id
    text = tagged("rob", entry)
    context = mp_context()
    child = context.Process(target=_killed_at_commit,
                            args=(child_config(app), rob, list(message_key(entry)), text,
                                  entry_fingerprint(entry)))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    msgfmt_check(path)
    saved = load_po(path).find(entry.msgid)
    if forms_of(saved) != text:
        return  # the file was not replaced: the catalog and its history agree
    with app.extensions["db"]() as session:
        assert current_revision(session, LOCALE) == 1, "the catalog changed but its revision did not"
        assert [e.forms for e in session.scalars(select(Edit))] == [text], "text in the catalog with no author"
        with pytest.raises(OwnText):
            approve(session, LOCALE, saved, medical, session.get(User, rob))  # rob wrote it: four eyes
