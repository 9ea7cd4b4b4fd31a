"""The JSONL trace: one object per model-call attempt, a summary object at close; no secrets."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any

from ..combinators.split_trace import MAP, PLAN
from ..errors import TraceFileError
from .secrets import scrub

__all__ = ["Trace", "scrub"]


class Trace:
    """Appends JSON lines to a file: a new file, or an existing trace (never any other file).

    The path is checked and created when the Trace is made, so a refused path costs no call.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        """Where the trace goes."""
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self._glue = _prepare(path)

    def write(self, record: dict[str, Any]) -> None:
        """Write one object as a line (strings scrubbed of secrets)."""
        line = json.dumps({k: _clean(v) for k, v in record.items()}, default=str)
        with self._lock:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
                self._file.write(self._glue)
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _prepare(path: Path) -> str:
    """Refuse a path that is not a trace or whose folder is missing; create the file. Returns
    what a first write must add first."""
    if path.is_dir():
        raise TraceFileError(f"trace {path} is a folder; give a file name such as run.jsonl")
    glue = ""
    if path.exists() and path.stat().st_size > 0:
        _require_trace(path)
        with path.open("rb") as handle:
            handle.seek(-1, 2)
            glue = "" if handle.read(1) == b"\n" else "\n"  # a run killed mid-line
    if not path.parent.exists():  # a typo in the folder must not make folders (as --plot)
        raise TraceFileError(f"trace {path}: folder {path.parent} does not exist; create it first")
    try:
        path.open("a", encoding="utf-8").close()
    except OSError as exc:
        raise TraceFileError(f"cannot write trace {path}: {exc.strerror or exc}") from None
    return glue


def _require_trace(path: Path) -> None:
    """An existing file is appended to only if its first line is a trace record."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(_FIRST_LINE_MAX)
        record = json.loads(first.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        record = None
    if not (isinstance(record, dict) and _KINDS & set(record)):
        raise TraceFileError(
            f"{path} exists and is not a trace, so it is left alone; pass a new file name "
            "or an existing trace (written by `run --trace`) to append to"
        )


_FIRST_LINE_MAX = 1 << 20
_KINDS = {"step", "summary", MAP.key, PLAN.key}
"""Keys that make a first line a trace record: a call, a run's summary, a map's split or a plan
(a map writes its split before its items' calls, so a run of a map-first flow opens with one;
an orchestrator whose planner is code writes its plan before any call)."""


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
