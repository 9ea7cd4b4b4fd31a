"""Estimate accuracy per example project: error before/after calibration, worst never exceeded.

Run: python benchmarks/bench_estimate_accuracy.py [--runs 20]

For every examples/*.yaml: the plan is built from the runtime combinators (as a generated
project wires it) and run N times on the simulated model, then N times through litellm's real
HTTP path against a loopback OpenAI-compatible stub that answers like the simulated model.
Reported: `before`, the uncalibrated expected cost's error against the measured mean; `after`,
the error after `--from-trace` on the first half of the runs, against the other half (held
out); `fit`, the same against the traced half itself; `noise`, how far the two halves' means
differ (sampling; refine approvals and plan sizes are random); and the largest spent/worst
ratio over all runs (must stay <= 1). Target: calibrated within 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # their helpers
os.environ["WFADVISE_ALLOW_MODEL_REQUESTS"] = "1"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from advisor.template_store import publish
from runtime import SimulatedModel
from runtime.estimate import calibrate, estimate_settings
from runtime.model_calls.completion import CallRequest
from runtime.settings import LimitSettings, PriceOverride, Settings
from tests.rendered import Rendered, render_example
from tests.stub_server import Scripted, StubServer, completion_body
from tests.test_estimate_bound import with_tool_cap

ROOT = Path(__file__).resolve().parent.parent
INPUT = "Please help: my March invoice shows two charges for one order. " * 20
STUB_MODEL = "openai/stub"
HINT = "Reply with only a JSON object that matches this JSON schema:\n"


class EchoStub(StubServer):
    """The loopback stub, answering every request as the simulated model would."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.sim = SimulatedModel(seed=seed, text_tokens=300)

    def _take(self, body: dict[str, Any], headers: dict[str, str]) -> Scripted:
        fmt = (body.get("response_format") or {}).get("json_schema") or {}
        schema = fmt.get("schema") or _hinted_schema(body.get("messages", []))
        req = CallRequest(
            step=f"stub{len(self.requests)}",
            model=STUB_MODEL,
            messages=body.get("messages", []),
            max_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 1024),
            tools=body.get("tools"),
            response_schema=schema,
        )
        self.requests.append(None)  # type: ignore[arg-type]
        raw = asyncio.run(self.sim.complete(req))
        calls = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json},
            }
            for c in raw.tool_calls
        ]
        reply = completion_body(
            raw.text or None,
            prompt_tokens=raw.usage.prompt_tokens,
            completion_tokens=raw.usage.completion_tokens,
            tool_calls=calls or None,
        )
        return Scripted(body=reply)


def _hinted_schema(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The schema the runtime puts in a system message for models without schema support."""
    for msg in messages:
        text = str(msg.get("content") or "")
        if msg.get("role") == "system" and text.startswith(HINT):
            return dict(json.loads(text[len(HINT) :]))
    return None


def project(made: Rendered, model: str | None) -> Settings:
    s = made.settings
    update: dict[str, Any] = {"plan": with_tool_cap(s.plan), "limits": LimitSettings()}
    if model:
        update["models"] = s.models.model_copy(update={"default": model, "steps": {}})
        update["prices"] = {model: PriceOverride(input_per_mtok=0.15, output_per_mtok=0.6)}
    return s.model_copy(update=update)


async def one_run(
    made: Rendered, s: Settings, seed: int, trace: Path, stub: EchoStub | None
) -> tuple[float, int, int]:
    """One run of the rendered project's own flow, on its own vendored runtime."""
    rt, own = made.runtime, made.own(s)
    sim = rt.SimulatedModel(seed=seed, text_tokens=300, tool_turns=seed % 4)
    run = rt.Run(
        models=own.models,
        limits=rt.Limits(),
        simulated=None if stub else sim,
        prices=rt.PriceBook(own.prices),
        retry=rt.RetryPolicy(max_attempts=s.max_attempts),
        max_tokens=s.max_tokens,
        trace=trace,
        api_base=stub.base_url if stub else None,
        api_key="test" if stub else None,
    )
    with run, contextlib.suppress(rt.WorkflowError):
        await made.execute()(made.flow(s), run, INPUT)
    spent = run.budget.spent
    return spent.usd, spent.calls, spent.tokens


async def all_runs(
    made: Rendered, s: Settings, traces: list[Path], stub: EchoStub | None
) -> list[tuple[float, int, int]]:
    """Every run of one example on one event loop (litellm caches its HTTP clients per loop)."""
    results = [await one_run(made, s, i, path, stub) for i, path in enumerate(traces)]
    if stub is not None:
        import litellm

        await litellm.close_litellm_async_clients()  # else aiohttp warns at exit
    return results


def measure(made: Rendered, runs: int, stub: EchoStub | None, folder: Path) -> dict[str, float]:
    s = project(made, STUB_MODEL if stub else None)
    from runtime.model_calls.tokens import count_text

    size = count_text(INPUT)
    prompts = made.prompts
    est = estimate_settings(s, prompts, input_tokens=size, with_alternatives=False)
    traces = [
        folder / f"{made.path.name}-{'http' if stub else 'sim'}-{i}.jsonl" for i in range(runs)
    ]
    results = asyncio.run(all_runs(made, s, traces, stub))
    half = runs // 2
    learn = calibrate(traces[:half])
    after = estimate_settings(
        s, prompts, input_tokens=size, calibration=learn, with_alternatives=False
    )
    mean_all = sum(r[0] for r in results) / runs
    mean_learn = sum(r[0] for r in results[:half]) / half
    mean_held = sum(r[0] for r in results[half:]) / (runs - half)
    t = est.total
    worst = max(
        max(r[0] / t.usd_worst, r[1] / t.calls_worst, r[2] / t.tokens_worst) for r in results
    )
    return {
        "before": t.usd_exp / mean_all - 1,
        "after": after.total.usd_exp / mean_held - 1,
        "fit": after.total.usd_exp / mean_learn - 1,
        "noise": mean_learn / mean_held - 1,
        "worst_ratio": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("wfadvise.runtime").setLevel(logging.ERROR)  # fallbacks are expected here
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    stub = EchoStub()
    stub.start()
    print(
        f"{'example':<24}{'path':<6}{'before':>9}{'after':>9}{'fit':>8}{'noise':>8}"
        f"{'max spent/worst':>17}"
    )
    worst_seen, afters = 0.0, []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            published = publish(store=Path(tmp) / "store")
            for example in examples:
                made = render_example(example, Path(tmp) / "projects", published)
                for label, server in (("sim", None), ("http", stub)):
                    m = measure(made, args.runs, server, Path(tmp))
                    afters.append(abs(m["after"]))
                    worst_seen = max(worst_seen, m["worst_ratio"])
                    print(
                        f"{example.stem:<24}{label:<6}{m['before']:>+9.1%}{m['after']:>+9.1%}"
                        f"{m['fit']:>+8.1%}{m['noise']:>+8.1%}{m['worst_ratio']:>17.3f}"
                    )
    finally:
        stub.stop()
    within = sum(a <= 0.10 for a in afters)
    print(f"\ncalibrated within 10%: {within}/{len(afters)}; largest |error| {max(afters):.1%}")
    print(f"largest spent/worst over all runs: {worst_seen:.3f} (must be <= 1)")


if __name__ == "__main__":
    main()
