"""The `wfadvise` command line: a thin typer layer; each command maps flags onto one function.

Command modules are imported inside the commands so `wfadvise --help` stays fast: it must never
import litellm or copier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import Interrupted, UserError

app = typer.Typer(
    name="wfadvise",
    help="Pick the simplest LLM workflow pattern your task needs, then generate a bounded, "
    "tested project for it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

AnswersOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at runtime on 3.10
    typer.Option("--answers", "-a", help="Answers file (YAML or JSON) instead of the interview."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


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


@app.command()
def recommend(answers: AnswersOpt = None, as_json: JsonOpt = False) -> None:
    """Diagnose a task on the escalation ladder and recommend the simplest pattern that fits."""
    from .commands.recommend import recommend_command

    recommend_command(answers, as_json=as_json)


@app.command()
def patterns(
    pattern_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(metavar="[ID]", help="A pattern id, e.g. routing."),
    ] = None,
) -> None:
    """Show the ladder of patterns, or one pattern in depth."""
    from .commands.patterns import patterns_command

    patterns_command(pattern_id)


@app.command()
def new(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to create the project.")],
    answers: AnswersOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty DIR.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Install and test the project in a throwaway venv.")
    ] = False,
) -> None:
    """Interview (or read --answers), recommend, and generate a runnable project in DIR."""
    from .commands.new import new_command

    new_command(directory, answers, force=force, check=check)


@app.command()
def estimate(
    directory: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(metavar="[DIR]", help="A generated project."),
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


def main() -> None:
    """Entry point: run the app and turn user errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False)
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
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        raise
    # Outside standalone mode typer turns a Ctrl-C into a returned 130 instead of raising.
    if code == 130:
        typer.secho("interrupted: nothing was written", err=True)
    if isinstance(code, int) and code:
        raise SystemExit(code)
