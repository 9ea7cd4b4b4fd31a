"""Example projects rendered as `wfadvise new` writes them, for tests that run their workflows.

The estimate tests check the figures against the flow a user actually gets: each example is
rendered once, its package imported from the rendered folder, and `workflow.build(settings)`
runs on the project's own vendored runtime (`PKG._runtime`: its own Run, SimulatedModel and
combinators), with the project's own prompt files.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from advisor.answers import load_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose
from advisor.template_store import Published, publish
from runtime.estimate import read_prompts
from runtime.settings import Settings

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))
TOOL_RESULT = "result " * 40
"""What every generated tool stub returns in these tests: a reply of known, bounded size."""


@dataclass(frozen=True)
class Rendered:
    """One rendered example project, imported."""

    path: Path
    """The project folder."""
    settings: Settings
    """Its settings.json, as the wfadvise runtime reads it (for the estimate)."""
    prompts: dict[str, str]
    """Its prompt files' texts, by step."""
    package: str
    """Its package name."""

    @property
    def runtime(self) -> ModuleType:
        """The project's vendored runtime package (`PKG._runtime`)."""
        return importlib.import_module(f"{self.package}._runtime")

    def own(self, settings: Settings) -> Any:
        """`settings` as the project's own runtime's Settings."""
        workflow = importlib.import_module(f"{self.package}.workflow")
        return workflow.Settings.model_validate(settings.model_dump(mode="json", by_alias=True))

    def flow(self, settings: Settings) -> Any:
        """The project's own `build(settings)`."""
        return importlib.import_module(f"{self.package}.workflow").build(self.own(settings))

    def execute(self) -> Any:
        """The project runtime's `execute` coroutine function."""
        return importlib.import_module(f"{self.package}._runtime.combinators.execute").execute


def render_example(example: Path, root: Path, published: Published) -> Rendered:
    """Render `example` under `root` and import its package (tool stubs answer TOOL_RESULT)."""
    spec = spec_from(diagnose(load_answers(example)))
    made = write_project(spec, root / example.stem, published=published)
    if str(made.path) not in sys.path:
        sys.path.insert(0, str(made.path))
    package = made.package
    if (made.path / package / "tools.py").is_file():
        importlib.import_module(f"{package}.tools").STUB_REPLY = TOOL_RESULT
    settings = Settings.load(made.path / package / "settings.json")
    return Rendered(
        path=made.path,
        settings=settings,
        prompts=read_prompts(made.path / package / "prompts", settings.plan),
        package=package,
    )


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Rendered]:
    """Each example rendered and imported on first use, once per session."""
    root = tmp_path_factory.mktemp("rendered")
    published = publish(store=root / "store")
    cache: dict[Path, Rendered] = {}

    def get(example: Path) -> Rendered:
        if example not in cache:
            cache[example] = render_example(example, root, published)
        return cache[example]

    return get
