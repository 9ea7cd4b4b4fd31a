"""CASES.jsonl: one `{"input", "expected"?}` object a line, checked before any model call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EvalUsageError

MAX_CASES = 10_000
"""More cases than this is a batch, not an evaluation."""
_NO_EXPECTED = object()


@dataclass(frozen=True)
class Case:
    """One evaluation case."""

    line: int
    """Its line number in CASES.jsonl (1-based), to name it in messages."""
    input: str
    """The workflow's input."""
    expected: Any = None
    """The expected answer (text or JSON data), or None when a judge or the code checks score."""
    has_expected: bool = False
    """Whether the line gave `expected` (null counts as given)."""


def load_cases(path: Path) -> list[Case]:
    """Every case of `path`; a bad file is one EvalUsageError naming the line and the fix."""
    if not path.is_file():
        raise EvalUsageError(
            f"no cases file at {path}; write one JSON object a line, e.g. "
            '{"input": "...", "expected": "..."}'
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EvalUsageError(f"{path} is not UTF-8 text; save it as UTF-8 JSONL") from None
    cases: list[Case] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            cases.append(parse_line(path, number, line))
        if len(cases) > MAX_CASES:
            raise EvalUsageError(f"{path} holds more than {MAX_CASES:,} cases; use `batch`")
    if not cases:
        raise EvalUsageError(f'{path} holds no cases; write one {{"input": "..."}} a line')
    return cases


def parse_line(path: Path, number: int, line: str) -> Case:
    """One line as a Case."""
    where = f"{path} line {number}"
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError):
        raise EvalUsageError(
            f'{where} is not JSON; write {{"input": "...", "expected": "..."}}'
        ) from None
    if isinstance(doc, str):
        doc = {"input": doc}
    if not isinstance(doc, dict):
        raise EvalUsageError(f'{where} is not a JSON object; write {{"input": "..."}}')
    unknown = sorted(set(doc) - {"input", "expected", "id"})
    if unknown:
        raise EvalUsageError(f"{where}: unknown key {unknown[0]!r}; use 'input' and 'expected'")
    value = doc.get("input")
    if not isinstance(value, str) or not value.strip():
        raise EvalUsageError(f"{where}: 'input' must be a non-empty string")
    expected = doc.get("expected", _NO_EXPECTED)
    given = expected is not _NO_EXPECTED
    return Case(line=number, input=value, expected=expected if given else None, has_expected=given)
