"""The JSONL trace: one object per model-call attempt, a summary object at close; no secrets."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any

class Trace:
    """Appends JSON lines to a file, opened (and truncated) on the first record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        """Where the trace goes."""
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Write one object as a line (strings scrubbed of secrets)."""
        line = json.dumps({k: _clean(v) for k, v in record.items()}, default=str)
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8")
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
