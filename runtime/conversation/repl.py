"""The chat loop: one turn per line from a terminal or a pipe, replies on stdout, everything
else (the session id, stops) on stderr so a script reads replies alone.

Commands: /quit (or end of input) ends, /reset forgets the session, /state shows what the
session remembers, /help lists them. Exit 0 at the end of input, 3 when a budget stopped a
turn or the session, 2 for a usage mistake (an unknown command in a piped script included).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from ..combinators.approval_names import unknown_approvals
from ..errors import InputError, ModelRequestsDisabled, UnknownPriceError, WorkflowError
from ..model_calls.models import Run
from ..model_calls.simulated import SimulatedModel
from ..settings import ConversationSettings, Settings
from ..volume.store import sqlite_url
from .errors import ChatUsageError, SessionNotFound
from .memory import state_text
from .project import ChatProject
from .state import Session, check_session_id
from .store import SessionStore
from .turns import Prompts, TurnResult, take_turn

EXIT_OK, EXIT_USAGE, EXIT_STOPPED = 0, 2, 3
N = TypeVar("N", int, float)
FATAL = (InputError, ModelRequestsDisabled, UnknownPriceError)
"""Errors that end a chat on a terminal too (every turn would meet them again)."""
HELP = "/quit ends (so does Ctrl-D), /reset forgets this session, /state shows what it remembers"


@dataclass(frozen=True)
class ChatOptions:
    """The `chat` command line."""

    session: str | None = None
    """The session to continue; None starts a new one."""
    reset: bool = False
    """Forget the session's turns and state, then exit."""
    db: str | None = None
    """Database URL; None for the project's SQLite file."""
    mock: bool = False
    """Use the offline simulated model."""
    mock_latency: float = 0.0
    """Seconds per simulated call."""
    model: str | None = None
    """One litellm model string for every step."""
    trace: Path | None = None
    """Append a JSONL line per call (and a summary line per turn)."""
    approve: tuple[str, ...] = ()
    """Tools under `approval` let run without asking."""


def chat(project: ChatProject, opts: ChatOptions) -> int:
    """Run `chat`; returns the exit code."""
    settings = project.load_settings()
    conv = settings.conversation
    if conv is None:
        raise ChatUsageError(
            "this project has no conversation in settings.json; regenerate it with "
            "`conversation: true` in the answers, or use `run`"
        )
    if opts.session is not None:
        check_session_id(opts.session)
    unknown = unknown_approvals(settings.plan, opts.approve)
    if unknown:
        raise ChatUsageError(unknown)
    if opts.reset and opts.session is None:
        raise ChatUsageError("--reset needs --session ID (the session to forget)")
    store = SessionStore(opts.db or sqlite_url(project.default_store), project.name)
    try:
        if opts.reset:
            assert opts.session is not None
            if not store.reset(opts.session):
                raise SessionNotFound(f"no session {opts.session!r} in this store to reset")
            print(f"session {opts.session} reset", file=sys.stderr)
            return EXIT_OK
        if not opts.mock:
            chosen = settings.models
            models = [opts.model] if opts.model else [chosen.default, *chosen.steps.values()]
            project.require_key(models, chosen.api_base)
        return _Loop(project, settings, conv, store, opts).run(sys.stdin)
    finally:
        store.close()


class _Loop:
    """One chat on one session."""

    def __init__(
        self,
        project: ChatProject,
        settings: Settings,
        conv: ConversationSettings,
        store: SessionStore,
        opts: ChatOptions,
    ) -> None:
        self.project, self.settings, self.conv, self.store, self.opts = (
            project,
            settings,
            conv,
            store,
            opts,
        )
        self.flow = project.build(settings, opts.approve)
        self.prompts = Prompts.from_folder(project.prompts)
        sid = opts.session or f"s-{secrets.token_hex(4)}"
        # A new session is stored at its first turn: a chat with no turn leaves nothing behind.
        found = store.load(sid)
        self.stored = found is not None
        self.session = found or Session(session_id=sid)
        self.tty = sys.stdin.isatty()
        self.session_bound: tuple[str, ...] = ()
        """The limits (max_usd, max_calls) that this turn has at the session's rest."""

    def run(self, stdin: TextIO) -> int:
        """Read lines until the end of input or /quit."""
        self._hello()
        while True:
            line = self._read(stdin)
            if line is None or line.strip() == "/quit":
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                code = self._command(text)
                if code is not None:
                    return code
                continue
            stopped = self._session_spent()
            if stopped:
                print(f"stopped: {stopped}", file=sys.stderr)
                return EXIT_STOPPED
            try:
                result = self._turn(text)
            except WorkflowError as err:
                # A script's turn failed: stop it (exit 1, as `run`); so does a mistake that
                # the next turn would repeat (a missing price, a bad trace file, no requests).
                if not self.tty or isinstance(err, FATAL):
                    raise
                # A person can try again: the failed turn's spending is stored, no turn is.
                print(f"error: {err} (the turn was not kept; try again)", file=sys.stderr)
                continue
            for problem in result.problems:
                print(f"note: {problem}", file=sys.stderr)
            # (notes are not repeated here: what needs a person's eye, e.g. a refused tool, was
            # said on stderr as it happened, as in `run`; the trace keeps them all)
            if result.stopped_by:
                # Only when the limit that stopped it is one the session's rest set.
                hit = result.stopped_by.startswith(tuple(f"{n}=" for n in self.session_bound))
                why = " (what was left of the session's budget)" if hit else ""
                print(f"stopped: {result.stopped_by}{why}", file=sys.stderr)
                return EXIT_STOPPED
        self._bye()
        return EXIT_OK

    def _hello(self) -> None:
        s = self.session
        if s.turns:
            said = f"continuing session {s.session_id} after {len(s.turns)} turn(s)"
        else:
            said = f"session {s.session_id} (continue it later with --session {s.session_id})"
        print(said + (f"; {HELP}" if self.tty else ""), file=sys.stderr)

    def _bye(self) -> None:
        sid = self.session.session_id
        if not self.stored:
            print(f"no turns: session {sid} not saved", file=sys.stderr)
            return
        print(f"session {sid} saved: continue with `chat --session {sid}`", file=sys.stderr)

    def _read(self, stdin: TextIO) -> str | None:
        if self.tty:
            try:
                return input("you> ")
            except EOFError:
                print(file=sys.stderr)
                return None
        line = stdin.readline()
        return line if line else None

    def _command(self, text: str) -> int | None:
        """A slash command; an exit code ends the chat."""
        word = text.split()[0].lower()
        if word == "/reset":
            self.store.reset(self.session.session_id)
            self.session = Session(
                session_id=self.session.session_id,
                spent_usd=self.session.spent_usd,
                calls=self.session.calls,
            )
            print(f"session {self.session.session_id} reset", file=sys.stderr)
        elif word == "/state":
            print(self._state(), flush=True)
        elif word == "/help":
            print(HELP, file=sys.stderr)
        else:
            print(f"error: unknown command {word[:40]!r}; {HELP}", file=sys.stderr)
            if not self.tty:  # a script's mistake fails it; a person just tries again
                return EXIT_USAGE
        return None

    def _state(self) -> str:
        s = self.session
        lines = [f"session {s.session_id}: {len(s.turns)} turn(s)", state_text(s.state)]
        if s.summary:
            lines.append(f"summary of turns 1-{s.summarized_through}: {s.summary}")
        spent = f"spent ${s.spent_usd:.6f} in {s.calls} call(s)"
        return "\n".join([*lines, spent])

    def _session_spent(self) -> str | None:
        """The session budget that is used up, if one is."""
        cap, s = self.conv.session, self.session
        if cap.max_usd is not None and s.spent_usd >= cap.max_usd:
            return f"session max_usd={cap.max_usd:g} spent (${s.spent_usd:.6f} so far)"
        if cap.max_calls is not None and s.calls >= cap.max_calls:
            return f"session max_calls={cap.max_calls} reached ({s.calls} calls so far)"
        return None

    def _run(self) -> Run:
        """A run for one turn: the settings' per-turn limits, narrowed to the session's rest."""
        lim, cap, s, opts = self.settings.limits, self.conv.session, self.session, self.opts
        mock = SimulatedModel(
            latency_s=opts.mock_latency, script=self.project.mock_script(self.settings)
        )
        usd_left = None if cap.max_usd is None else cap.max_usd - s.spent_usd
        calls_left = None if cap.max_calls is None else cap.max_calls - s.calls
        max_usd, max_calls = _least(lim.max_usd, usd_left), _least(lim.max_calls, calls_left)
        # Which of this turn's limits are the session's rest rather than the per-turn ones.
        self.session_bound = tuple(
            name
            for name, left, chosen in (
                ("max_usd", usd_left, max_usd),
                ("max_calls", calls_left, max_calls),
            )
            if left is not None and chosen == left
        )
        return Run.from_settings(
            self.settings,
            simulated=mock if opts.mock else None,
            trace=opts.trace,
            model=opts.model,
            max_usd=max_usd,
            max_calls=max_calls,
        )

    def _turn(self, text: str) -> TurnResult:
        if not self.stored:  # the first turn of a new session stores it
            self.session = self.store.open(self.session.session_id)
            self.stored = True
        run = self._run()
        before = len(self.session.turns)
        try:
            with run:
                return asyncio.run(self._take(run, text))
        finally:
            spent = run.summary()
            new = self.session.turns[-1] if len(self.session.turns) > before else None
            self.store.record_turn(self.session, new, spent.cost_usd, spent.calls)
            self.session.spent_usd += spent.cost_usd
            self.session.calls += spent.calls

    async def _take(self, run: Run, text: str) -> TurnResult:
        from ..model_calls.openai_backend import close_clients

        try:
            return await take_turn(
                self.session,
                text,
                flow=self.flow,
                run=run,
                settings=self.settings,
                conversation=self.conv,
                prompts=self.prompts,
                show=self.project.show,
                on_reply=_say,
            )
        finally:
            await close_clients()


def _say(reply: str) -> None:
    """Show a turn's reply the moment it exists (the bookkeeping calls come after)."""
    print(reply, flush=True)


def _least(a: N | None, b: N | None) -> N | None:
    """The tighter of two optional limits."""
    return b if a is None else a if b is None else min(a, b)
