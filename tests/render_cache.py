"""Rendered projects cached for the test session (installed by tests/conftest.py).

copier takes seconds per project: a git clone of the template store, hundreds of Jinja
templates compiled, a `git config` process per rendered file. Many tests render the same answers
from the same template version, so `render_data` keeps each tree it made (the vendored runtime
already pruned) and copies it for the next test that asks for the same one: same copier data,
same tag, same template content (the tag's git tree). The cache folder is shared by the xdist
workers; an entry appears in one rename, so a worker never reads half of one.

The one line of a project that depends on where the store is, the answers file's `_src_path`,
is written for the store the test rendered from. Renders into a folder that is not empty and
renders that fail go to copier as before; tests/test_render_cache.py checks that a copy equals
a fresh render, file for file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from advisor.template_store import Published

ANSWERS = ".copier-answers.yml"
PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
"""Store paths YAML writes bare (no quotes), so `_src_path: PATH` is the whole line."""

Render = Callable[..., Path]


class RenderCache:
    """`render_data` with a folder of finished trees keyed by what copier renders them from."""

    def __init__(self, root: Path, render: Render) -> None:
        self.root = root
        self.render = render
        self.enabled = True
        """False: every render goes to copier."""
        self.hits = 0
        self.misses = 0

    def __call__(self, data: Mapping[str, Any], dest: Path, *, published: Published) -> Path:
        key = self._key(data, published) if self._cacheable(dest, published) else None
        if key is None:
            return self.render(data, dest, published=published)
        entry = self.root / key
        if entry.is_dir():
            self.hits += 1
            return _copy_out(entry, dest, published.path)
        self.misses += 1
        made = self.render(data, dest, published=published)
        _store(made, entry, published.path)
        return made

    def _cacheable(self, dest: Path, published: Published) -> bool:
        empty = not dest.exists() or (dest.is_dir() and not any(dest.iterdir()))
        return self.enabled and empty and PLAIN_PATH.fullmatch(str(published.path)) is not None

    def _key(self, data: Mapping[str, Any], published: Published) -> str | None:
        tree = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{published.tag}^{{tree}}"],
            cwd=published.path,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if not tree:
            return None  # not a published tag: let copier say what is wrong
        text = json.dumps(
            {"data": dict(data), "tag": published.tag, "tree": tree}, sort_keys=True, default=repr
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _src_line(store: Path) -> str:
    return f"_src_path: {store}\n"


def _store(made: Path, entry: Path, store: Path) -> None:
    """Keep a finished render as `entry` (in one rename; a concurrent twin is dropped)."""
    answers = made / ANSWERS
    if not answers.is_file() or answers.read_text(encoding="utf-8").count(_src_line(store)) != 1:
        return  # not the shape this cache knows how to move between stores
    staging = entry.with_name(f"{entry.name}.{uuid.uuid4().hex}.tmp")
    shutil.copytree(made, staging, symlinks=True)
    try:
        staging.rename(entry)
    except OSError:  # another worker stored the same render first
        shutil.rmtree(staging, ignore_errors=True)


def _copy_out(entry: Path, dest: Path, store: Path) -> Path:
    """The cached tree copied to `dest`, its answers file pointing at `store`."""
    shutil.copytree(entry, dest, symlinks=True, dirs_exist_ok=True)
    answers = dest / ANSWERS
    text = answers.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines(keepends=True) if line.startswith("_src_path: "))
    answers.write_text(text.replace(old, _src_line(store), 1), encoding="utf-8")
    return dest


def one_file_mode_question() -> Callable[[], None]:
    """copier asks git, once per file it writes, whether the project's repository ignores file
    modes (`git config core.fileMode`: a process each, ~150 a project); the answer cannot change
    while one copier worker writes into one folder, so it is asked once per worker and folder.
    Returns the undo (a no-op when this copier has no such step)."""
    from copier._main import Worker

    original = getattr(Worker, "_sync_git_index_executable_bit", None)
    if original is None:
        return lambda: None

    def sync(self: Any, dst_relpath: Path, src_mode: int) -> None:
        root = str(self.subproject.local_abspath)
        answers = vars(self).setdefault("_file_mode_by_root", {})
        if root not in answers:
            answers[root] = subprocess.run(  # as copier runs it: `git -C ROOT config ...`
                ["git", "-C", root, "config", "--type=bool", "--get", "core.fileMode"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        if answers[root] == "false":  # only then has copier anything to do
            original(self, dst_relpath, src_mode)

    Worker._sync_git_index_executable_bit = sync

    def undo() -> None:
        Worker._sync_git_index_executable_bit = original

    return undo


def shared_root(basetemp: Path) -> Path:
    """The folder every xdist worker of this run can see (the workers' basetemps' parent)."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
