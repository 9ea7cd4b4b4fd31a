"""What `eval` needs from a generated project (its evaluate.py hands it over)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import Settings


@dataclass(frozen=True, kw_only=True)
class EvalProject:
    """A generated project, as `eval` sees it."""

    name: str
    """The package name."""
    root: Path
    """The project folder (holds wfadvise-answers.yaml)."""
    task: str
    """The task in the user's words: the single-call baseline's prompt and the judge's brief."""
    criteria: Sequence[str] = ()
    """What a good answer meets, for the judge."""
    prompts: Path
    """The package's prompts/ folder."""
    load_settings: Callable[[], Settings]
    """Reads settings.json."""
    build: Callable[[Settings, Path], Any]
    """Builds the workflow from settings with the prompt files of the given folder."""
    mock_script: Callable[[Settings], dict[str, list[Any]]]
    """Scripted simulated replies for --mock (every model check passes)."""
    require_key: Callable[[list[str], str | None], None]
    """Refuses a real run whose provider key is missing."""
    checks: Sequence[Callable[[Any], Any]] = field(default_factory=tuple)
    """The project's own code checks that score an output (written ones only, not stubs)."""

    @property
    def answers_file(self) -> Path:
        """The answers the project was generated from (`--against PATTERN` renders again)."""
        return self.root / "wfadvise-answers.yaml"
