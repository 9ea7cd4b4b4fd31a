"""What real OpenAI-compatible servers do, played by the loopback stub: refused response formats,
dropped system messages, ignored tools, keys echoed in errors, dead ports, empty replies."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel
from stub_server import STUB_MODEL, Scripted, StubServer

from runtime import ModelCallError, RetryPolicy, Run
from runtime.combinators import agent_loop, execute_sync, llm, route
from runtime.model_calls.openai_backend import close_clients

MSG = [{"role": "user", "content": "Classify: my invoice is wrong"}]


class Ticket(BaseModel):
    label: Literal["billing", "technical"]
    urgency: int


def stub_run(stub: StubServer, model: str = STUB_MODEL, **kw: object) -> Run:
    return Run(models=model, api_base=stub.base_url, api_key="test", **kw)  # type: ignore[arg-type]


def formats(stub: StubServer) -> list[str | None]:
    return [(r.body.get("response_format") or {}).get("type") for r in stub.requests]


# --- item 1: structured output on any server ------------------------------------------------


@pytest.mark.parametrize("model", [STUB_MODEL, "openai/gpt-4o-mini"])
def test_a_refused_json_schema_falls_back_once_and_is_remembered(
    stub: StubServer, model: str
) -> None:
    # llama.cpp answers json_schema with HTTP 500; before, that was retried three times and
    # failed, also for a model name litellm knows sent to a compatible api_base.
    stub.refuse_formats = {"json_schema"}
    stub.reply('{"label": "billing", "urgency": 2}')
    stub.reply('{"label": "technical", "urgency": 1}')
    run = stub_run(stub, model)
    first = run.call_sync("classify", MSG, response_model=Ticket, max_tokens=50)
    second = run.call_sync("classify", MSG, response_model=Ticket, max_tokens=50)
    assert (first.output.label, second.output.label) == ("billing", "technical")
    assert formats(stub) == ["json_schema", "json_object", "json_object"]
    sent = stub.requests[1].body
    assert sent["response_format"]["schema"]["required"] == ["label", "urgency"]  # a grammar
    assert '"urgency"' in sent["messages"][-1]["content"]  # the guidance is in the user turn


def test_a_server_refusing_every_format_is_asked_with_the_schema_in_the_prompt(
    stub: StubServer,
) -> None:
    stub.refuse_formats = {"json_schema", "json_object"}
    stub.reply('Sure! {"label": "billing", "urgency": 3}')
    res = stub_run(stub).call_sync("classify", MSG, response_model=Ticket, max_tokens=50)
    assert res.output == Ticket(label="billing", urgency=3)
    assert formats(stub) == ["json_schema", "json_object", None]
    assert "urgency" in stub.requests[-1].body["messages"][-1]["content"]


def test_the_system_prompt_reaches_a_model_whose_chat_format_drops_system_messages(
    stub: StubServer,
) -> None:
    stub.drop_system = True
    stub.reply("Bonjour")
    step = llm("greet", "Say hello to {input}", system="Always answer in French.")
    execute_sync(step, stub_run(stub), "Ana")
    assert "Always answer in French." in stub.requests[0].seen(drop_system=True)


def test_a_repair_restates_the_schema(stub: StubServer) -> None:
    stub.reply('{"label": "billing"}')
    stub.reply('{"label": "billing", "urgency": 1}')
    step = llm("classify", "Classify: {input}", response_model=Ticket)
    out = execute_sync(step, stub_run(stub), "invoice")
    assert out.output == Ticket(label="billing", urgency=1)
    users = [m for m in stub.requests[-1].body["messages"] if m["role"] == "user"]
    repair = users[-1]["content"]
    assert "urgency" in repair and '"enum"' in repair  # the whole schema, not only the errors


def test_labels_match_whatever_their_case_and_spacing(stub: StubServer) -> None:
    stub.reply('{"label": "Billing ", "urgency": 2}')
    stub.reply("refund sent")
    flow = route(
        llm("classify", "Classify: {input}", response_model=Ticket),
        {"billing": llm("billing", "{input}"), "technical": llm("technical", "{input}")},
        fallback="technical",
    )
    out = execute_sync(flow, stub_run(stub), "invoice")
    assert out.output == "refund sent" and out.notes == []
    assert len(stub.requests) == 2  # no repair spent on "Billing "


def weather(city: str) -> str:
    """Current weather in a city."""
    return f"sunny in {city}"


def test_tools_are_described_in_the_prompt_when_a_server_ignores_them(stub: StubServer) -> None:
    stub.ignore_tools = True
    stub.reply("Let me look that up.")  # text, no tool call, although tools were given
    stub.tool_calls([("weather", {"city": "Paris"})])  # comes back as JSON text
    stub.reply("It is sunny in Paris.")
    agent = agent_loop("assistant", [weather], max_steps=4)
    out = execute_sync(agent, stub_run(stub), "Weather in Paris?")
    assert out.output.output == "It is sunny in Paris." and out.output.tool_calls == 1
    second = stub.requests[1].body
    assert "tools" not in second and '"weather"' in second["messages"][-1]["content"]
    assert "sunny in Paris" in stub.requests[2].seen()  # the tool's result went back


# --- item 4: secrets by value ----------------------------------------------------------------


@pytest.mark.parametrize(
    "var", ["GROQ_API_KEY", "MISTRAL_API_KEY", "COHERE_API_KEY", "AZURE_API_KEY", "HF_TOKEN"]
)
def test_a_key_echoed_in_an_error_never_reaches_the_trace_or_the_message(
    stub: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    secret = "q7Rk2xWm9PzL4vNc8TbY"  # no known key shape: only its value can find it
    monkeypatch.setenv(var, secret)
    stub.echo_key(400)
    trace = tmp_path / "t.jsonl"
    run = Run(models=STUB_MODEL, api_base=stub.base_url, api_key=secret, trace=trace)
    with pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=20)
    run.close()
    assert secret in json.dumps(stub.requests[0].headers)  # it was sent, and echoed back
    assert secret not in str(info.value) and "HTTP 400" in str(info.value)
    assert secret not in trace.read_text() and "[redacted]" in trace.read_text()


def test_an_api_key_given_in_code_is_scrubbed_too(stub: StubServer, tmp_path: Path) -> None:
    secret = "local-server-pass-5521"
    stub.echo_key(400)
    run = Run(models=STUB_MODEL, api_base=stub.base_url, api_key=secret, trace=tmp_path / "t")
    with run, pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=20)
    assert secret not in str(info.value) and secret not in (tmp_path / "t").read_text()


# --- item 6 (errors say what happened) -------------------------------------------------------


def test_a_timeout_says_timed_out_after_n_seconds(stub: StubServer) -> None:
    stub.slow(2.0)
    run = stub_run(stub, retry=RetryPolicy(max_attempts=1), timeout_s=0.3)
    with pytest.raises(ModelCallError, match=r"timed out after 0\.3 s"):
        run.call_sync("draft", MSG, max_tokens=20)


def test_a_dead_port_says_could_not_connect_to_host_and_port(stub: StubServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = Run(
        models=STUB_MODEL,
        api_base=f"http://127.0.0.1:{port}/v1",
        api_key="test",
        retry=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(ModelCallError, match=f"could not connect to 127.0.0.1:{port}") as info:
        run.call_sync("draft", MSG, max_tokens=20)
    assert "HTTP" not in str(info.value)


def test_the_providers_status_and_message_are_quoted(stub: StubServer) -> None:
    stub.error(422, "max_tokens is too large for this model")
    with pytest.raises(ModelCallError) as info:
        stub_run(stub).call_sync("draft", MSG, max_tokens=20)
    assert "HTTP 422: max_tokens is too large for this model" in str(info.value)


def test_a_servers_own_stack_trace_is_not_quoted(stub: StubServer, tmp_path: Path) -> None:
    # llama.cpp's server answers some bad requests with a Python traceback as the message.
    stack = (
        "Traceback (most recent call last):\n"
        '  File "/root/.cache/llm/lib/python3.11/site-packages/llama_cpp/server/app.py", '
        "line 376, in create_chat_completion\n"
        "    raise ValueError(msg)\n"
        "ValueError: unsupported response_format"
    )
    stub.error(400, stack)
    trace = tmp_path / "t.jsonl"
    run = stub_run(stub, retry=RetryPolicy(max_attempts=1), trace=trace)
    with pytest.raises(ModelCallError) as info:
        run.call_sync("draft", MSG, max_tokens=20)
    run.close()
    said = str(info.value)
    assert "HTTP 400: ValueError: unsupported response_format" in said
    assert "app.py" not in said and "Traceback" not in said
    assert "app.py" not in trace.read_text(encoding="utf-8")
    stub.error(500, 'boom File "/srv/app.py", line 9, in f while loading')
    with pytest.raises(ModelCallError) as frame:
        stub_run(stub, retry=RetryPolicy(max_attempts=1)).call_sync("draft", MSG, max_tokens=20)
    assert "HTTP 500: boom while loading" in str(frame.value)


def test_a_reply_without_choices_says_so(stub: StubServer) -> None:
    stub.push(Scripted(body={"id": "x", "object": "chat.completion", "choices": []}))
    run = stub_run(stub, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ModelCallError, match="no choices in the reply"):
        run.call_sync("draft", MSG, max_tokens=20)


# --- issue 13: the openai SDK directly --------------------------------------------------------


def test_openai_compatible_calls_go_through_the_openai_sdk_without_litellm(
    stub: StubServer,
) -> None:
    stub.reply("hi")
    code = (
        "import sys; from runtime import Run\n"
        f"r = Run(models='openai/stub', api_base='{stub.base_url}', api_key='test')\n"
        "print(r.call_sync('d', [{'role': 'user', 'content': 'x'}], max_tokens=5).output)\n"
        "print('litellm' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["hi", "False"]
    assert "OpenAI/Python" in stub.requests[0].headers["user-agent"]


def test_no_key_for_openai_is_an_error_naming_the_way_out(stub: StubServer) -> None:
    run = Run(models="openai/gpt-4o-mini")  # no api_base, no OPENAI_API_KEY (conftest strips)
    with pytest.raises(ModelCallError, match="set OPENAI_API_KEY"):
        run.call_sync("draft", MSG, max_tokens=5)
    assert stub.requests == []


def test_calls_in_one_run_reuse_one_connection(stub: StubServer) -> None:
    for _ in range(3):
        stub.reply("ok")
    run = stub_run(stub)

    async def three() -> None:
        for _ in range(3):
            await run.call("draft", MSG, max_tokens=5)
        await close_clients()

    asyncio.run(three())
    assert len({r.peer for r in stub.requests}) == 1
