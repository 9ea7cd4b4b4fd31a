"""A loopback OpenAI-compatible HTTP server for tests that go through litellm's real HTTP path.

Fixture API (registered in tests/conftest.py):

    def test_something(stub: StubServer) -> None:
        stub.reply("hello", prompt_tokens=12, completion_tokens=3)   # a normal completion
        stub.error(429, headers={"Retry-After": "1"})                  # any HTTP error
        stub.reply('{"label": "x"}')                                   # structured output text
        stub.tool_calls([("search", {"q": "cats"})])                   # an assistant tool-call turn
        stub.slow(5.0)                                                 # a reply that arrives late
        run = Run(models=STUB_MODEL, api_base=stub.base_url, api_key="test")
        ...
        stub.requests      # list[Received]: JSON bodies received, with arrival times
        stub.pending       # scripted responses not yet served

- The server starts once per test session on 127.0.0.1 (an ephemeral port) in a thread.
- `stub` clears the queue and the received list for every test, and re-enables real model
  requests (WFADVISE_ALLOW_MODEL_REQUESTS=1) for that test only: the stub is the one
  "real" endpoint the suite may reach.
- Responses are served in the order queued, one per POST to /v1/chat/completions; with the
  queue empty the server answers 418 (never retried), so a missing script fails loudly.
- Use model "openai/stub" (STUB_MODEL) with api_base=stub.base_url and api_key="test".

Behaviours of real servers (set per test; `stub` resets them):

    stub.no_usage = True                 # replies carry no `usage` (every budget must still hold)
    stub.tokenizer = lambda text: ...    # usage counted by the server from what it received
    stub.refuse_formats = {"json_schema"}  # HTTP 500 naming the response format (llama.cpp)
    stub.drop_system = True              # `seen(i)` is what a model without system role reads
    stub.ignore_tools = True             # `tools` ignored: tool-call scripts become plain text
    stub.echo_key(400)                   # an HTTP error whose body quotes the caller's key
    stub.default = completion_body(...)  # served when the queue is empty (benchmarks)
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runtime.model_calls.structured import forget_traits

STUB_MODEL = "openai/stub"


def times_1_6(text: str) -> int:
    """A tokenizer counting 1.6 tokens per four characters' worth (a dense one)."""
    return math.ceil(len(text) / 4 * 1.6)


def digits_apart(text: str) -> int:
    """A tokenizer that gives every digit its own token (as Gemma's and Llama's do)."""
    digits = sum(c.isdigit() for c in text)
    return digits + math.ceil((len(text) - digits) / 3)


@dataclass
class Scripted:
    """One queued response."""

    status: int = 200
    """HTTP status."""
    body: dict[str, Any] = field(default_factory=dict)
    """JSON body."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers."""
    delay_s: float = 0.0
    """Wait this long before answering (timeouts)."""


@dataclass
class Received:
    """One request the server got."""

    body: dict[str, Any]
    """The JSON body."""
    at: float
    """time.monotonic() on arrival."""
    headers: dict[str, str]
    """Request headers, lower-cased keys."""
    peer: int = 0
    """The client's port: requests on one kept-alive connection share it."""

    def seen(self, drop_system: bool = False) -> str:
        """The message text a model reads (without system messages when its format drops them)."""
        msgs = self.body.get("messages", [])
        return "\n".join(
            str(m.get("content") or "")
            for m in msgs
            if not (drop_system and m.get("role") == "system")
        )


def completion_body(
    content: str | None,
    *,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    tool_calls: list[dict[str, Any]] | None = None,
    model: str = "stub",
) -> dict[str, Any]:
    """An OpenAI chat.completion JSON body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class StubServer:
    """The server plus its response queue; see the module docstring."""

    def __init__(self) -> None:
        self._queue: deque[Scripted] = deque()
        self.requests: list[Received] = []
        """Requests received since the last reset."""
        self.served: list[tuple[int, int]] = []
        """(prompt, completion) tokens the server counted per reply, sent or hidden by
        `no_usage`: what a provider bills."""
        self._lock = threading.Lock()
        self.no_usage = False
        """Omit `usage` from every reply."""
        self.tokenizer: Callable[[str], int] | None = None
        """Count usage from the request and reply text with this (else the scripted counts)."""
        self.refuse_formats: set[str] = set()
        """response_format types answered with HTTP 500 naming the format."""
        self.drop_system = False
        """The chat format drops system messages (see Received.seen)."""
        self.ignore_tools = False
        """`tools` are ignored: scripted tool calls come back as their JSON text."""
        self.default: dict[str, Any] | None = None
        """A completion body served when the queue is empty."""
        self._echo_status: int | None = None
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The api_base to give litellm, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def pending(self) -> int:
        """Scripted responses not yet served."""
        with self._lock:
            return len(self._queue)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset(self) -> None:
        """Forget queued responses and received requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
        self.served = []
        forget_traits()  # what an endpoint refused is remembered per process, not per test
        self.no_usage = self.drop_system = self.ignore_tools = False
        self.tokenizer, self.default, self._echo_status = None, None, None
        self.refuse_formats = set()

    def push(self, item: Scripted) -> None:
        """Queue any response."""
        with self._lock:
            self._queue.append(item)

    def reply(
        self,
        content: str,
        *,
        prompt_tokens: int = 10,
        completion_tokens: int = 5,
        delay_s: float = 0.0,
    ) -> None:
        """Queue a normal completion with usage."""
        body = completion_body(
            content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
        self.push(Scripted(body=body, delay_s=delay_s))

    def tool_calls(
        self,
        calls: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        prompt_tokens: int = 10,
        completion_tokens: int = 5,
    ) -> None:
        """Queue an assistant turn that calls tools: [(name, arguments), ...]."""
        parts = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(dict(args))},
            }
            for i, (name, args) in enumerate(calls)
        ]
        body = completion_body(
            None, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, tool_calls=parts
        )
        self.push(Scripted(body=body))

    def error(
        self, status: int, message: str = "stub error", headers: Mapping[str, str] | None = None
    ) -> None:
        """Queue an HTTP error with an OpenAI-style error body."""
        body = {"error": {"message": message, "type": "stub_error", "code": str(status)}}
        self.push(Scripted(status=status, body=body, headers=dict(headers or {})))

    @property
    def served_tokens(self) -> int:
        """Prompt plus completion tokens the server counted, over every reply."""
        return sum(p + c for p, c in self.served)

    def echo_key(self, status: int = 400) -> None:
        """Queue an HTTP error whose message quotes the API key the caller sent."""
        self.push(Scripted(status=status, body={"echo_key": True}))

    def slow(self, delay_s: float, content: str = "too late") -> None:
        """Queue a completion that arrives after delay_s (to trip a timeout)."""
        self.reply(content, delay_s=delay_s)

    def _take(self, body: dict[str, Any], headers: dict[str, str]) -> Scripted:
        with self._lock:
            peer = int(headers.pop("x-stub-peer", "0"))
            self.requests.append(Received(body, time.monotonic(), headers, peer))
            kind = (body.get("response_format") or {}).get("type")
            if kind in self.refuse_formats:
                message = f"response_format type {kind!r} is not supported"
                return Scripted(status=500, body={"error": {"message": message, "code": 500}})
            if self._queue:
                item = self._queue.popleft()
            elif self.default is not None:
                item = Scripted(body=json.loads(json.dumps(self.default)))
            else:
                message = "stub: no scripted response left"
                return Scripted(status=418, body={"error": {"message": message}})
        return self._shape(item, body, headers)

    def _shape(self, item: Scripted, body: dict[str, Any], headers: dict[str, str]) -> Scripted:
        """The scripted reply as this server's behaviours change it."""
        if item.body.get("echo_key"):
            key = headers.get("authorization", "").removeprefix("Bearer ")
            message = f"Incorrect API key provided: {key}. Find your key at the console."
            return Scripted(status=item.status, body={"error": {"message": message}})
        choices = item.body.get("choices")
        if not choices:
            return item
        message = choices[0]["message"]
        if self.ignore_tools and message.get("tool_calls"):
            call = message.pop("tool_calls")[0]["function"]
            args = json.loads(call["arguments"])
            message["content"] = json.dumps({"tool": call["name"], "arguments": args})
        if self.tokenizer is not None:
            seen = Received(body, 0.0, headers).seen(self.drop_system)
            prompt = self.tokenizer(seen) + 4 * len(body.get("messages", []))
            done = self.tokenizer(str(message.get("content") or ""))
            done = min(done, int(body.get("max_tokens") or done))
            item.body["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": done,
                "total_tokens": prompt + done,
            }
        usage = item.body.get("usage") or {}
        with self._lock:
            self.served.append(
                (int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))
            )
        if self.no_usage:
            item.body.pop("usage", None)
        return item


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of connections (64 calls at once)
    # overflows it, and each dropped SYN is retried by the client a whole second later.
    request_queue_size = 128


def _handler_for(server: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm
            # and the client's delayed ACK add ~40 ms to every reply on loopback.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers["x-stub-peer"] = str(self.client_address[1])
            item = server._take(json.loads(raw or b"{}"), headers)
            if item.delay_s:
                time.sleep(item.delay_s)
            data = json.dumps(item.body).encode()
            try:
                self.send_response(item.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in item.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture(scope="session")
def stub_server_session() -> Iterator[StubServer]:
    """One stub server for the whole session."""
    server = StubServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stub(stub_server_session: StubServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    """The stub with an empty queue, and real model requests allowed for this test."""
    stub_server_session.reset()
    monkeypatch.setenv("WFADVISE_ALLOW_MODEL_REQUESTS", "1")
    yield stub_server_session
    stub_server_session.reset()
