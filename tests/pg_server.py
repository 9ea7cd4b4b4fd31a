"""A throwaway PostgreSQL on loopback for the batch tests and benchmarks (Debian's binaries).

`LocalPostgres.find()` returns None when no `initdb` is installed (the caller skips, saying
so); `.ci/run` installs Debian's `postgresql` package when it is missing. initdb refuses to
run as root, so as root the cluster runs as the `postgres` user, in a temporary folder it
owns, on a free port, with trust authentication on 127.0.0.1 only.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """One PostgreSQL server in a temporary folder; `url(name)` gives a fresh database URL."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="wfadvise-pg-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def find(cls) -> LocalPostgres | None:
        """A server from the newest installed PostgreSQL, or None when none is installed."""
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        return cls(Path(found[-1]).parent) if found else None

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """initdb and start the server; returns when it accepts connections."""
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        options += " -c max_connections=200"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, name: str | None = None) -> str:
        """The URL of a database on this server (DBOS creates it on first use)."""
        db = name or f"t_{uuid.uuid4().hex[:12]}"
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"
