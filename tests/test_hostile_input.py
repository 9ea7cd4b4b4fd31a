"""Hostile answers files through the installed `wfadvise`: exit 2, one line, nothing written.

Each input runs in a child process under a 1 GiB address-space limit and a generous timeout,
so an alias bomb that expands, or nesting that recurses, fails the test instead of the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

WFADVISE = Path(sys.executable).with_name("wfadvise")
MEMORY_LIMIT = 1 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_wfadvise(
    args: list[str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The installed entry point, memory-capped, without a terminal or API keys."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["WFADVISE_TEMPLATE_STORE"] = str(cwd / "store")
    return subprocess.run(
        [str(WFADVISE), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


def assert_refused(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2 and a single stderr line holding every fragment; the line is returned."""
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert len(err.splitlines()) == 1, err[:3000]
    assert len(err) < 1000, err[:3000]  # a 10,000-character value never shows whole
    for fragment in fragments:
        assert fragment in err, err
    return err


def _bomb(levels: int = 9) -> str:
    """A "billion laughs": nine anchors of nine aliases each, 9**9 strings once expanded."""
    lines = ["steps: [&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    previous = "a"
    for anchor in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f", &{anchor} [{', '.join(['*' + previous] * 9)}]")
        previous = anchor
    return "\n".join(lines) + f"]\nname: *{previous}\n"


def _deep_yaml() -> str:
    return "name: deep\ntask: " + "[" * 5000 + "]" * 5000 + "\n"


def _deep_json() -> str:
    return '{"name": "deep", "task": ' + "[" * 5000 + "]" * 5000 + "}"


# name -> (file name, content, fragments the one line must hold)
CASES: dict[str, tuple[str, str | bytes, tuple[str, ...]]] = {
    "alias_bomb": ("bomb.yaml", _bomb(), ("more than 10,000 values", "aliases")),
    "alias_cycle": ("cycle.yaml", "name: x\ncategories: &a [a, *a]\n", ("alias",)),
    "deep_yaml": ("deep.yaml", _deep_yaml(), ("nested more than",)),
    "deep_json": ("deep.json", _deep_json(), ("nested more than",)),
    "duplicate_yaml_key": (
        "dup.yaml",
        "name: first\ntask: t\nname: second\n",
        ("duplicate key `name`", "line 3", "line 1"),
    ),
    "duplicate_json_key": ("dup.json", '{"name": "a", "name": "b"}', ("duplicate key `name`",)),
    "binary": ("bin.yaml", b"\xff\xfe\x00\x01name: x\n", ("not UTF-8",)),
    "nul_character": ("nul.yaml", "name: a\x00b\n", ("not valid YAML",)),
    "huge_file": ("huge.yaml", "name: x\ntask: " + "y" * (2 << 20) + "\n", ("MiB",)),
    "long_name": ("name.yaml", "name: a" + "b" * 10_000 + "\n", ("`name`", "too long")),
    "long_task": ("task.yaml", "name: x\ntask: " + "b" * 10_000 + "\n", ("`task`", "too long")),
    "long_step": (
        "step.yaml",
        "name: x\nsteps: [a" + "b" * 10_000 + ", c]\n",
        ("`steps", "10,001 characters"),
    ),
    "long_unknown_key": (
        "key.json",
        '{"name": "x", "' + "k" * 10_000 + '": 1}',
        ("unknown key",),
    ),
    "too_many_values": (
        "values.yaml",
        "name: x\nsteps: [" + "a, " * 200_000 + "b]\n",
        ("more than 10,000 values",),
    ),
    "too_many_json_values": (
        "values.json",
        '{"name": "x", "steps": [' + "1, " * 200_000 + "1]}",
        ("more than 10,000 values",),
    ),
    "too_many_steps": (
        "many.yaml",
        "name: x\nsteps: [" + ", ".join(f"s{i}" for i in range(5000)) + "]\n",
        ("`steps`", "at most"),
    ),
    "budget_inf": (
        "inf.yaml",
        "name: x\nbudget_usd_per_request: .inf\n",
        ("`budget_usd_per_request`", "finite"),
    ),
    "budget_nan": (
        "nan.yaml",
        "name: x\nbudget_usd_per_request: .nan\n",
        ("`budget_usd_per_request`", "finite"),
    ),
    "budget_json_infinity": (
        "inf.json",
        '{"name": "x", "budget_usd_per_request": Infinity}',
        ("`budget_usd_per_request`", "finite"),
    ),
    "budget_negative": (
        "neg.yaml",
        "name: x\nbudget_usd_per_request: -1\n",
        ("`budget_usd_per_request`", "more than 0"),
    ),
    "budget_zero": (
        "zero.yaml",
        "name: x\nbudget_usd_per_request: 0\n",
        ("`budget_usd_per_request`", "more than 0"),
    ),
    "budget_huge": (
        "big.yaml",
        "name: x\nbudget_usd_per_request: 1.0e+308\n",
        ("`budget_usd_per_request`", "too large"),
    ),
    "huge_integer_yaml": (
        "bigint.yaml",
        "name: x\nvolume_per_day: " + "9" * 5000 + "\n",
        ("line 2", "digits"),
    ),
    "huge_integer_json": (
        "bigint.json",
        '{"name": "x", "volume_per_day": ' + "9" * 5000 + "}",
        ("digits",),
    ),
    "huge_binary_integer": (
        "bigbin.yaml",
        "name: x\nbudget_usd_per_request: 0b" + "1" * 20_000 + "\n",
        ("digits",),
    ),
    "volume_inf": ("vol.yaml", "name: x\nvolume_per_day: .inf\n", ("`volume_per_day`",)),
    "volume_negative": ("volneg.yaml", "name: x\nvolume_per_day: -5\n", ("`volume_per_day`",)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_answers_file_is_refused_by_new_in_one_line(case: str, tmp_path: Path) -> None:
    name, content, fragments = CASES[case]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    proc = run_wfadvise(["new", "out", "--answers", name], tmp_path)
    assert_refused(proc, name, *fragments)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "store") == [name]


@pytest.mark.parametrize("case", ["alias_bomb", "deep_yaml", "budget_inf", "duplicate_yaml_key"])
@pytest.mark.parametrize("command", ["recommend", "estimate"])
def test_recommend_and_estimate_refuse_the_same_files(
    case: str, command: str, tmp_path: Path
) -> None:
    name, content, fragments = CASES[case]
    (tmp_path / name).write_text(str(content), encoding="utf-8")
    assert_refused(run_wfadvise([command, "--answers", name], tmp_path), name, *fragments)


def _directory(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _unreadable(path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    path.write_text("name: x\n", encoding="utf-8")
    path.chmod(0)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_directory, "is a folder"),
        (_fifo, "not a regular file"),
        (_unreadable, "permission denied"),
        (lambda path: None, "not found"),
    ],
    ids=["directory", "fifo", "unreadable", "missing"],
)
def test_answers_path_that_is_not_a_readable_file(
    make: Callable[[Path], None], fragment: str, tmp_path: Path
) -> None:
    make(tmp_path / "answers.yaml")
    proc = run_wfadvise(["new", "out", "--answers", "answers.yaml"], tmp_path, timeout=60)
    assert_refused(proc, "answers.yaml", fragment)
    assert not (tmp_path / "out").exists()


_CALL = '{"step": "route>classify", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.001}'

# name -> (trace content, fragments)
TRACES: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "garbage_line": (_CALL + "\ngarbage here\n", ("line 2", "not JSON")),
    "text_latency": ('{"step": "classify", "latency_s": "abc"}\n', ("latency_s", "not a number")),
    "list_cost": ('{"step": "classify", "cost_usd": [1]}\n', ("cost_usd", "not a number")),
    "infinite_tokens": ('{"step": "classify", "prompt_tokens": 1e400}\n', ("prompt_tokens",)),
    "nan_latency": ('{"step": "classify", "latency_s": NaN}\n', ("latency_s",)),
    "negative_tokens": (
        '{"step": "classify", "prompt_tokens": -1000000, "cost_usd": -3}\n',
        ("prompt_tokens", ">= 0"),
    ),
    "huge_integer": ('{"step": "classify", "prompt_tokens": ' + "9" * 5000 + "}\n", ("line 1",)),
    "deep_line": ('{"step": "x", "a": ' + "[" * 5000 + "]" * 5000 + "}\n", ("line 1",)),
    "text_summary_cost": (_CALL + '\n{"summary": true, "cost_usd": "lots"}\n', ("line 2",)),
    "binary": (b"\xff\xfe\x00garbage\n", ("not UTF-8",)),
}


@pytest.mark.parametrize("case", sorted(TRACES))
def test_estimate_refuses_a_garbage_trace_in_one_line(case: str, tmp_path: Path) -> None:
    content, fragments = TRACES[case]
    trace = tmp_path / "trace.jsonl"
    trace.write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "answers.yaml").write_text("name: x\ncategories: [a, b]\n", encoding="utf-8")
    args = ["estimate", "--answers", "answers.yaml", "--from-trace", "trace.jsonl"]
    proc = run_wfadvise([*args, "--plot", "chart.svg"], tmp_path, timeout=60)
    assert_refused(proc, "trace.jsonl", *fragments)
    assert not (tmp_path / "chart.svg").exists()


def test_estimate_does_not_wait_on_a_fifo_trace(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "trace.jsonl")
    (tmp_path / "answers.yaml").write_text("name: x\n", encoding="utf-8")
    args = ["estimate", "--answers", "answers.yaml", "--from-trace", "trace.jsonl"]
    assert_refused(run_wfadvise(args, tmp_path, timeout=60), "not a regular file")


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_estimate_of_a_project_with_an_unreadable_settings_file(kind: str, tmp_path: Path) -> None:
    settings = tmp_path / "proj" / "pkg" / "settings.json"
    settings.parent.mkdir(parents=True)
    (tmp_path / "proj" / "wfadvise-answers.yaml").write_text("name: pkg\n", encoding="utf-8")
    if kind == "fifo":
        os.mkfifo(settings)
    else:
        settings.write_text('{"name": "x"}' + " " * (2 << 20), encoding="utf-8")
    proc = run_wfadvise(["estimate", "proj"], tmp_path, timeout=60)
    assert_refused(proc, "settings.json", "regular file" if kind == "fifo" else "bytes")


def test_estimate_plot_onto_a_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("name: x\n", encoding="utf-8")
    (tmp_path / "charts").mkdir()
    args = ["estimate", "--answers", "answers.yaml", "--plot", "charts"]
    assert_refused(run_wfadvise(args, tmp_path, timeout=60), "is a folder", "charts/cost.svg")
    assert list((tmp_path / "charts").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml", "charts"]
