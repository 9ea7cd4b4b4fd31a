"""The `wfadvise` command line: a thin typer layer; each command maps flags onto one function.

Command modules are imported inside the commands so `wfadvise --help` stays fast: it must never
import litellm or copier.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import Interrupted, UserError

app = typer.Typer(
    name="wfadvise",
    help="Pick the simplest LLM workflow pattern your task needs, then generate a bounded, "
    "tested project for it.\n\n"
    "Start with `wfadvise new DIR` (an interview) or `wfadvise new DIR --answers FILE`; the "
    "answers format is in docs/answers.md. Exit codes: 0 ok, 1 failure, 2 usage or input "
    "error, 3 stopped by a budget, 130 interrupted.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

AnswersOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at runtime on 3.10
    typer.Option(
        "--answers",
        "-a",
        help="Answers file (YAML or JSON; format: docs/answers.md) instead of the interview; "
        "- reads it from stdin.",
    ),
]
DataOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--data",
        "-d",
        metavar="KEY=VALUE",
        help="Set one answer, e.g. --data name=desk --data 'steps=\\[draft, review]' "
        "(repeatable; overrides --answers).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

ANSWERS_EPILOG = (
    "Answers come from the interview (in a terminal), a file, or flags. The smallest file is "
    "one line, `name: desk`; a chain of steps is `name: desk` and `steps: \\[draft, review]`; "
    "the same as flags: --data name=desk --data 'steps=\\[draft, review]'. Every key is "
    "described in docs/answers.md."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wfadvise {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Pick the simplest LLM workflow pattern your task needs, then generate it."""


@app.command(epilog=ANSWERS_EPILOG)
def recommend(
    answers: AnswersOpt = None,
    data: DataOpt = None,
    details: Annotated[
        bool, typer.Option("--details", help="Also show what was turned down, and why.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Diagnose a task on the escalation ladder and recommend the simplest pattern that fits."""
    from .commands.recommend import recommend_command

    recommend_command(answers, data or [], as_json=as_json, details=details)


@app.command()
def patterns(
    pattern_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(metavar="ID", help="A pattern id, e.g. routing."),
    ] = None,
) -> None:
    """Show the ladder of patterns, or one pattern in depth."""
    from .commands.patterns import patterns_command

    patterns_command(pattern_id)


@app.command(epilog=ANSWERS_EPILOG)
def new(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to create the project.")],
    answers: AnswersOpt = None,
    data: DataOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty DIR.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be written; write nothing.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Install and test the project in a throwaway venv.")
    ] = False,
) -> None:
    """Interview (or read --answers), recommend, and generate a runnable project in DIR."""
    from .commands.new import new_command

    new_command(directory, answers, data or [], force=force, check=check, dry_run=dry_run)


@app.command()
def estimate(
    directory: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(metavar="DIR", help="A generated project."),
    ] = None,
    answers: AnswersOpt = None,
    volume: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--volume", min=0, help="Requests per day."),
    ] = None,
    input_tokens: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--input-tokens", min=1, help="Assumed input size in tokens."),
    ] = None,
    from_trace: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--from-trace", help="Trace of a real run (repeatable)."),
    ] = None,
    plot: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--plot", help="Write monthly cost against volume as an SVG."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Project cost per request, per day and per month: expected and worst case."""
    from .commands.estimate import estimate_command

    estimate_command(
        directory,
        answers,
        volume=volume,
        input_tokens=input_tokens,
        traces=from_trace or [],
        plot=plot,
        as_json=as_json,
    )


@app.command()
def update(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A generated project.")],
) -> None:
    """Bring a generated project up to this wfadvise's template, keeping your edits."""
    from .commands.update import update_command

    update_command(directory)


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error, whichever click typer uses (its own vendored copy since 0.29).

    `typer.BadParameter` is public and derives from the ClickException of the click typer
    runs on, so its ancestry names the right class; duck typing covers a future reshuffle.
    """
    bases = [c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"]
    if bases and isinstance(exc, tuple(bases)):
        return True
    return isinstance(getattr(exc, "exit_code", None), int) and callable(getattr(exc, "show", None))


def _usage(exc: BaseException) -> int:
    """Print click's short usage message (usage line, hint, error) and return its exit code."""
    exc.show()  # type: ignore[attr-defined]
    code = exc.exit_code  # type: ignore[attr-defined]
    return code if isinstance(code, int) else 2


def main() -> None:
    """Entry point: run the app and turn every error a user can cause into a message and code."""
    args = sys.argv[1:] or ["--help"]  # `wfadvise` alone prints help and exits 0
    try:
        Path.cwd()
    except FileNotFoundError:  # relative paths (and copier) need a folder to stand in
        typer.secho(
            "error: the current folder no longer exists; cd into an existing folder and retry",
            err=True,
            fg=typer.colors.RED,
        )
        raise SystemExit(2) from None
    try:
        code = app(args=args, prog_name="wfadvise", standalone_mode=False)
    except Interrupted as err:
        typer.secho(str(err), err=True)
        raise SystemExit(err.exit_code) from None
    except UserError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise SystemExit(err.exit_code) from None
    except (KeyboardInterrupt, typer.Abort):
        typer.secho("interrupted: nothing was written", err=True)
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:
        if _is_usage_error(exc):
            raise SystemExit(_usage(exc)) from None
        if type(exc).__name__ == "Abort":  # click's own Abort (EOF at a prompt), not typer's
            typer.secho("interrupted: nothing was written", err=True)
            raise SystemExit(130) from None
        raise
    # Outside standalone mode typer turns a Ctrl-C into a returned 130 instead of raising.
    if code == 130:
        typer.secho("interrupted: nothing was written", err=True)
    if isinstance(code, int) and code:
        raise SystemExit(code)
