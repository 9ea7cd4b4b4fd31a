"""INPUT.jsonl in, OUT.jsonl out: requests, malformed lines, and the rows already written."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DuplicateIdError, VolumeUsageError

ROW_KEYS = ("id", "output", "exit", "calls", "cost_usd", "error")
"""Keys of an OUT.jsonl row, in order (CONTRACTS §4)."""
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3


@dataclass(frozen=True)
class Request:
    """One line of INPUT.jsonl."""

    id: str
    """The request's id (its line number when the line is a bare JSON string)."""
    text: str
    """The input text."""
    line: int
    """Line number in INPUT.jsonl, from 1."""

    @property
    def digest(self) -> str:
        """What this id was asked, as a digest (a resume refuses an id asked something else)."""
        return _digest("input", self.text)


@dataclass(frozen=True)
class Malformed:
    """A line of INPUT.jsonl that holds no request; it becomes a failed row."""

    line: int
    """Line number, from 1."""
    problem: str
    """What is wrong with it."""
    given_id: str | None = None
    """The id the line gave, when it gave a usable one."""
    given: str = ""
    """What the line gave as its input (canonical JSON, or the line when it is not JSON)."""

    @property
    def id(self) -> str:
        """The row id: the id the line gave, else its line number."""
        return str(self.line) if self.given_id is None else self.given_id

    @property
    def digest(self) -> str:
        """What this id was given, as a digest; never equal to a request's."""
        return _digest("malformed", self.given)

    def row(self) -> dict[str, Any]:
        """The failed OUT.jsonl row for this line."""
        return make_row(self.id, None, EXIT_USAGE, 0, 0.0, f"line {self.line}: {self.problem}")


def make_row(
    rid: str, output: Any, exit_code: int, calls: int, cost_usd: float, error: str | None
) -> dict[str, Any]:
    """An OUT.jsonl row."""
    return dict(
        zip(ROW_KEYS, (rid, output, exit_code, calls, round(cost_usd, 8), error), strict=True)
    )


def read_requests(path: Path) -> tuple[list[Request], list[Malformed]]:
    """Every request and every malformed line; DuplicateIdError when an id repeats."""
    if not path.is_file():
        raise VolumeUsageError(f"no input file at {path}; give a JSONL file, one request a line")
    requests: list[Request] = []
    malformed: list[Malformed] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            parsed = _parse(line, number)
            if isinstance(parsed, Malformed):
                malformed.append(parsed)
                rid = parsed.id
            else:
                requests.append(parsed)
                rid = parsed.id
            if rid in seen:
                raise DuplicateIdError(
                    f"{path}: id {rid!r} is on line {seen[rid]} and line {number}; "
                    "give every request its own id"
                )
            seen[rid] = number
    return requests, malformed


def _parse(line: str, number: int) -> Request | Malformed:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        return Malformed(number, f"not JSON ({err.msg})", given=line.strip())
    if isinstance(value, str):
        return (
            Request(str(number), value, number)
            if value.strip()
            else Malformed(number, "empty input", given=_canonical(value))
        )
    if not isinstance(value, dict):
        problem = 'expected {"id": ..., "input": "..."} or a JSON string'
        return Malformed(number, problem, given=_canonical(value))
    rid, text = value.get("id"), value.get("input")
    if isinstance(rid, bool) or not isinstance(rid, (str, int)) or not str(rid).strip():
        problem = '"id" must be a non-empty string or a number'
        return Malformed(number, problem, given=_canonical(value))
    if not isinstance(text, str) or not text.strip():
        problem = '"input" must be a non-empty string'
        return Malformed(number, problem, given_id=str(rid), given=_canonical(text))
    return Request(str(rid), text, number)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _digest(kind: str, text: str) -> str:
    # surrogatepass: a JSON string may hold a lone surrogate ("\ud800"), which UTF-8 refuses
    return hashlib.sha256(f"{kind}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


def written_rows(out: Path) -> dict[str, int]:
    """Id and exit code of each row already in OUT.jsonl; a torn last line (a crash while
    writing it) is cut off first. Any other file is refused, untouched (VolumeUsageError)."""
    if not out.exists():
        return {}
    if not out.is_file():
        raise VolumeUsageError(f"--out {out} is not a file; pass a file name for the rows")
    data = out.read_bytes()
    keep = data if data.endswith(b"\n") or not data else data[: data.rfind(b"\n") + 1]
    torn = data[len(keep) :]
    rows: dict[str, int] = {}
    for line in keep.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not (isinstance(row, dict) and "id" in row):
            raise VolumeUsageError(_not_rows(out))
        code = row.get("exit")
        rows[str(row["id"])] = code if isinstance(code, int) else EXIT_FAILURE
    if torn and not torn.startswith(_ROW_START):
        raise VolumeUsageError(_not_rows(out))
    if torn:
        with out.open("r+b") as handle:
            handle.truncate(len(keep))
    return rows


_ROW_START = json.dumps({ROW_KEYS[0]: ""})[:6].encode()
"""How every row written starts (`{"id"`): a torn last line that does not is someone's text."""


def _not_rows(out: Path) -> str:
    return (
        f"--out {out} exists and holds no batch results, so it is left alone; pass a new "
        "file name, or the OUT.jsonl of an earlier batch to resume it"
    )


class RowWriter:
    """Appends rows to OUT.jsonl, each flushed to disk before it counts as written."""

    def __init__(self, out: Path) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        self._handle = out.open("a", encoding="utf-8")

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows and fsync them."""
        if not rows:
            return
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        self._handle.write(text)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
