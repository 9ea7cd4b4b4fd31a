"""Every example project against a real OpenAI-compatible server: one line per example.

Run: OPENAI_API_BASE=http://127.0.0.1:8089/v1 python benchmarks/real_server.py
         [--model openai/gemma-3-270m] [--only routing] [--timeout 900]

For each examples/*.yaml: `wfadvise new --answers` renders the project (its vendored runtime is
this tree's), a price for the model is added to its settings.json (a local server has none, and
a dollar budget needs one), and `python -m PKG run --trace` runs it on one input. Requests go
through a counting proxy on loopback, which sums the `usage` the server itself reports.

Printed per example: exit code, calls, repairs (structured-output retries), fallbacks (refused
response formats, tools put in the prompt, route fallbacks), the server's tokens against the
trace's, and whether the server's own count passed a limit of the run (tokens or dollars).
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
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRICE = {"input_per_mtok": 0.1, "output_per_mtok": 0.4}
"""A nominal price for the local model, so max_usd budgets apply as they would on a provider."""
INPUT = (
    "Hello, my March invoice (order 48213, 2 boxes at 112.50 each) shows two charges of "
    "225.00 on 2024-03-17. I was billed twice. Please refund one and confirm by email."
)
INPUTS = {
    "planned-research": (
        "Which is cheaper to run for 3 years in Germany, a Tesla Model 3 or a VW ID.3? "
        "Look up both prices and running costs, compare them, then write a short brief."
    ),
    "map-over-sections": (
        "Sales: revenue rose 8% to 4.1M, led by the north region.\n\n"
        "Costs: shipping costs grew 12% after the carrier change in May.\n\n"
        "Outlook: hiring two engineers in Q3; the budget stays flat."
    ),
}
"""Inputs that fit an example better than INPUT (a market question to plan, a report of three
sections to map over)."""
CHAT_TURNS = (
    ["Hi, I am Ana. I want to learn what a derivative is.", "I know what a slope is."],
    ["So is the derivative of x squared 2x?"],
)
"""A chat's turns: the first process's, then the second process's (same session)."""
KEY = "sk-local-real-server-check"
"""The API key the runs see when none is set: a trace that contains it leaks it."""


@dataclass
class Usage:
    """Tokens the server reported, summed by the proxy."""

    prompt: int = 0
    completion: int = 0
    replies: int = 0
    without_usage: int = 0
    repairs: int = 0
    """Requests that were a structured-output repair."""
    refused_formats: int = 0
    """Requests refused (HTTP error) that carried a response_format."""
    tools_in_prompt: int = 0
    """Requests with the tools described in the prompt (the server ignores `tools`)."""


class CountingProxy:
    """Forwards POSTs to the real server and sums the usage in its replies."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.usage = Usage()
        self.lock = threading.Lock()
        self.log: Path | None = None
        """When set, each exchange (the messages sent, the reply) is appended here as JSONL."""
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def reset(self) -> Usage:
        with self.lock:
            done, self.usage = self.usage, Usage()
        return done

    def _count(self, body: bytes) -> None:
        try:
            usage = json.loads(body).get("usage")
        except ValueError:
            return
        with self.lock:
            self.usage.replies += 1
            if not usage:
                self.usage.without_usage += 1
                return
            self.usage.prompt += int(usage.get("prompt_tokens") or 0)
            self.usage.completion += int(usage.get("completion_tokens") or 0)

    def _note_request(self, data: bytes, status: int) -> None:
        try:
            sent = json.loads(data)
        except ValueError:
            return
        users = [m for m in sent.get("messages", []) if m.get("role") == "user"]
        last = str(users[-1].get("content", "")) if users else ""
        with self.lock:
            self.usage.repairs += last.startswith("Your reply did not match")
            self.usage.tools_in_prompt += "You can call these tools" in last
            self.usage.refused_formats += status >= 400 and "response_format" in sent

    def _log(self, data: bytes, status: int, body: bytes) -> None:
        if self.log is None:
            return
        try:
            sent, got = json.loads(data), json.loads(body)
        except ValueError:
            return
        choices = got.get("choices") or [{}]
        line = {
            "status": status,
            "response_format": sent.get("response_format"),
            "messages": sent.get("messages"),
            "reply": choices[0].get("message") if status == 200 else got,
        }
        with self.lock, self.log.open("a") as f:
            f.write(json.dumps(line) + "\n")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", "0")))
                url = proxy.upstream + self.path.removeprefix("/v1")
                req = urllib.request.Request(url, data=data, method="POST")
                req.add_header("content-type", "application/json")
                try:
                    with urllib.request.urlopen(req, timeout=900) as resp:
                        status, body = resp.status, resp.read()
                except urllib.error.HTTPError as err:
                    status, body = err.code, err.read()
                proxy._note_request(data, status)
                proxy._log(data, status, body)
                if status == 200:
                    proxy._count(body)
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out; the server's usage was still counted

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def render(
    example: Path,
    into: Path,
    model: str,
    call_timeout_s: float,
    step_tokens: int,
    limits: dict[str, float] | None = None,
) -> Path:
    """Render an example project; returns the package folder (price, timeout, reply caps set,
    and `limits` over the settings' own: a chat's max_usd caps its session as well)."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "wfadvise"),
            "new",
            "--answers",
            str(example),
            str(into),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    package = next(p.parent for p in into.glob("*/__main__.py"))
    settings_path = package / "settings.json"
    settings = json.loads(settings_path.read_text())
    settings.setdefault("prices", {})[model] = PRICE
    settings["timeout_s"] = call_timeout_s  # a slow CPU server needs more than a provider
    # A small model often writes until the cap: at 20-40 tokens/s a 1,200-token cap is a minute.
    caps = settings.get("max_tokens", {})
    settings["max_tokens"] = {step: min(cap, step_tokens) for step, cap in caps.items()}
    settings.setdefault("limits", {}).update(limits or {})
    session = (settings.get("conversation") or {}).get("session")
    if isinstance(session, dict) and limits and "max_usd" in limits:
        session["max_usd"] = limits["max_usd"]
    settings_path.write_text(json.dumps(settings, indent=2))
    return package


def summarize(trace: Path) -> dict[str, Any]:
    """Calls, repairs, fallbacks and tokens from a trace."""
    lines = [json.loads(x) for x in trace.read_text().splitlines()] if trace.exists() else []
    calls = [x for x in lines if "step" in x]
    summaries = [x for x in lines if x.get("summary")]
    by_step: dict[str, int] = {}
    for c in calls:
        if c.get("ok"):
            by_step[c["step"]] = by_step.get(c["step"], 0) + 1
    return {
        "calls": len(calls),
        "repairs": sum(n - 1 for n in by_step.values() if n > 1),
        "refused": sum(1 for c in calls if "response_format" in str(c.get("error", ""))),
        "tokens": sum(
            int(x.get("prompt_tokens", 0)) + int(x.get("completion_tokens", 0)) for x in summaries
        ),
        "usd": sum(float(x.get("cost_usd") or 0.0) for x in summaries),
        "overrun": any("overrun" in c for c in calls),
    }


@dataclass
class Ran:
    """What the project's command(s) did: exit codes, stderr, the session's `/state`."""

    codes: list[str]
    err: str
    out: str
    seconds: float


def invoke(
    package: Path,
    folder: Path,
    env: dict[str, str],
    model: str,
    trace: Path,
    timeout: float,
    text: str = INPUT,
    approve: list[str] | None = None,
) -> Ran:
    """`run` on INPUT, or for a chat project two processes sharing one session."""
    base = [sys.executable, "-m", package.name]
    flags = ["--model", model, "--trace", str(trace)]
    flags += [f for tool in approve or [] for f in ("--approve", tool)]
    started = time.monotonic()
    codes: list[str] = []
    errs: list[str] = []
    outs: list[str] = []

    def once(cmd: list[str], stdin: str | None) -> None:
        left = max(1.0, timeout - (time.monotonic() - started))
        try:
            done = subprocess.run(
                cmd,
                env=env,
                cwd=folder,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=left,
            )
            codes.append(str(done.returncode))
            errs.append(done.stderr)
            outs.append(done.stdout)
        except subprocess.TimeoutExpired:
            codes.append("timeout")

    if (package / "chat.py").exists():
        first, second = CHAT_TURNS
        once([*base, "chat", *flags], "\n".join(first) + "\n")
        sid = next(
            (w for w in " ".join(errs).replace("`", " ").split() if w.startswith("s-")), None
        )
        if codes == ["0"] and sid:
            once([*base, "chat", "--session", sid, *flags], "\n".join([*second, "/state"]) + "\n")
    else:
        once([*base, "run", *flags, text], None)
    return Ran(codes, "".join(errs), "".join(outs), time.monotonic() - started)


def approvals(settings: Any) -> set[str]:
    """Every name under an `approval` anywhere in settings.json (the tools `--approve` takes)."""
    found: set[str] = set()
    if isinstance(settings, dict):
        names = settings.get("approval")
        if isinstance(names, list):
            found |= {str(n) for n in names}
        for value in settings.values():
            found |= approvals(value)
    elif isinstance(settings, list):
        for value in settings:
            found |= approvals(value)
    return found


def run_example(
    example: Path,
    proxy: CountingProxy,
    model: str,
    timeout: float,
    work: Path,
    call_timeout_s: float = 240.0,
    step_tokens: int = 300,
    approve_all: bool = False,
    limits: dict[str, float] | None = None,
) -> str:
    folder = work / example.stem
    try:
        package = render(example, folder, model, call_timeout_s, step_tokens, limits)
    except subprocess.CalledProcessError as err:
        why = (err.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return f"{example.stem:24} render failed: {why[0][:120]}"
    settings = json.loads((package / "settings.json").read_text())
    limits = settings.get("limits", {})
    trace = folder / "trace.jsonl"
    env = {
        **os.environ,
        "OPENAI_API_BASE": proxy.base_url,
        "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY") or KEY,
        "PYTHONPATH": str(folder),
        "WFADVISE_ALLOW_MODEL_REQUESTS": "1",
    }
    proxy.reset()
    proxy.log = folder / "exchanges.jsonl"
    approve = sorted(approvals(settings)) if approve_all else []
    text = INPUTS.get(example.stem, INPUT)
    ran = invoke(package, folder, env, model, trace, timeout, text, approve)
    code, stderr = "/".join(ran.codes), ran.err
    (folder / "stderr.txt").write_text(stderr)
    (folder / "stdout.txt").write_text(ran.out)
    used = proxy.reset()
    seen = summarize(trace)
    # Route and plan fallbacks are notes on stderr ("...; using 'general'", "on_empty step").
    routed = stderr.count("; using '") + stderr.count("running the on_empty step")
    fallbacks = used.refused_formats + min(used.tools_in_prompt, 1) + routed
    server_tokens = used.prompt + used.completion
    server_usd = (
        used.prompt * PRICE["input_per_mtok"] + used.completion * PRICE["output_per_mtok"]
    ) / 1e6
    # A chat's limits are per turn; the session's, when set, bound the whole conversation.
    session = (settings.get("conversation") or {}).get("session") or {}
    bounds = {**{k: v for k, v in limits.items() if not session}, **session}
    over = []
    if bounds.get("max_tokens") is not None and server_tokens > bounds["max_tokens"]:
        over.append(f"max_tokens {server_tokens}>{bounds['max_tokens']}")
    if bounds.get("max_usd") is not None and server_usd > bounds["max_usd"] * (1 + 1e-9):
        over.append(f"max_usd {server_usd:.6f}>{bounds['max_usd']}")
    if bounds.get("max_calls") is not None and used.replies > bounds["max_calls"]:
        over.append(f"max_calls {used.replies}>{bounds['max_calls']}")
    if seen["tokens"] < server_tokens:
        over.append(f"trace under server {seen['tokens']}<{server_tokens}")
    key = env["OPENAI_API_KEY"]
    leaked = trace.exists() and key in trace.read_text()
    bad = [
        w
        for w, hit in (("TRACEBACK", "Traceback (most recent" in stderr), ("KEY IN TRACE", leaked))
        if hit
    ]
    failed = [c for c in ran.codes if c not in ("0", "timeout")]
    last = stderr.strip().splitlines()[-1][:90] if failed and stderr.strip() else ""
    return (
        f"{example.stem:20} exit {code:>5}  calls {seen['calls']:3}  repairs {used.repairs:2}  "
        f"fallbacks {fallbacks:2}  server tokens {server_tokens:6} (no usage {used.without_usage})"
        f"  trace tokens {seen['tokens']:6}  wall {ran.seconds:6.0f}s"
        f"  limit exceeded: {', '.join(over) or 'no'}"
        + (f"  {' '.join(bad)}" if bad else "")
        + (f"  [{last}]" if last else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="openai/gemma-3-270m")
    parser.add_argument("--only", action="append", default=[], help="Example stem (repeatable).")
    parser.add_argument("--keep", type=Path, help="Render into this folder and keep the traces.")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds per example.")
    parser.add_argument(
        "--call-timeout", type=float, default=240.0, help="Seconds per model call (settings)."
    )
    parser.add_argument(
        "--step-tokens", type=int, default=300, help="Cap on every step's reply (settings)."
    )
    parser.add_argument(
        "--approve-all",
        action="store_true",
        help="Pass --approve for every tool under approval (the approved path, not the refusal).",
    )
    parser.add_argument(
        "--limit-tokens", type=int, help="Set limits.max_tokens (a chat's: per turn)."
    )
    parser.add_argument(
        "--limit-usd", type=float, help="Set limits.max_usd (a chat's session max_usd too)."
    )
    args = parser.parse_args()
    limits: dict[str, float] = {}
    if args.limit_tokens is not None:
        limits["max_tokens"] = args.limit_tokens
    if args.limit_usd is not None:
        limits["max_usd"] = args.limit_usd
    upstream = os.environ.get("OPENAI_API_BASE")
    if not upstream:
        sys.exit("set OPENAI_API_BASE to the server, e.g. http://127.0.0.1:8089/v1")
    proxy = CountingProxy(upstream)
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    if args.only:
        examples = [e for e in examples if e.stem in args.only]
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        for example in examples:
            line = run_example(
                example,
                proxy,
                args.model,
                args.timeout,
                Path(tmp),
                args.call_timeout,
                args.step_tokens,
                args.approve_all,
                limits,
            )
            print(line, flush=True)


if __name__ == "__main__":
    main()
