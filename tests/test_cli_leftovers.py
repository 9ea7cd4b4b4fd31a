"""Three user-facing leftovers: `--answers -` reads stdin, `estimate DIR` looks only where a
project keeps its settings, and recommend and estimate say which worst case each one counts."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.plan import Node
from runtime.settings import Settings
from tests.clirun import run_cli

WFADVISE = Path(sys.executable).with_name("wfadvise")
EXAMPLES = Path(__file__).parent.parent / "examples"
CHAIN_YAML = "name: desk\nsteps: [draft, review]\n"
CHAIN_JSON = '{"name": "desk", "steps": ["draft", "review"]}'


def wfadvise(
    args: list[str], cwd: Path, *, stdin: bytes | int | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed entry point, with `stdin` piped in (bytes) or an open descriptor (a pty)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["WFADVISE_TEMPLATE_STORE"] = str(cwd / ".store")  # never the user's own store
    piped = isinstance(stdin, bytes)
    return subprocess.run(
        [str(WFADVISE), *args],
        cwd=cwd,
        env=env,
        input=stdin.decode() if isinstance(stdin, bytes) else None,
        stdin=subprocess.DEVNULL if stdin is None else (None if piped else stdin),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_refusal(proc: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, no traceback, one stderr line; the line."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- 1. `--answers -` reads the answers from stdin ---------------------------------------


@pytest.mark.parametrize("text", [CHAIN_YAML, CHAIN_JSON], ids=["yaml", "json"])
def test_recommend_reads_answers_piped_into_stdin(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "answers.yaml").write_text(CHAIN_YAML, encoding="utf-8")
    from_file = run_cli(
        ["recommend", "--answers", str(tmp_path / "answers.yaml"), "--json"], capsys
    )
    piped = wfadvise(["recommend", "--answers", "-", "--json"], tmp_path, stdin=text.encode())
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == json.loads(from_file.out)
    assert json.loads(piped.stdout)["pattern"] == "prompt-chaining"


def test_estimate_reads_answers_piped_into_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = EXAMPLES / "cascade-support.yaml"
    piped = wfadvise(["estimate", "--answers", "-", "--json"], tmp_path, stdin=example.read_bytes())
    assert piped.returncode == 0, piped.stderr
    from_file = run_cli(["estimate", "--answers", str(example), "--json"], capsys)
    assert json.loads(piped.stdout) == json.loads(from_file.out)


def test_recommend_from_stdin_says_to_pipe_the_answers_again(tmp_path: Path) -> None:
    piped = wfadvise(["recommend", "--answers", "-"], tmp_path, stdin=CHAIN_YAML.encode())
    assert piped.returncode == 0, piped.stderr
    assert "pipe the same answers into wfadvise new DIR --answers -" in " ".join(
        piped.stdout.split()
    )


@pytest.fixture
def stdin_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs see CHAIN_YAML piped into stdin."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CHAIN_YAML.encode())))


def test_new_writes_the_project_from_answers_on_stdin(
    stdin_text: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WFADVISE_TEMPLATE_STORE", str(tmp_path / "store"))
    target = tmp_path / "desk"
    result = run_cli(["new", str(target), "--answers", "-"], capsys)
    assert result.code == 0, result.err
    assert "pattern prompt-chaining" in result.out
    saved = (target / "wfadvise-answers.yaml").read_text(encoding="utf-8")
    assert "name: desk" in saved and "steps: [draft, review]" in saved


@pytest.mark.parametrize("command", ["new", "recommend", "estimate"])
def test_empty_stdin_is_one_line_naming_the_way_out(command: str, tmp_path: Path) -> None:
    args = [command, *(["out"] if command == "new" else []), "--answers", "-"]
    line = one_line_refusal(wfadvise(args, tmp_path, stdin=b""))
    assert "stdin is empty" in line and "--answers FILE" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["new", "recommend", "estimate"])
def test_a_terminal_on_stdin_is_refused_not_interviewed(command: str, tmp_path: Path) -> None:
    """Nothing piped in: `--answers -` must not wait on the terminal, nor start the interview."""
    args = [command, *(["out"] if command == "new" else []), "--answers", "-"]
    leader, follower = pty.openpty()
    try:
        proc = wfadvise(args, tmp_path, stdin=follower)
    finally:
        os.close(follower)
        os.close(leader)
    line = one_line_refusal(proc)
    assert "nothing is piped in" in line and "--answers FILE" in line
    assert proc.stdout == ""  # no question was asked
    assert not (tmp_path / "out").exists()


def test_errors_in_piped_answers_name_stdin(tmp_path: Path) -> None:
    proc = wfadvise(["recommend", "--answers", "-"], tmp_path, stdin=b"nam: desk\n")
    line = one_line_refusal(proc)
    assert line.startswith("error: stdin: unknown key `nam`"), line


@pytest.mark.parametrize(
    ("text", "args", "start"),
    [
        ('{"name": "desk",,}', [], "error: stdin: not valid JSON"),
        (CHAIN_YAML, ["--data", "volume_per_day=-1"], "error: stdin with --data:"),
        ("# nothing but a comment\n", [], "error: stdin: only comments were piped in"),
    ],
)
def test_more_errors_in_piped_answers_name_stdin(
    text: str,
    args: list[str],
    start: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    result = run_cli(["recommend", "--answers", "-", *args], capsys)
    assert result.code == 2 and result.err.startswith(start), result.err


def test_answers_piped_without_the_dash_are_pointed_to_it(tmp_path: Path) -> None:
    proc = wfadvise(["new", "out", "--dry-run"], tmp_path, stdin=CHAIN_YAML.encode())
    line = one_line_refusal(proc)
    assert "--answers - reads them from what is piped in" in line
    assert not (tmp_path / "out").exists()


# --- 2. `estimate DIR` reads only the project's own settings --------------------------------


def write_package(folder: Path) -> Path:
    """A generated package's settings and prompts (what estimate reads) in `folder`."""
    plan = Node(
        pattern="prompt-chaining",
        name="chain",
        children=[Node(pattern="single-call", name=s, steps=[s]) for s in ("draft", "review")],
    )
    (folder / "prompts").mkdir(parents=True)
    settings = Settings(name="desk", pattern="prompt-chaining", plan=plan)
    (folder / "settings.json").write_text(settings.dump(), encoding="utf-8")
    (folder / "prompts" / "draft.md").write_text("Draft a reply:\n{input}\n", encoding="utf-8")
    return folder


def stray_settings(root: Path) -> None:
    """What /tmp holds: some other program's settings.json in a subfolder."""
    (root / "tmpq04eqfii").mkdir()
    (root / "tmpq04eqfii" / "settings.json").write_text('{"theme": "dark"}', encoding="utf-8")


def test_estimate_of_a_folder_that_is_no_project_ignores_stray_settings(tmp_path: Path) -> None:
    stray_settings(tmp_path)
    line = one_line_refusal(wfadvise(["estimate", str(tmp_path)], tmp_path))
    assert line == (
        f"error: not a wfadvise project: {tmp_path} (no wfadvise-answers.yaml / "
        "PKG/settings.json); pass a project folder or --answers FILE"
    )


def test_estimate_reads_the_package_its_answers_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(tmp_path / "desk")
    (tmp_path / "wfadvise-answers.yaml").write_text("name: desk\n", encoding="utf-8")
    stray_settings(tmp_path)  # another settings.json beside the package is not a second project
    result = run_cli(["estimate", str(tmp_path), "--json"], capsys)
    assert result.code == 0, result.err
    assert [s["step"] for s in json.loads(result.out)["per_step"]] == ["draft", "review"]


def test_estimate_of_the_package_folder_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(tmp_path / "desk")
    for name in ("__init__.py", "__main__.py"):
        (package / name).write_text("", encoding="utf-8")
    result = run_cli(["estimate", str(package), "--json"], capsys)
    assert result.code == 0, result.err
    assert json.loads(result.out)["per_request"]["expected_calls"] == 2


@pytest.mark.skipif(sys.version_info < (3, 11), reason="pyproject is read with tomllib (3.11+)")
def test_estimate_finds_a_renamed_package_through_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(tmp_path / "front_desk")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "desk"\n\n[tool.setuptools.packages.find]\ninclude = ["front_desk*"]\n',
        encoding="utf-8",
    )
    result = run_cli(["estimate", str(tmp_path), "--json"], capsys)
    assert result.code == 0, result.err


def test_estimate_names_the_missing_settings_file(tmp_path: Path) -> None:
    (tmp_path / "wfadvise-answers.yaml").write_text("name: Front Desk\n", encoding="utf-8")
    stray_settings(tmp_path)
    line = one_line_refusal(wfadvise(["estimate", "."], tmp_path))
    assert "front_desk/settings.json is missing" in line and "tmpq04eqfii" not in line


def test_update_of_the_same_folder_is_one_line_too(tmp_path: Path) -> None:
    stray_settings(tmp_path)
    line = one_line_refusal(wfadvise(["update", str(tmp_path)], tmp_path))
    assert "not made by `wfadvise new`" in line and "tmpq04eqfii" not in line


# --- 3. recommend and estimate name the worst case each one counts -----------------------


def figures(capsys: pytest.CaptureFixture[str], example: Path) -> tuple[int, int]:
    """recommend's worst calls (as designed) and estimate's (retries and repairs included),
    as their `--json` outputs give them."""
    rec = json.loads(run_cli(["recommend", "--answers", str(example), "--json"], capsys).out)
    est = json.loads(run_cli(["estimate", "--answers", str(example), "--json"], capsys).out)
    designed, worst = rec["calls_per_request"]["worst"], est["per_request"]["worst_calls"]
    assert est["per_request"]["worst_model_calls"] == designed  # the two figures, both kept
    assert worst > designed  # the example this is about: 3 designed, 6 with retries
    return designed, worst


def words(text: str) -> str:
    """Text with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.parametrize("example", ["cascade-support.yaml", "single-call.yaml"])
def test_recommend_says_which_worst_it_counts(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    designed, worst = figures(capsys, EXAMPLES / example)
    shown = words(run_cli(["recommend", "--answers", str(EXAMPLES / example)], capsys).out)
    assert f"at most {designed} as designed, {worst} with retries and repairs" in shown


def test_estimate_says_which_worst_it_counts(capsys: pytest.CaptureFixture[str]) -> None:
    example = EXAMPLES / "cascade-support.yaml"
    designed, worst = figures(capsys, example)
    shown = words(run_cli(["estimate", "--answers", str(example)], capsys).out)
    assert f"{worst} ({designed} as designed)" in shown
    assert "worst calls include transport retries and output repairs" in shown


@pytest.fixture(scope="module")
def cascade_readme(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The README of the project generated from examples/cascade-support.yaml."""
    from tests.helpers_render import example_spec, make_project

    root = tmp_path_factory.mktemp("cascade")
    path, _ = make_project(example_spec(EXAMPLES / "cascade-support.yaml"), root, "desk")
    return (path / "README.md").read_text(encoding="utf-8")


def test_the_generated_readme_says_its_calls_are_as_designed(
    cascade_readme: str, capsys: pytest.CaptureFixture[str]
) -> None:
    designed, _ = figures(capsys, EXAMPLES / "cascade-support.yaml")
    (row,) = [line for line in cascade_readme.splitlines() if "model calls per request" in line]
    assert f"at most {designed} as designed" in row and "retries" in row
