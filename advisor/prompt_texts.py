"""The prompt texts a recommendation's project will have, rendered in memory from the template.

`wfadvise new` writes `PKG/prompts/*.md` from the template's prompt files through copier; a
project's estimate reads them. To price a recommendation on the same texts (recommend, the
generated README, `estimate --answers`), the same files are rendered here with jinja2 from the
same data (`render.template_data`), without copier (slow to import) and without writing a file.
A file name may hold copier's `{% yield VAR from EXPR %}NAME{% endyield %}`: one file per item.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.estimate import project_prompts
from runtime.settings import Settings

from .errors import Failure
from .render import template_data

if TYPE_CHECKING:
    from jinja2 import Environment, Template

    from .recommendation import Recommendation

PROMPTS_DIR = Path("template", "{{ package }}", "prompts")
"""The template's prompt files, under templates/project (copier.yml's `_subdirectory`)."""
SUFFIX = ".jinja"
"""copier.yml's `_templates_suffix`: a file so named is rendered, any other copied as it is."""
_YIELD = re.compile(
    r"^(?P<head>.*?)\{%-?\s*yield\s+(?P<var>\w+)\s+from\s+(?P<expr>.+?)\s*-?%\}"
    r"(?P<body>.*?)\{%-?\s*endyield\s*-?%\}(?P<tail>.*)$",
    re.DOTALL,
)


def prompt_texts(rec: Recommendation) -> dict[str, str]:
    """The prompt text of every step of `rec`'s project as `wfadvise new` would write it, by
    step (the steps' files found as the project's own estimate finds them)."""
    return prompts_for(rec.settings(), rec.answers.task)


def prompts_for(settings: Settings, task: str) -> dict[str, str]:
    """The prompt texts by step for these settings and task (see `prompt_texts`)."""
    files = dict(prompt_files(template_data(settings, task)))
    return project_prompts(settings, files.get)


def prompt_files(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(file name, text) of every prompt file the template renders from copier's `data`, the
    text as a project's estimate reads it back (universal newlines)."""
    from jinja2 import TemplateError

    folder = _template_root() / PROMPTS_DIR
    try:
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            if not path.name.endswith(SUFFIX):  # copied verbatim
                yield path.name, _newlines(path.read_text(encoding="utf-8"))
                continue
            template = _compiled(path)
            for name, extra in _names(path.name[: -len(SUFFIX)], data):
                if name:  # a name rendered empty (`{% if %}` off) writes no file
                    yield name, _newlines(template.render({**data, **extra}))
    except (OSError, TemplateError) as exc:
        raise Failure(f"rendering the prompt files failed: {exc}; reinstall wfadvise") from None


def _names(name: str, data: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The file names one template file name renders to, each with the variable it binds."""
    found = _YIELD.match(name)
    if found is None:
        yield _template(name).render(data), {}
        return
    items = _expression(found["expr"])(**data)
    each = _template(found["head"] + found["body"] + found["tail"])
    for item in items:
        bound = {found["var"]: item}
        yield each.render({**data, **bound}), bound


@functools.cache
def _template(text: str) -> Template:
    return _env().from_string(text)


@functools.cache
def _expression(text: str) -> Callable[..., Any]:
    return _env().compile_expression(text)


@functools.cache
def _compiled(path: Path) -> Template:
    return _env().from_string(path.read_text(encoding="utf-8"))


@functools.cache
def _env() -> Environment:
    """A jinja2 environment as copier.yml's `_envops` sets copier's up."""
    from jinja2 import Environment, StrictUndefined

    return Environment(undefined=StrictUndefined, keep_trailing_newline=True)


def _template_root() -> Path:
    from .template_store import default_source

    return default_source().template_dir


def _newlines(text: str) -> str:
    r"""`\r\n` and `\r` as `\n`, as `Path.read_text` reads the written file back."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
