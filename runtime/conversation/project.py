"""What `chat` needs from a generated project (its chat.py hands it over)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Settings


@dataclass(frozen=True, kw_only=True)
class ChatProject:
    """A generated conversation project, as `chat` sees it."""

    name: str
    """The package name: sessions of projects sharing a database never mix."""
    root: Path
    """The project folder (the default store lives in it)."""
    prompts: Path
    """The prompts folder (update_state.md and summarize_turns.md override the defaults)."""
    load_settings: Callable[[], Settings]
    """Reads settings.json."""
    build: Callable[[Settings, tuple[str, ...]], Any]
    """Builds the turn's workflow from settings and the tools `--approve` allowed (any other
    tool under `approval` asks the person at the terminal, and is refused when piped)."""
    show: Callable[[Any], str]
    """Turns a workflow output into the reply text."""
    require_key: Callable[[list[str], str | None], None]
    """Refuses a real run whose provider key is missing (raises the project's usage error)."""
    mock_script: Callable[[Settings], dict[str, list[Any]]] = lambda _settings: {}
    """The simulated model's scripted replies for --mock (model checks pass, as in `run`)."""

    @property
    def default_store(self) -> Path:
        """The SQLite store used when no --db is given."""
        return self.root / ".wfadvise" / "chat.sqlite"
