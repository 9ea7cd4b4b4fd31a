"""Throughput against a provider limited to R requests per window: achieved ÷ R at steady state.

Run: python benchmarks/bench_batch_throughput.py [--rpm 40] [--window 10] [--windows 8]

A loopback OpenAI-compatible server admits at most R requests in any sliding window of W
seconds and answers 429 with Retry-After beyond that (as providers do). A single-call project
runs `batch --rpm R --rate-window W` against it with enough requests for --windows windows.
Prints the requests admitted per window at steady state (the first window, a burst, left out)
as a ratio of R, and how many 429s the server had to send (the limiter's job is none).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.answers import parse_answers
from advisor.commands.new import spec_from, write_project
from advisor.diagnose import diagnose


class LimitedProvider:
    """Admits `limit` requests per sliding `window` seconds; 429 + Retry-After beyond."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.admitted: deque[float] = deque()
        self.log: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def admit(self) -> float | None:
        """None when admitted, else seconds to wait."""
        with self.lock:
            now = time.monotonic()
            while self.admitted and self.admitted[0] <= now - self.window:
                self.admitted.popleft()
            if len(self.admitted) >= self.limit:
                self.refused += 1
                return self.admitted[0] + self.window - now
            self.admitted.append(now)
            self.log.append(now)
            return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                wait = provider.admit()
                if wait is None:
                    status, body = 200, _completion()
                    headers: dict[str, str] = {}
                else:
                    status, body = 429, {"error": {"message": "rate limited", "code": "429"}}
                    headers = {"retry-after": f"{max(wait, 0.01):.2f}"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _completion() -> dict[str, Any]:
    message = {"role": "assistant", "content": "An answer."}
    return {
        "id": "x",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpm", type=int, default=40, help="R: requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="W: window in seconds")
    parser.add_argument("--windows", type=int, default=8, help="how many windows of work")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    provider = LimitedProvider(args.rpm, args.window)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = spec_from(diagnose(parse_answers({"name": "paced", "steps": ["answer"]})))
        made = write_project(spec, root / "project")
        count = args.rpm * args.windows
        with (root / "in.jsonl").open("w") as f:
            for i in range(count):
                f.write(json.dumps({"id": str(i), "input": f"question {i}"}) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env |= {"OPENAI_API_KEY": "test", "OPENAI_API_BASE": provider.url}
        env |= {"WFADVISE_ALLOW_MODEL_REQUESTS": "1"}
        cmd = [sys.executable, "-m", made.package, "batch", str(root / "in.jsonl")]
        cmd += ["--out", str(root / "out.jsonl"), "--model", "openai/gpt-4o-mini"]
        cmd += ["--rpm", str(args.rpm), "--rate-window", str(args.window)]
        cmd += ["--concurrency", str(args.concurrency)]
        done = subprocess.run(cmd, cwd=made.path, env=env, capture_output=True, text=True)
    log = provider.log
    t0, windows = log[0], int((log[-1] - log[0]) // args.window)
    steady = [t for t in log if t0 + args.window <= t < t0 + windows * args.window]
    per_window = len(steady) / max(windows - 1, 1)
    print(
        done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    )
    print(
        f"R = {args.rpm} per {args.window:g} s; {len(log)} admitted, "
        f"{provider.refused} refused (429)"
    )
    print(
        f"steady state: {per_window:.1f} requests per window over {windows - 1} windows; "
        f"achieved / R = {per_window / args.rpm:.3f}"
    )


if __name__ == "__main__":
    main()
