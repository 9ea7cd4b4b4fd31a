"""`wfadvise recommend`: the diagnosis, for people (rich) or scripts (--json, CONTRACTS §2)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from rich.console import Console

from ..display import show_recommendation
from ..intake import obtain


def recommend_command(answers: Path | None, *, as_json: bool) -> None:
    """Recommend from an answers file or the interview; print it."""
    console = Console()
    rec = obtain(answers, console=Console(stderr=True) if as_json else console)
    if as_json:
        print(json.dumps(rec.to_contract(), indent=2, ensure_ascii=False))
    elif answers is not None:
        show_recommendation(rec, console)
    else:
        saved = rec.answers.model_dump(by_alias=True, exclude_defaults=True)
        console.print(f"\n[bold]accepted: {rec.pattern}[/]. Your answers, to reuse with --answers:")
        console.print(yaml.safe_dump(saved, sort_keys=False).rstrip(), markup=False)
