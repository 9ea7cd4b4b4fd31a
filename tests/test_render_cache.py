"""The suite's render cache (tests/render_cache.py) hands out exactly what copier would write."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_render import PATTERN_ANSWERS, spec_for
from render_cache import RenderCache

from advisor.commands.new import write_project
from advisor.template_store import publish


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root`: its bytes and permission bits."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_a_cached_render_from_another_store_equals_a_fresh_one(
    tmp_path: Path, render_cache: RenderCache
) -> None:
    spec = spec_for(PATTERN_ANSWERS["prompt-chaining"] | {"name": "cache check"})
    first, second = (publish(store=tmp_path / name) for name in ("store-a", "store-b"))
    write_project(spec, tmp_path / "made-a", published=first)  # rendered, and kept
    hits = render_cache.hits
    copied = write_project(spec, tmp_path / "copied-b", published=second)
    assert render_cache.hits == hits + 1
    render_cache.enabled = False
    try:
        fresh = write_project(spec, tmp_path / "fresh-b", published=second)
    finally:
        render_cache.enabled = True
    assert tree(copied.path) == tree(fresh.path)
    answers = (copied.path / ".copier-answers.yml").read_text(encoding="utf-8")
    assert f"_src_path: {tmp_path / 'store-b'}\n" in answers
