"""Where each step's prompt lives: `prompts/SLUG.md`, one slug per step (no spaces, ASCII)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_SLUG = 60
"""Longest file stem: long step names are cut (and made unique again)."""
# Device names Windows refuses as file names, whatever the extension.
_DEVICES = {"con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10)}


def slug(name: str) -> str:
    """A lowercase ASCII file stem for a step name: `Draft reply!` -> `draft_reply`."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    stem = "_".join(words)[:MAX_SLUG].strip("_") or "step"
    return f"{stem}_step" if stem in _DEVICES else stem


def prompt_files(steps: Iterable[str]) -> dict[str, str]:
    """A distinct prompt file name per step, in order: `slug.md`, then `slug_2.md`..."""
    files: dict[str, str] = {}
    taken: set[str] = set()
    for step in steps:
        if step in files:
            continue
        base = slug(step)
        stem, n = base, 2
        while stem in taken:
            stem, n = f"{base}_{n}", n + 1
        taken.add(stem)
        files[step] = f"{stem}.md"
    return files
