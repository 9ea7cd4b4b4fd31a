"""`wfadvise recommend`: the diagnosis, for people (rich) or scripts (--json, CONTRACTS §2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import yaml
from rich.console import Console

from ..data_flags import parse_data
from ..display import show_recommendation
from ..intake import obtain
from ..userfiles import is_stdin

DEFAULT_NAME = "my-workflow"
"""The project name `recommend --data` assumes: a recommendation does not depend on it."""


def recommend_command(
    answers: Path | None, data: Sequence[str], *, as_json: bool, details: bool = False
) -> None:
    """Recommend from an answers file, `--data`, or the interview; print it."""
    console = Console()
    rec = obtain(
        answers,
        data=parse_data(data),
        console=Console(stderr=True) if as_json else console,
        default_name=DEFAULT_NAME,
    )
    if as_json:
        print(json.dumps(rec.to_contract(), indent=2, ensure_ascii=False))
    elif answers is not None or data:
        show_recommendation(rec, console, details=details)
        console.print(f"[dim]generate it: {_new_command(answers)}[/]", highlight=False)
    else:
        saved = rec.answers.model_dump(by_alias=True, exclude_defaults=True)
        console.print(f"\n[bold]accepted: {rec.pattern}[/]. Your answers, to reuse with --answers:")
        text = yaml.safe_dump(saved, sort_keys=False, allow_unicode=True, default_flow_style=None)
        console.print(text.rstrip(), markup=False, highlight=False)


def _new_command(answers: Path | None) -> str:
    """The `wfadvise new` command that generates what was just recommended."""
    if answers is None:
        return "wfadvise new DIR the same --data"
    if is_stdin(answers):  # what was piped in is gone: it has to be piped again
        return "pipe the same answers into wfadvise new DIR --answers -"
    return f"wfadvise new DIR --answers {answers}"
