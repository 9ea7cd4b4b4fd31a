"""Test-suite guards: no network, no API keys, no real model requests."""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# `batch`/`worker`: generated projects and a loopback PostgreSQL; see tests/batch_fixtures.py.
from batch_fixtures import batch_store, chain, postgres, single  # noqa: F401
from hypothesis import settings

# Renders copied from an earlier identical render; see tests/render_cache.py.
from render_cache import RenderCache, one_file_mode_question, shared_root

# `rendered`: each example rendered and imported once per session; see tests/rendered.py.
from rendered import rendered  # noqa: F401

# The loopback OpenAI-compatible server fixtures (`stub`); see tests/stub_server.py.
from stub_server import stub, stub_server_session  # noqa: F401

from runtime.model_calls.bpe import CACHE_ENV

# In CI, property tests draw the same examples every run: a red build then means a change
# broke something, not that a seed was unlucky. Locally they keep exploring new examples.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Any real model request inside the suite must fail loudly.
os.environ["WFADVISE_ALLOW_MODEL_REQUESTS"] = "0"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
# The tokenizer's ranks cache (runtime/bpe.py): shared by xdist workers and the generated
# projects' subprocesses, kept out of the user's own cache folder.
os.environ.setdefault(CACHE_ENV, str(Path(tempfile.gettempdir()) / f"wfadvise-{getpass.getuser()}"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: xdist hands the first tests out one per worker, so the longest ones
    start at once on different workers instead of one of them ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _no_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strip provider keys so nothing can reach a real provider by accident."""
    for key in list(os.environ):
        if key.endswith("_API_KEY") or key in {"OPENAI_API_BASE", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session", autouse=True)
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RenderCache]:
    """`render_data` (so `write_project` and `new`) copies a project it already rendered for
    the same answers and template version, in any xdist worker of this run."""
    import advisor.commands.new as new_module
    import advisor.render as render_module

    root = shared_root(tmp_path_factory.getbasetemp()) / "render-cache"
    root.mkdir(exist_ok=True)
    cache = RenderCache(root, render_module.render_data)
    patched = [render_module, new_module]
    for module in patched:
        module.render_data = cache  # type: ignore[assignment]
    undo = one_file_mode_question()  # copier's per-file `git config`, asked once per render
    yield cache
    undo()
    for module in patched:
        module.render_data = cache.render  # type: ignore[assignment]
