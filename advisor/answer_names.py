"""The names in an answers file: the project's, and the names of steps, categories and tools
(non-empty, short, unique, and free of the trace's step-path separator)."""

from __future__ import annotations

import re
import unicodedata

from runtime.scope import SEPARATOR

from .userfiles import brief

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]*$")
"""A project name: ASCII, starting with a letter (it becomes a package and a distribution)."""
MAX_ENTRY_CHARS = 80
"""The longest step, category or tool name."""


def check_project_name(value: str) -> str:
    """The project name stripped; a ValueError with an ASCII spelling when it is not one."""
    value = value.strip()
    if not NAME_RE.match(value):
        raise ValueError(
            "must start with a letter and hold only ASCII letters (a-z, A-Z), digits, "
            f"spaces, '-', '_' or '.' (e.g. {_ascii_example(value)})"
        )
    return value


def _ascii_example(name: str) -> str:
    """`name` spelled with ASCII letters (accents dropped), or `support-desk` when none is left."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", folded)
    example = "-".join(words).lower()
    return example if NAME_RE.match(example) else "support-desk"


def check_names(values: list[str], limit: int, *, in_paths: bool = True) -> list[str]:
    """Entries stripped, each non-empty, within `limit` characters and unique (any case);
    names that become parts of a trace's step path (`in_paths`) without its separator."""
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("entries must not be empty")
    for v in cleaned if in_paths else ():
        if SEPARATOR in v:
            raise ValueError(
                f"{brief(v, 24)} holds '{SEPARATOR}', which separates the parts of a step's "
                f"path in traces and reports; rename it without '{SEPARATOR}' (e.g. "
                f"{brief(_without_separator(v), 24)})"
            )
    for v in cleaned:
        if len(v) > limit:
            raise ValueError(
                f"{brief(v, 24)} has {len(v):,} characters; keep each entry to {limit} "
                "at most (say more in `task`)"
                if limit == MAX_ENTRY_CHARS
                else f"{brief(v, 24)} has {len(v):,} characters; keep each to {limit:,}"
            )
    seen: set[str] = set()
    for v in cleaned:
        if v.lower() in seen:
            raise ValueError(f"{brief(v)} appears twice; entries must be unique")
        seen.add(v.lower())
    return cleaned


def _without_separator(name: str) -> str:
    """`name` with each run of arrows and separators made one `_` (`x-->y` -> `x_y`)."""
    return re.sub(rf"[-=\s]*{re.escape(SEPARATOR)}+[-=\s]*", "_", name).strip("_") or "step"
