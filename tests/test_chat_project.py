"""`chat` in a generated project (examples/chat-tutor.yaml), each command its own process: a
session remembers across two processes (the second process's model request carries what the
first stored), reset, the session budget held across processes (exit 3), one-line usage errors
(exit 2), the estimate per turn, and the project's own suite."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from batch_fixtures import env_mock, env_stub
from helpers_render import example_spec, make_project, project_suites, spec_for
from stub_server import StubServer

from advisor.render import copier_data
from runtime.conversation.store import SessionStore
from runtime.volume.store import sqlite_url

EXAMPLE = Path(__file__).parent.parent / "examples" / "chat-tutor.yaml"
Project = tuple[Path, str]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(example_spec(EXAMPLE), tmp_path_factory.mktemp("chat"), "tutor")


def _chat(
    project: Project, lines: list[str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    path, package = project
    return subprocess.run(
        [sys.executable, "-m", package, "chat", *args],
        cwd=path,
        env=env or env_mock(),
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_session_remembers_across_two_processes(project: Project, stub: StubServer) -> None:
    first = _chat(
        project, ["My name is Ada and I am stuck on fractions."], "--mock", "--session", "ada"
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip()  # the reply
    # The second process talks to a real (loopback) endpoint: what it sends is what it remembers.
    stub.reply("Welcome back, Ada.")
    stub.reply(
        json.dumps({"goal": "understand fractions", "facts": ["name: Ada"], "phase": "analysis"})
    )
    second = _chat(
        project, ["What was my name?", "/state"], "--session", "ada", env=env_stub(stub.base_url)
    )
    assert second.returncode == 0, second.stderr
    assert "continuing session ada after 1 turn(s)" in second.stderr
    assert "Welcome back, Ada." in second.stdout
    reply_request = stub.requests[0].seen()
    assert "My name is Ada and I am stuck on fractions." in reply_request
    assert "What was my name?" in reply_request
    assert "session ada: 2 turn(s)" in second.stdout and "fact: name: Ada" in second.stdout


def test_reset_forgets_a_session(project: Project) -> None:
    assert _chat(project, ["Remember this."], "--mock", "--session", "gone").returncode == 0
    reset = _chat(project, [], "--reset", "--session", "gone")
    assert reset.returncode == 0 and "session gone reset" in reset.stderr
    path, package = project
    store = SessionStore(sqlite_url(path / ".wfadvise" / "chat.sqlite"), package)
    gone = store.load("gone")
    store.close()
    assert gone is not None and gone.turns == [] and gone.calls == 2  # spending still counts


def test_the_session_budget_holds_across_processes(project: Project) -> None:
    path, package = project
    settings_file = path / package / "settings.json"
    original = settings_file.read_text()
    data = json.loads(original)
    data["conversation"]["session"]["max_calls"] = 3
    settings_file.write_text(json.dumps(data))
    try:
        # turn 1: a reply and a state update (2 calls); turn 2's reply is the 3rd and last call
        one = _chat(project, ["First."], "--mock", "--session", "capped")
        assert one.returncode == 0, one.stderr
        two = _chat(project, ["Second."], "--mock", "--session", "capped")
        assert two.returncode == 3 and two.stdout.strip()  # the reply, then the cap
        assert "(what was left of the session's budget)" in two.stderr
        three = _chat(project, ["Third."], "--mock", "--session", "capped")
        assert three.returncode == 3 and three.stdout == ""
        assert "stopped: session max_calls=3 reached (3 calls so far)" in three.stderr
    finally:
        settings_file.write_text(original)


def test_the_trace_has_every_call_and_a_summary_line_per_turn(
    project: Project, tmp_path: Path
) -> None:
    trace = tmp_path / "chat.jsonl"
    done = _chat(project, ["One.", "Two."], "--mock", "--trace", str(trace))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    steps = [line["step"].rsplit(">", 1)[-1] for line in lines if not line.get("summary")]
    assert steps == ["tutor_reply", "update_state"] * 2
    assert [line["calls"] for line in lines if line.get("summary")] == [2, 2]


@pytest.fixture(scope="module")
def main_of(project: Project) -> Callable[[list[str]], int]:
    """The project's own `main`, imported into this process (usage errors need no model)."""
    path, package = project
    sys.path.insert(0, str(path))
    try:
        module = importlib.import_module(f"{package}.__main__")
    finally:
        sys.path.remove(str(path))
    run: Callable[[list[str]], int] = module.main
    return run


@pytest.mark.parametrize(
    ("args", "lines", "says"),
    [
        (["--db", "postgresql://nobody@127.0.0.1:1/x"], ["hi"], "cannot reach the database"),
        (["--db", "nonsense://"], ["hi"], "--db"),
        (["--session", "../etc"], ["hi"], "is not a session id"),
        (["--reset"], [], "--reset needs --session ID"),
        (["--reset", "--session", "never-was"], [], "no session 'never-was'"),
        ([], ["/frobnicate"], "unknown command '/frobnicate'"),
        (["--approve", "send"], ["hi"], "--approve send: no such tool needs approval"),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_2(
    main_of: Callable[[list[str]], int],
    project: Project,
    args: list[str],
    lines: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project[0])
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert main_of(["chat", "--mock", *args]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], err
    assert "Traceback" not in err


class Terminal(io.StringIO):
    """Lines typed at a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_failed_turn_is_said_and_the_chat_goes_on(
    main_of: Callable[[list[str]], int],
    project: Project,
    stub: StubServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project[0])
    monkeypatch.setenv("OPENAI_API_BASE", stub.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    stub.error(400)  # the first turn's reply fails (a 400 is not retried)
    stub.reply("Second try works.")
    stub.reply(json.dumps({"goal": "fractions", "facts": [], "phase": "discovery"}))
    monkeypatch.setattr("sys.stdin", Terminal("First.\nSecond.\n"))
    assert main_of(["chat", "--session", "tty"]) == 0
    out = capsys.readouterr()
    assert "(the turn was not kept; try again)" in out.err
    assert "Second try works." in out.out
    assert "First." not in stub.requests[-2].seen()  # the failed turn is not in the context


def test_estimate_prices_a_turn(project: Project) -> None:
    path, package = project
    done = subprocess.run(
        [sys.executable, "-m", package, "estimate"],
        cwd=path,
        env=env_mock(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "per turn" in done.stdout and "summary call (1/6 of it per turn" in done.stdout
    assert "summarize_turns" in done.stdout and "update_state" in done.stdout


def test_a_chat_project_without_batch_installs_what_its_store_needs(project: Project) -> None:
    path, package = project
    assert not (path / package / "batch.py").exists()  # 500 turns a day: no batch, no dbos
    pyproject = (path / "pyproject.toml").read_text()
    assert '"sqlalchemy>=' in pyproject and '"psycopg[binary]>=' in pyproject
    assert "dbos" not in pyproject
    vendored = {p.name for p in (path / package / "_runtime" / "volume").glob("*.py")}
    assert vendored == {"__init__.py", "errors.py", "store.py"}  # the connection, no engine


def test_a_project_without_conversation_has_no_chat() -> None:
    data = copier_data(spec_for({"name": "one shot", "steps": ["answer"]}))
    assert "conversation" not in data["settings"] and data["names"]["chat"] is False


def test_the_projects_own_suite_passes(project: Project) -> None:
    done = subprocess.run(
        project_suites([project[0]]),
        cwd=project[0],
        env=env_mock(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "passed" in done.stdout
