"""Temporary files of interrupted writes (issue 12): a save that is killed leaves its
``.messages.po.<random>.tmp``; the next write of that file removes it once nobody has written
it for ``ORPHAN_AGE``. A concurrent writer's file (younger) and every other file stay; a file
that cannot be removed never fails the write.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

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
