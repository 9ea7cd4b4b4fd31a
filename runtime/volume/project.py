"""What `batch` and `worker` need from a generated project (its __main__ hands it over)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Settings


@dataclass(frozen=True, kw_only=True)
class Project:
    """A generated project, as the volume commands see it."""

    name: str
    """The package name; DBOS's application name, so projects sharing a database never mix."""
    root: Path
    """The project folder (the default store lives in it)."""
    load_settings: Callable[[], Settings]
    """Reads settings.json."""
    build: Callable[[Settings, tuple[str, ...]], Any]
    """Builds the workflow from settings and the tools `--approve` allowed (a batch has no
    terminal, so every other tool under `approval` is refused)."""
    as_data: Callable[[Any], Any]
    """Turns a workflow output into JSON-ready data."""
    require_key: Callable[[list[str], str | None], None]
    """Refuses a real run whose provider key is missing (raises the project's usage error)."""
    mock_script: Callable[[Settings], dict[str, list[Any]]] = lambda _settings: {}
    """The simulated model's scripted replies for --mock (model checks pass, as in `run`)."""

    @property
    def default_store(self) -> Path:
        """The SQLite store used when no --db is given."""
        return self.root / ".wfadvise" / "batch.sqlite"
