"""Writing an export to a path someone typed (``flask review export -o PATH``), safely.

The portal's commands often run as root. Written with a plain ``os.replace``, ``-o /dev/null``
replaced the device with a regular file, and ``-o`` naming a symlink (or a folder that is one)
replaced a working catalog. So an export is written only as a regular file: a new one, or one
that replaces a regular file; never a device, FIFO, socket, folder or symlink, and never inside
the portal's own folders (its catalogs, content and instance folder), whatever the path's
symlinks resolve to. The file is written atomically and readable only by its owner (0600): a
review trail names people.

Pure domain code: no Flask. The caller says which folders are the portal's.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from portal.translation.catalogs import atomic_write

MODE = 0o600

_KINDS = [(stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket")]


class UnsafeOutput(Exception):
    """An export path that was refused; nothing was written. The message says what to do."""


def _refuse(path: Path, why: str) -> UnsafeOutput:
    return UnsafeOutput(f"Could not write {path}: {why}. Nothing was written.")


def check_target(path: Path, protected: list[tuple[str, Path]]) -> None:
    """Raise UnsafeOutput unless ``path`` may receive an export.

    ``protected`` lists (what it is, folder or file) pairs an export must never replace or
    write into, e.g. ``("the translations folder", Path("translations"))``.
    """
    path = Path(path)
    try:
        found = os.lstat(path)  # lstat: a symlink is judged as itself, not as what it points to
    except FileNotFoundError:
        found = None
    except OSError as exc:  # a "folder" that is a file, a name too long, no permission
        raise _refuse(path, f"{exc.strerror}; choose another path") from None
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            raise _refuse(path, "it is a symbolic link, and an export never writes through one; "
                                "give the path of a regular file, or a new file name")
        if stat.S_ISDIR(found.st_mode):
            raise _refuse(path, f"it is a directory; give a file name, e.g. {path / 'trail.csv'}")
        if not stat.S_ISREG(found.st_mode):
            kind = next((name for test, name in _KINDS if test(found.st_mode)), "not a regular file")
            raise _refuse(path, f"it is {kind}, and an export only creates or replaces regular files; "
                                "give a file name (or leave out -o to print to standard output)")
    if not path.parent.is_dir():
        raise _refuse(path, f"the folder {path.parent} does not exist or is not a folder; "
                            "create it first or choose another path")
    real = Path(os.path.realpath(path.parent)) / path.name
    for name, place in protected:
        place_real = Path(os.path.realpath(place))
        if real == place_real or place_real in real.parents:
            raise _refuse(path, f"it is inside {name} ({place}), whose files only the portal writes; "
                                "choose a path outside it")


def write_export(path: Path, data: bytes, protected: list[tuple[str, Path]]) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600, after ``check_target`` allows it.

    The check runs again just before the new file takes the path's place, so a path that
    became a symlink or a device meanwhile is still refused. Raises UnsafeOutput, or OSError
    when the disk refuses (the old file is then left as it was).
    """
    check_target(path, protected)
    atomic_write(Path(path), data, before_replace=lambda: check_target(path, protected), mode=MODE)
