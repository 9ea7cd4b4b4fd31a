"""The offline simulated model: deterministic, schema-valid, realistically sized and priced."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .completion import CallRequest, RawCompletion, ToolCall, Usage
from .errors import SimulatedHTTPError
from .fake_values import fake_value, sentence
from .tokens import count_messages, count_text


@dataclass(frozen=True)
class Reply:
    """A scripted successful reply: text, a structured output, or tool calls."""

    text: str | None = None
    """Reply text (used as-is, also when a response model is asked for: test invalid output)."""
    output: BaseModel | Mapping[str, Any] | None = None
    """A structured output, sent as its JSON."""
    tool_calls: Sequence[tuple[str, Mapping[str, Any]]] = ()
    """Tool calls as (name, arguments) pairs."""
    completion_tokens: int | None = None
    """Report this many completion tokens instead of counting the reply."""


@dataclass(frozen=True)
class Fail:
    """A scripted HTTP failure, e.g. Fail(429, retry_after=2) or Fail(500)."""

    status: int = 500
    """HTTP status code."""
    retry_after: str | None = None
    """Retry-After header value (seconds or an HTTP date)."""
    message: str = "simulated failure"
    """Error text."""


@dataclass(frozen=True)
class Timeout:
    """A scripted attempt that times out."""


ScriptItem = Reply | Fail | Timeout | str | BaseException
Script = Mapping[str, Sequence[ScriptItem]]


@dataclass
class SimulatedModel:
    """Offline stand-in for every model; seeded per step path and call number."""

    seed: int = 0
    """Seed; the same seed and inputs give the same outputs."""
    latency_s: float = 0.0
    """Fixed latency per call, in seconds."""
    per_token_s: float = 0.0
    """Extra latency per completion token, in seconds."""
    text_tokens: int = 80
    """Typical length of a text reply, in tokens (capped by the call's max_tokens)."""
    tool_turns: int = 2
    """Tool-calling turns before answering in text, when tools are given and nothing is scripted."""
    consistency: float = 0.8
    """Share of generated replies seeded by the step and its prompt alone, so asking the same
    thing again mostly gives the same answer; the rest vary per call. A model whose errors
    are random, as voting assumes; 0 makes every call independent, 1 fully repeatable."""
    script: Script = field(default_factory=dict)
    """Per step (name or full path): items played in order before generated replies."""
    _queues: dict[str, deque[ScriptItem]] = field(init=False, repr=False)
    _counts: dict[str, int] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._queues = {k: deque(v) for k, v in self.script.items()}
        self._counts = {}
        self._lock = threading.Lock()

    def _next(self, path: str) -> tuple[int, ScriptItem | None]:
        step = path.rsplit(">", 1)[-1]
        with self._lock:
            n = self._counts.get(path, 0)
            self._counts[path] = n + 1
            for key in (path, step):
                queue = self._queues.get(key)
                if queue:
                    return n, queue.popleft()
        return n, None

    async def complete(self, req: CallRequest) -> RawCompletion:
        """One attempt: play the script, or generate a reply."""
        n, item = self._next(req.step)
        seed_text = f"{self.seed}:{req.step}:{n}"
        rng = _rng(seed_text)
        if item is None and rng.random() < self.consistency:
            rng = _rng(f"{self.seed}:{req.step.rsplit('>', 1)[-1]}:{_digest(req.messages)}")
        else:
            # Varies per call, and with the prompt: otherwise a step's first call in every run
            # gave every input the same reply (a cascade's check in --mock rated all alike).
            rng = _rng(f"{seed_text}:{_digest(req.messages)}")
        reply = self._play(item) if item is not None else self._generate(req, rng, seed_text)
        done = self._finish(req, reply, seed_text)
        delay = self.latency_s + self.per_token_s * done.usage.completion_tokens
        if delay > 0:
            await asyncio.sleep(delay)
        return done

    def _play(self, item: ScriptItem) -> Reply:
        if isinstance(item, str):
            return Reply(text=item)
        if isinstance(item, Reply):
            return item
        if isinstance(item, Fail):
            headers = {} if item.retry_after is None else {"retry-after": item.retry_after}
            raise SimulatedHTTPError(item.status, item.message, headers)
        if isinstance(item, Timeout):
            raise TimeoutError("simulated timeout")
        raise item

    def _generate(self, req: CallRequest, rng: random.Random, seed_text: str) -> Reply:
        if req.tools and _tool_turns_taken(req.messages) < self.tool_turns:
            tool = req.tools[_tool_turns_taken(req.messages) % len(req.tools)]
            fn = tool.get("function", tool)
            args = fake_value(fn.get("parameters", {"type": "object"}), rng)
            return Reply(tool_calls=[(str(fn["name"]), args)])
        if req.response_schema is not None:
            return Reply(output=_fake_output(req, rng))
        # The reply names its step (a routed step is named for its route), so an offline run shows
        # which way the input went; the rest is filler of a typical length.
        label = f"[{req.step.rsplit('>', 1)[-1]}] "
        target = min(self.text_tokens, req.max_tokens) - count_text(label)
        return Reply(text=label + self._text(rng, max(target, 1)))

    def _text(self, rng: random.Random, target: int) -> str:
        parts: list[str] = []
        tokens = 0
        while tokens < target:
            part = sentence(rng)
            parts.append(part)
            tokens += count_text(" " + part)
        return " ".join(parts)

    def _finish(self, req: CallRequest, reply: Reply, seed_text: str) -> RawCompletion:
        calls = [
            ToolCall(
                id="call_" + hashlib.sha256(f"{seed_text}:{i}".encode()).hexdigest()[:16],
                name=name,
                arguments_json=json.dumps(args),
            )
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        text = reply.text or ""
        if reply.text is None and reply.output is not None:
            out = reply.output
            text = out.model_dump_json() if isinstance(out, BaseModel) else json.dumps(out)
        produced = count_text(text) + sum(count_text(c.name + c.arguments_json) for c in calls)
        completion = reply.completion_tokens if reply.completion_tokens is not None else produced
        usage = Usage(
            prompt_tokens=count_messages(req.messages, req.tools),
            completion_tokens=min(completion, req.max_tokens),
        )
        return RawCompletion(text=text, usage=usage, tool_calls=calls)


def _rng(seed_text: str) -> random.Random:
    return random.Random(hashlib.sha256(seed_text.encode()).hexdigest())


def _digest(messages: Sequence[Mapping[str, Any]]) -> str:
    """A stable fingerprint of a conversation (what a model's answer depends on)."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()


def _tool_turns_taken(messages: Sequence[Mapping[str, Any]]) -> int:
    """Assistant tool-call turns since the last user message."""
    turns = 0
    for msg in reversed(messages):
        if msg.get("role") == "user":
            break
        if msg.get("role") == "assistant" and msg.get("tool_calls"):
            turns += 1
    return turns


def _fake_output(req: CallRequest, rng: random.Random) -> Any:
    """A fake object for the schema; retried a few times when a constraint (a regex) rejects it."""
    assert req.response_schema is not None
    value = fake_value(req.response_schema, rng)
    for _ in range(8):
        if req.response_model is None:
            break
        try:
            req.response_model.model_validate(value)
            break
        except ValueError:
            value = fake_value(req.response_schema, rng)
    return value
