"""The JSONL trace: one object per model-call attempt, a summary object at close; no secrets."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import IO, Any

# API keys and bearer tokens as providers print them (sk-..., sk-ant-..., Bearer ...).
_SECRET = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._\-]{8,}|"
    r"(?i:api[_-]?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._\-]{8,}|AIza[0-9A-Za-z_\-]{20,})"
)


def scrub(text: str) -> str:
    """Text with anything that looks like an API key replaced by `[redacted]`."""
    return _SECRET.sub("[redacted]", text)


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
    return scrub(value) if isinstance(value, str) else value
