"""`eval`: every variant on every case, scored, judged in both orders, optionally optimized."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import EVAL_SCOPE, JUDGE_STEP, OPTIMIZE_STEP
from .cases import Case
from .errors import EvalUsageError
from .optimize import Failure, Optimized, Trial, optimize, prompt_file, revise_messages
from .project import EvalProject
from .report import Match, Report, Row
from .rungs import SINGLE_CALL, other_rung, own_kit, prompt_variant, single_call
from .scoring import (
    JudgeVerdict,
    Scored,
    Side,
    as_text,
    compare_scores,
    judge_messages,
    judge_pair,
    match_expected,
    run_checks,
)
from .variants import (
    CaseRun,
    Ledger,
    Options,
    Variant,
    own_trace,
    prompts_overlay,
    run_variant,
)

JUDGE_MAX_TOKENS = 16
"""The judge answers `{"winner": "A"}`: a few tokens."""
OPTIMIZE_MAX_TOKENS = 1024
"""A revised prompt."""


@dataclass(frozen=True)
class EvalOptions(Options):
    """`eval`'s command line."""

    against: Sequence[str] = ()
    variants: Sequence[Path] = ()
    optimize: str | None = None
    rounds: int = 3
    max_usd: float | None = None
    judge_model: str | None = None


class Evaluation:
    """One `eval` invocation: its variants, ledger and judge totals."""

    def __init__(self, project: EvalProject, cases: list[Case], opts: EvalOptions) -> None:
        self.project, self.cases, self.opts = project, cases, opts
        self.ledger = Ledger(opts.max_usd)
        self.settings = project.load_settings()
        self.judge_calls = 0
        self.judge_usd = 0.0
        self.gate = asyncio.Semaphore(max(1, opts.concurrency))
        """Judge and optimizer calls in flight at once, as for the cases (--concurrency)."""
        self.judge_asks = 0
        """Judgements asked (each pair twice, in both orders)."""
        self.judge_first = 0
        """Of those, how many picked the answer shown first: all of them is position bias."""
        self.notes: list[str] = []

    def own(self, name: str, prompts: Path, *, marked: bool) -> Variant:
        """The project's workflow built with the prompt files of `prompts`."""
        flow = self.project.build(self.settings, prompts)
        script = self.project.mock_script(self.settings)
        return Variant(name, flow, self.settings, own_kit(), marked=marked, script=script)

    async def run(self, scratch: Path) -> Report:
        """Every variant on every case, the head-to-heads, then --optimize."""
        primary = self.own(self.settings.pattern, self.project.prompts, marked=False)
        contenders = [self._against(name, primary.name, scratch) for name in self.opts.against]
        rows = [await self._row(primary)]
        for v in contenders:
            rows.append(await self._row(v))
        for folder in self.opts.variants:
            overrides = prompt_variant(self.project, folder)
            with prompts_overlay(self.project.prompts, overrides) as merged:
                variant = self.own(f"variant:{folder.name}", merged, marked=True)
                rows.append(await self._row(variant))
        if self.opts.optimize:
            row = await self._optimize(rows[0])
            if row is not None:
                rows.append(row)
        matches = [await self._match(rows[0], other) for other in rows[1:]]
        rows[0].wins = sum(m.a_wins for m in matches)
        for row, m in zip(rows[1:], matches, strict=True):
            row.wins = m.b_wins
        return Report(
            rows,
            matches,
            len(self.cases),
            judge_calls=self.judge_calls,
            judge_usd=self.judge_usd,
            judge_asks=self.judge_asks,
            judge_first=self.judge_first,
            stopped_by="eval --max-usd" if self.ledger.stopped else None,
            notes=self.notes,
        )

    def _against(self, name: str, primary: str, scratch: Path) -> Variant:
        if name == primary and name != SINGLE_CALL:
            raise EvalUsageError(
                f"--against {name} is this project's own pattern; compare with another rung"
            )
        if name == SINGLE_CALL:
            return single_call(self.project, self.settings, "one-call" if primary == name else name)
        return other_rung(self.project, name, scratch)

    async def _row(self, variant: Variant) -> Row:
        runs = await run_variant(variant, self.cases, self.opts, self.ledger)
        return Row(
            variant.name, runs, [self._score(c, r) for c, r in zip(self.cases, runs, strict=True)]
        )

    def _score(self, case: Case, run: CaseRun) -> float | None:
        found = self._scored(case, run)
        return None if found is None else found.score

    def _scored(self, case: Case, run: CaseRun) -> Scored | None:
        if case.has_expected:
            return (
                Scored(0.0, "failed") if run.failed else match_expected(run.output, case.expected)
            )
        if self.project.checks:
            return (
                Scored(0.0, "failed") if run.failed else run_checks(run.output, self.project.checks)
            )
        return None

    async def _match(self, a: Row, b: Row) -> Match:
        sides = await asyncio.gather(
            *(
                self._side(case, ra, rb, sa, sb)
                for case, ra, rb, sa, sb in zip(
                    self.cases, a.runs, b.runs, a.scores, b.scores, strict=True
                )
            )
        )
        return Match(a.name, b.name, list(sides))

    async def _side(
        self, case: Case, ra: CaseRun, rb: CaseRun, sa: float | None, sb: float | None
    ) -> Side:
        if sa is not None and sb is not None:
            return compare_scores(sa, sb)
        if ra.failed or rb.failed:
            return "tie" if ra.failed and rb.failed else ("B" if ra.failed else "A")

        async def ask(first: str, second: str) -> Side:
            return await self._ask_judge(case.input, first, second)

        return await judge_pair(ask, as_text(ra.output), as_text(rb.output))

    async def _ask_judge(self, case_input: str, first: str, second: str) -> Side:
        """One judgement, in its own budgeted run under `eval>judge`; unreadable is a tie."""
        messages = judge_messages(
            self.project.task, self.project.criteria, case_input, first, second
        )
        found = await self._call(JUDGE_STEP, messages, JUDGE_MAX_TOKENS, JudgeVerdict)
        side: Side = "tie" if found is None else found.winner
        self.judge_asks += 1
        self.judge_first += side == "A"
        return side

    async def _call(
        self, step: str, messages: list[dict[str, str]], max_tokens: int, model: Any = None
    ) -> Any:
        """A call made for the comparison (judge, optimizer), counted apart; None if refused."""
        async with self.gate:
            return await self._call_now(step, messages, max_tokens, model)

    async def _call_now(
        self, step: str, messages: list[dict[str, str]], max_tokens: int, model: Any
    ) -> Any:
        kit = own_kit()
        per_request = self.settings.limits.max_usd
        cap = self.ledger.take(per_request)
        if cap == 0.0:
            return None
        with own_trace(self.opts.trace) as trace:
            run = kit.run_from_settings(
                self.settings,
                simulated=kit.simulated() if self.opts.mock else None,
                trace=trace,
                model=self.opts.judge_model or self.opts.model,
                max_usd=cap,
            )
            try:
                with kit.scope(EVAL_SCOPE):
                    res = await run.call(
                        step, messages, response_model=model, max_tokens=max_tokens
                    )
                output = res.output
            except Exception as exc:  # a judge or optimizer failure is noted, not fatal
                if self.ledger.cut_short(cap, per_request):
                    self.ledger.stopped = True
                self.notes.append(f"{step} call failed: {type(exc).__name__}: {exc}")
                output = None
            summary = run.close()
        self.ledger.settle(cap, summary.cost_usd)
        if step == JUDGE_STEP:
            self.judge_calls += summary.calls
            self.judge_usd += summary.cost_usd
        return output

    async def _optimize(self, primary: Row) -> Row | None:
        """--optimize STEP: revise, re-run, keep only improvements; the winner beside the file."""
        from .optimize import write_beside

        assert self.opts.optimize is not None
        original_file = prompt_file(self.project.prompts, self.opts.optimize)
        original = original_file.read_text(encoding="utf-8")
        tried: dict[str, Row] = {original: primary}

        async def evaluate(text: str) -> Trial:
            if text not in tried:
                with prompts_overlay(self.project.prompts, {original_file.name: text}) as merged:
                    name = f"{original_file.stem}.optimized"
                    tried[text] = await self._row(self.own(name, merged, marked=True))
            return await self._trial(tried[text], primary)

        async def revise(text: str, failures: Sequence[Failure]) -> str | None:
            messages = revise_messages(text, failures, self.project.task)
            found = await self._call(OPTIMIZE_STEP, messages, OPTIMIZE_MAX_TOKENS)
            return found if isinstance(found, str) else None

        result: Optimized = await optimize(
            original, self.opts.rounds, evaluate, revise, out_of_budget=lambda: self.ledger.stopped
        )
        if not result.improved:
            self.notes.append(
                f"--optimize {original_file.stem}: no revision beat the original in "
                f"{result.rounds} round(s); nothing written"
                + (f" ({result.stopped_by})" if result.stopped_by else "")
                + "".join(f"; {why}" for why in result.dropped)
            )
            return None
        written = write_beside(original_file, result.prompt)
        self.notes.append(
            f"--optimize {original_file.stem}: score {result.original.score:.0%} -> "
            f"{result.best.score:.0%}; wrote {written} (the original is unchanged)"
        )
        return tried[result.prompt]

    async def _trial(self, row: Row, primary: Row) -> Trial:
        """A prompt's score: its mean score when cases are scorable, else its judged win share
        against the original; its failures are the cases it did not get right."""
        known = [s for s in row.scores if s is not None]
        if known:
            failed = [
                Failure(
                    c.input, as_text(r.output), None if not c.has_expected else as_text(c.expected)
                )
                for c, r, s in zip(self.cases, row.runs, row.scores, strict=True)
                if s is not None and s < 1
            ]
            return Trial(sum(known) / len(known), failed)
        if row is primary:
            return Trial(
                0.5,
                [
                    Failure(c.input, as_text(r.output))
                    for c, r in zip(self.cases, row.runs, strict=True)
                ],
            )
        match = await self._match(primary, row)
        share = (match.b_wins + 0.5 * match.ties) / len(self.cases)
        lost = [
            Failure(c.input, as_text(r.output))
            for c, r, side in zip(self.cases, row.runs, match.sides, strict=True)
            if side != "B"
        ]
        return Trial(share, lost)


def run_eval(project: EvalProject, cases: list[Case], opts: EvalOptions) -> Report:
    """The whole evaluation, on a fresh event loop (model clients closed at the end)."""
    if opts.optimize:
        prompt_file(project.prompts, opts.optimize)  # a typo costs no call
    for folder in opts.variants:
        prompt_variant(project, folder)
    if not opts.mock:
        settings = project.load_settings()
        models = (
            [opts.model]
            if opts.model
            else [settings.models.default, *settings.models.steps.values()]
        )
        if opts.judge_model:
            models.append(opts.judge_model)
        project.require_key(models, settings.models.api_base)

    async def main() -> Report:
        from ..model_calls.openai_backend import close_clients

        try:
            with tempfile.TemporaryDirectory(prefix="wfadvise-eval-") as tmp:
                return await Evaluation(project, cases, opts).run(Path(tmp))
        finally:
            await close_clients()

    return asyncio.run(main())
