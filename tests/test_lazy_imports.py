"""The runtime's packages import their public names on first use, and every name still works."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import runtime
import runtime.combinators

ROOT = Path(__file__).resolve().parent.parent
LAZY = [runtime, runtime.combinators]


def declared(package: types.ModuleType) -> tuple[dict[str, str], set[str]]:
    """(name -> module) from the TYPE_CHECKING imports, and the literal __all__, of an __init__."""
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    imports: dict[str, str] = {}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1
                imports |= {alias.name: str(imp.module) for alias in imp.names}
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            names = set(ast.literal_eval(node.value))
    return imports, names


@pytest.mark.parametrize("package", LAZY, ids=lambda p: p.__name__)
def test_type_checking_imports_all_and_the_lazy_map_agree(package: types.ModuleType) -> None:
    imports, names = declared(package)
    assert imports == dict(package._MODULE_OF)
    assert names == set(imports) == set(package.__all__)


@pytest.mark.parametrize("package", LAZY, ids=lambda p: p.__name__)
def test_every_public_name_is_the_object_its_module_defines(package: types.ModuleType) -> None:
    # Import every submodule first: `route`, `scope`, `execute`... are module names too, and
    # must still be the functions (as when the package imported everything up front).
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(info.name)
    for name, module in package._MODULE_OF.items():
        value = getattr(package, name)
        assert not isinstance(value, types.ModuleType), name
        assert value is getattr(importlib.import_module(f"{package.__name__}.{module}"), name)
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # noqa: B018


def test_one_simulated_step_imports_no_other_pattern_and_no_provider_sdk() -> None:
    script = """
import json, sys
from runtime import Run, SimulatedModel
from runtime.combinators import execute_sync, llm
outcome = execute_sync(llm("answer"), Run(simulated=SimulatedModel()), "Hello?")
assert outcome.output
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout))
    unused = {
        "runtime.combinators.agent",
        "runtime.combinators.orchestrate",
        "runtime.combinators.vote",
        "runtime.combinators.refine",
        "runtime.combinators.route",
        "runtime.estimate",
        "runtime.estimate.calibrate",
        "litellm",
        "openai",
        "rich",
    }
    assert not loaded & unused


@pytest.mark.slow
def test_a_single_call_projects_mock_run_imports_only_what_runs(tmp_path: Path) -> None:
    from helpers_render import PATTERN_ANSWERS, offline_env, spec_for

    from advisor.commands.new import write_project
    from advisor.template_store import publish

    made = write_project(
        spec_for(PATTERN_ANSWERS["single-call"]),
        tmp_path / "one",
        published=publish(store=tmp_path / "store"),
    )
    script = f"""
import contextlib, io, json, sys
from {made.package}.__main__ import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["run", "--mock", "Hello?"])
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=made.path,
        env=offline_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got["code"] == 0
    runtime_part = f"{made.package}._runtime."
    unused = [
        "combinators.agent",
        "combinators.vote",
        "combinators.refine",
        "combinators.orchestrate",
        "combinators.route",
        "estimate",
        "volume.engine",
        "volume.batch",
        "volume.durable",
        "evaluation.engine",
    ]
    loaded = set(got["modules"])
    assert not loaded & {runtime_part + m for m in unused}
    assert not loaded & {"dbos", "sqlalchemy", "rich", "litellm", "openai"}
