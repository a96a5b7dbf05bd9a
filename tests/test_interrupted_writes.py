"""Temporary files of interrupted writes (issue 12): a save that is killed leaves its
``.messages.po.<random>.tmp``; the next write of that file, or the next start of the portal,
removes it once nobody has written it for ``ORPHAN_AGE``. A concurrent writer's file (younger)
and every other file stay; a file that cannot be removed never fails the write or the start.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from portal import create_app
from portal.translation import catalogs
from tests.conftest import ROOT

OLD = catalogs.ORPHAN_AGE + 60  # seconds since a killed write last touched its file


def aged(path: Path, seconds: float = OLD) -> Path:
    moment = time.time() - seconds
    os.utime(path, (moment, moment), follow_symlinks=False)
    return path


def killed_write(target: Path) -> Path:
    """Really interrupt a write of ``target``: a process that dies (SIGKILL, no clean-up) after
    its bytes are on disk and before they take the file's place. Returns the file it left."""
    before = set(target.parent.iterdir()) if target.parent.exists() else set()
    script = ("import os, signal, sys; from portal.translation import catalogs; "
              "catalogs.atomic_write(sys.argv[1], b'half a save', "
              "before_replace=lambda: os.kill(os.getpid(), signal.SIGKILL))")
    done = subprocess.run([sys.executable, "-c", script, str(target)], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr
    left = set(target.parent.iterdir()) - before
    assert len(left) == 1, left
    return left.pop()


def test_the_next_write_removes_what_a_killed_write_left(tmp_path):
    target = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the last good save")
    orphan = killed_write(target)
    assert orphan.name.startswith(".messages.po.") and orphan.name.endswith(".tmp")
    assert target.read_bytes() == b"the last good save"
    catalogs.atomic_write(target, b"a save just after")  # within ORPHAN_AGE: it may be a live writer's
    assert orphan.exists()
    aged(orphan)
    catalogs.atomic_write(target, b"a later save")
    assert not orphan.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["messages.po"]
    assert target.read_bytes() == b"a later save"


def test_a_write_removes_only_old_temporary_files_of_its_own_target(tmp_path):
    target = tmp_path / "messages.po"
    target.write_bytes(b"old")
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.txt"
    outside.write_text("not in the folder")
    old = tmp_path / ".messages.po.k2j4_x9q.tmp"
    kept = {
        ".messages.po.abcd1234.tmp": "fresh: a concurrent writer's",
        ".messages.pot.abcd1234.tmp": "another target's",
        ".messages.po.abcd123.tmp": "seven characters: not mkstemp's",
        ".messages.po.ABCD1234.tmp": "capitals: not mkstemp's",
        "messages.po.abcd1234.tmp": "no leading dot",
        ".messages.po.abcd1234.tmp.bak": "another suffix",
        ".messages.po.swp": "an editor's",
        "messages.po.lock": "the catalog's lock",
    }
    for name, text in kept.items():
        (tmp_path / name).write_text(text)
        if name != ".messages.po.abcd1234.tmp":
            aged(tmp_path / name)
    (tmp_path / ".messages.po.dir12345.tmp").mkdir()
    aged(tmp_path / ".messages.po.dir12345.tmp")
    (tmp_path / ".messages.po.link1234.tmp").symlink_to(outside)
    aged(tmp_path / ".messages.po.link1234.tmp")
    old.write_bytes(b"killed")
    aged(old)

    catalogs.atomic_write(target, b"new")

    assert not old.exists()
    assert target.read_bytes() == b"new"
    assert {name: (tmp_path / name).read_text() for name in kept} == kept
    assert (tmp_path / ".messages.po.dir12345.tmp").is_dir()
    assert (tmp_path / ".messages.po.link1234.tmp").is_symlink() and outside.read_text() == "not in the folder"


def test_a_temporary_file_that_cannot_be_removed_does_not_fail_the_write(tmp_path, monkeypatch, caplog):
    target = tmp_path / "messages.po"
    target.write_bytes(b"old")
    stuck = tmp_path / ".messages.po.stuck123.tmp"
    stuck.write_bytes(b"killed")
    aged(stuck)
    removable = tmp_path / ".messages.po.gone1234.tmp"
    removable.write_bytes(b"killed")
    aged(removable)
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if Path(path) == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    with caplog.at_level(logging.WARNING, logger="portal.translation.catalogs"):
        catalogs.atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stuck.exists() and not removable.exists()
    assert f"could not remove {stuck}" in caplog.text


def start(tmp_path, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                       "TRANSLATIONS_DIR": str(tmp_path / "translations"), "PUBLISHED_DIR": str(tmp_path / "published"),
                       "UPLOAD_DIR": str(tmp_path / "uploads"), **config})


def folders_with_orphans(tmp_path) -> tuple[list[Path], list[Path], dict[Path, bytes]]:
    """The app's translations and published folders with old orphans, fresh ones and other files."""
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    published = tmp_path / "published"
    published.mkdir()
    places = [tmp_path / "translations", tmp_path / "translations" / "es" / "LC_MESSAGES", published]
    old, fresh = [], []
    for index, place in enumerate(places):
        place.mkdir(parents=True, exist_ok=True)
        name = "messages.pot" if index == 0 else "messages.po" if index == 1 else "es.mo"
        old.append(place / f".{name}.old{index}wxyz.tmp")
        old[-1].write_bytes(b"killed")
        aged(old[-1])
        fresh.append(place / f".{name}.new{index}wxyz.tmp")
        fresh[-1].write_bytes(b"being written")
        (place / "notes.txt.tmp").write_text("someone's")
        aged(place / "notes.txt.tmp")
    others = {path: path.read_bytes() for path in (tmp_path / "translations").rglob("*")
              if path.is_file() and path not in old + fresh}
    others.update({path: path.read_bytes() for path in published.iterdir() if path not in old + fresh})
    return old, fresh, others


def test_the_start_removes_what_killed_writes_left(tmp_path):
    old, fresh, others = folders_with_orphans(tmp_path)
    start(tmp_path)
    assert [path for path in old if path.exists()] == []
    assert all(path.exists() for path in fresh)
    assert {path: path.read_bytes() for path in others} == others


def test_a_clean_up_that_fails_never_stops_the_start(tmp_path, monkeypatch, caplog):
    """One folder's clean-up fails outright; the other is still cleaned, and the app starts."""
    old, _fresh, _others = folders_with_orphans(tmp_path)
    real = catalogs.remove_orphans_under

    def failing(folder, *args, **kwargs):
        if Path(folder).name == "translations":
            raise RuntimeError("a clean-up that breaks")
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(catalogs, "remove_orphans_under", failing)
    with caplog.at_level(logging.WARNING):
        app = start(tmp_path)
    assert app.extensions["content"]
    assert not old[2].exists(), "the published folder was still cleaned"
    assert old[0].exists() and old[1].exists()
    assert "could not remove temporary files of interrupted writes" in caplog.text


def test_a_folder_that_cannot_be_listed_never_stops_the_start(tmp_path, monkeypatch):
    old, _fresh, _others = folders_with_orphans(tmp_path)
    real_scandir = os.scandir

    def scandir(path=".", *args, **kwargs):
        if Path(path).name == "LC_MESSAGES":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    app = start(tmp_path)
    assert app.extensions["content"]
    assert old[1].exists() and not old[0].exists() and not old[2].exists()


def test_a_published_folder_that_does_not_exist_yet_is_no_problem(tmp_path, caplog):
    """A fresh install has no published folder yet: nothing to clean there, nothing to warn about."""
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    orphan = tmp_path / "translations" / ".messages.pot.abcd1234.tmp"
    orphan.write_bytes(b"killed")
    aged(orphan)
    with caplog.at_level(logging.INFO):
        app = start(tmp_path, PUBLISHED_DIR=str(tmp_path / "not-yet"))
    assert app.extensions["content"] and not (tmp_path / "not-yet").exists()
    assert not orphan.exists()
    assert [r.levelname for r in caplog.records if r.name == "portal.translation.catalogs"] == ["INFO"]
