"""`wfadvise new --check`: install the generated project in a throwaway venv and run its tests,
saying which stage is running and how long each took (the whole check takes minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import Failure

Runner = Callable[[list[str], Path], "subprocess.CompletedProcess[str]"]
Echo = Callable[[str], None]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def check_project(
    project: Path,
    *,
    echo: Echo,
    run: Runner = _run,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Create a venv, install the project with its dev extras, run its tests; report each stage."""
    with tempfile.TemporaryDirectory(prefix="wfadvise-check-") as tmp:
        venv = Path(tmp) / "venv"
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        stages = [
            ("creating a venv", [sys.executable, "-m", "venv", str(venv)]),
            (
                "installing the project and its test tools (the longest stage)",
                [str(python), "-m", "pip", "install", "--quiet", f"{project}[dev]"],
            ),
            ("running its tests", [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
        ]
        started = clock()
        proc: subprocess.CompletedProcess[str] | None = None
        for number, (what, cmd) in enumerate(stages, 1):
            echo(f"--check {number}/{len(stages)}: {what}...")
            began = clock()
            proc = run(cmd, project)
            if proc.returncode != 0:
                tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
                raise Failure(f"--check failed while {what.split(' (')[0]}:\n" + "\n".join(tail))
            echo(f"  done in {clock() - began:.1f}s")
        assert proc is not None
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "passed"
    return f"--check passed in {clock() - started:.0f}s: {last}"
