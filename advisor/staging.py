"""Staging folders for `wfadvise new`: made beside the target, owned by one process, and
cleaned up by the next `new` when an earlier one was killed (SIGKILL runs no cleanup)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STAGING_MARK = ".wfadvise-"
"""Staging folders are named `.TARGET.wfadvise-RANDOM`."""
OWNER_FILE = ".wfadvise-owner"
"""Inside a staging folder: the pid of the `new` that made it."""
STALE_AFTER_S = 60 * 60
"""A staging folder this old is a leftover even if its pid now belongs to another process."""


def make_staging(target: Path) -> Path:
    """A fresh staging folder beside `target`, marked with this process's pid."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING_MARK}", dir=target.parent))
    (staging / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
    return staging


def remove_leftovers(
    folder: Path,
    *,
    now: Callable[[], float] = time.time,
    alive: Callable[[int], bool] | None = None,
) -> list[Path]:
    """Remove staging folders in `folder` whose owner is gone or that are over an hour old.

    A staging folder of a `new` still running (its pid alive, younger than an hour) is kept.
    """
    alive = alive or pid_alive
    removed = []
    for path in _staging_folders(folder):
        if _stale(path, now(), alive):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _staging_folders(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return [
        p
        for p in entries
        if p.name.startswith(".") and STAGING_MARK in p.name and p.is_dir() and not p.is_symlink()
    ]


def _stale(path: Path, now: float, alive: Callable[[int], bool]) -> bool:
    try:
        age = now - path.stat().st_mtime
        pid = int((path / OWNER_FILE).read_text(encoding="utf-8").strip())
    except FileNotFoundError:
        return _age(path, now) > STALE_AFTER_S  # no owner written: only age can tell
    except (OSError, ValueError):
        return True  # an unreadable owner file: nobody can be relying on this folder
    return age > STALE_AFTER_S or not alive(pid)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (another user's counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
