"""Fixtures for the `batch`/`worker` tests: generated projects, a loopback PostgreSQL, helpers.

The batch runs as the real entry point (`python -m PKG batch ...`) in a subprocess, against the
simulated model or the loopback stub; PostgreSQL is started once per session from Debian's
binaries and stopped at the end (the tests that need it skip, saying why, when none is
installed; `.ci/run` installs it).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers_render import PATTERN_ANSWERS, offline_env, spec_for
from pg_server import LocalPostgres

from advisor.commands.new import write_project
from advisor.template_store import Published, publish


@dataclass(frozen=True)
class Project:
    """A generated project on disk."""

    path: Path
    """Its folder."""
    package: str
    """Its package (`python -m PACKAGE`)."""


HIGH_VOLUME = 50_000
"""Requests a day of the batch tests' projects (a project made for few has no `batch`)."""


@pytest.fixture(scope="session")
def batch_store(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(store=tmp_path_factory.mktemp("batch-store") / "template-store")


def _project(root: Path, published: Published, pattern: str) -> Project:
    # High volume: a project gets `batch` and `worker` when it is made for many requests a day.
    answers = {**PATTERN_ANSWERS[pattern], "volume_per_day": HIGH_VOLUME}
    made = write_project(spec_for(answers), root, published=published)
    return Project(made.path, made.package)


@pytest.fixture
def single(tmp_path: Path, batch_store: Published) -> Project:
    """A fresh single-call project (its own default store)."""
    return _project(tmp_path / "single", batch_store, "single-call")


@pytest.fixture
def chain(tmp_path: Path, batch_store: Published) -> Project:
    """A fresh prompt-chaining project (three calls per request)."""
    return _project(tmp_path / "chain", batch_store, "prompt-chaining")


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server on loopback for the whole session."""
    server = LocalPostgres.find()
    if server is None:
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    server.start()
    yield server
    server.stop()


def env_mock() -> dict[str, str]:
    """An environment with no key and real model requests refused."""
    env = offline_env()
    env.pop("DBOS_SYSTEM_DATABASE_URL", None)
    return env


def env_stub(base_url: str) -> dict[str, str]:
    """An environment whose openai/ models reach the loopback stub."""
    return env_mock() | {
        "WFADVISE_ALLOW_MODEL_REQUESTS": "1",
        "OPENAI_API_KEY": "test",
        "OPENAI_API_BASE": base_url,
    }


def write_inputs(path: Path, count: int, prefix: str = "r") -> list[str]:
    """INPUT.jsonl with `count` requests; returns their ids."""
    ids = [f"{prefix}{i}" for i in range(count)]
    lines = [json.dumps({"id": i, "input": f"request {i}: say something"}) for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def batch_cmd(project: Project, *args: str) -> list[str]:
    """The command line of `python -m PKG batch ...`."""
    return [sys.executable, "-m", project.package, "batch", *args]


def run(project: Project, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a project command to its end."""
    return subprocess.run(
        [sys.executable, "-m", project.package, *args],
        cwd=project.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def start(project: Project, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a project command in the background (its output goes to a log in the project)."""
    with (project.path / f"{args[0]}-{time.monotonic_ns()}.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", project.package, *args],
            cwd=project.path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )


def logs(project: Project) -> str:
    """What the background commands printed."""
    return "\n".join(p.read_text() for p in sorted(project.path.glob("*.log")))


def wait_until(condition: Any, what: str, limit_s: float = 120.0) -> None:
    """Poll until `condition()` holds (a process needs time; no assertion on how much)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what() if callable(what) else what}")
        time.sleep(0.05)


def kill9(proc: subprocess.Popen[str]) -> None:
    """SIGKILL, as a crash or an OOM kill would."""
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def rows(out: Path) -> list[dict[str, Any]]:
    """OUT.jsonl's rows."""
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
