"""`wfadvise update`: template changes arrive, the user's edits survive, conflicts are named."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers_render import PATTERN_ANSWERS, spec_for
from test_hostile_input import assert_refused, run_wfadvise

from advisor.commands.new import write_project
from advisor.commands.update import report, update_project
from advisor.errors import UserError
from advisor.template_store import Published, TemplateSource, default_source, publish

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _source(tmp_path: Path, version: str) -> TemplateSource:
    """A private copy of the template, so a test can move it to a new version."""
    src = default_source()
    template = tmp_path / "template-src"
    if not template.exists():
        shutil.copytree(src.template_dir, template)
    return TemplateSource(template_dir=template, runtime_dir=src.runtime_dir, version=version)


def _committed_project(tmp_path: Path, published: Published) -> Path:
    made = write_project(
        spec_for(PATTERN_ANSWERS["routing"]), tmp_path / "desk", published=published
    )
    _git(made.path, "init", "-q")
    _git(made.path, "add", "-A")
    _git(made.path, "commit", "-q", "-m", "generated")
    return made.path


def test_update_keeps_edits_and_brings_template_changes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    v1 = publish(_source(tmp_path, "1.0.0"), store)
    project = _committed_project(tmp_path, v1)
    # The user edits a prompt and the README.
    prompt = project / "desk" / "prompts" / "classify.md"
    prompt.write_text(prompt.read_text() + "Prefer 'billing' when money is mentioned.\n")
    readme = project / "README.md"
    readme.write_text(
        readme.read_text().replace(
            "## Why this pattern", "## Why this pattern\n\nOur team notes.\n"
        )
    )
    _git(project, "commit", "-q", "-am", "my edits")
    # The template moves to 1.1.0: a new line in the CLI module and a new file.
    source = _source(tmp_path, "1.1.0")
    main_tpl = source.template_dir / "template" / "{{ package }}" / "__main__.py.jinja"
    main_tpl.write_text(
        main_tpl.read_text().replace(
            "EXIT_OK, EXIT_FAILURE", "TEMPLATE_V11 = True\nEXIT_OK, EXIT_FAILURE"
        )
    )
    (source.template_dir / "template" / "CHANGELOG.md.jinja").write_text("template 1.1.0\n")
    v2 = publish(source, store)

    result = update_project(project, published=v2)

    assert (result.from_version, result.to_version) == ("1.0.0", "1.1.0")
    assert result.conflicts == []
    assert "Prefer 'billing'" in prompt.read_text()
    assert "Our team notes." in readme.read_text()
    assert "TEMPLATE_V11 = True" in (project / "desk" / "__main__.py").read_text()
    assert (project / "CHANGELOG.md").read_text() == "template 1.1.0\n"
    assert "_commit: 1.1.0" in (project / ".copier-answers.yml").read_text()


def test_conflicting_edit_is_reported_by_file(tmp_path: Path) -> None:
    store = tmp_path / "store"
    v1 = publish(_source(tmp_path, "1.0.0"), store)
    project = _committed_project(tmp_path, v1)
    env = project / ".env.example"
    env.write_text(env.read_text().replace("OPENAI_API_KEY=", "OPENAI_API_KEY=mine"))
    _git(project, "commit", "-q", "-am", "edit")
    source = _source(tmp_path, "2.0.0")
    env_tpl = source.template_dir / "template" / ".env.example.jinja"
    env_tpl.write_text(env_tpl.read_text().replace("{{ var }}=", "{{ var }}=changed-by-template"))
    v2 = publish(source, store)

    result = update_project(project, published=v2)

    assert result.conflicts == [".env.example"]
    assert "<<<<<<< before updating" in env.read_text()


def test_dirty_tree_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    v1 = publish(_source(tmp_path, "1.0.0"), tmp_path / "store")
    project = _committed_project(tmp_path, v1)
    (project / "README.md").write_text("changed\n")
    with pytest.raises(UserError, match=r"uncommitted changes.*README\.md.*commit or stash"):
        update_project(project, published=v1)


def test_project_outside_git_or_without_answers_is_refused(tmp_path: Path) -> None:
    v1 = publish(_source(tmp_path, "1.0.0"), tmp_path / "store")
    made = write_project(spec_for(PATTERN_ANSWERS["single-call"]), tmp_path / "p", published=v1)
    inside_git = subprocess.run(["git", "rev-parse"], cwd=tmp_path, capture_output=True)
    if inside_git.returncode != 0:  # a temp dir inside someone's repo cannot show this
        with pytest.raises(UserError, match=r"not in a git repository.*git init"):
            update_project(made.path, published=v1)
    with pytest.raises(UserError, match=r"no \.copier-answers\.yml"):
        update_project(tmp_path, published=v1)


def test_plain_copier_update_works_once_the_store_is_in_place(tmp_path: Path) -> None:
    from copier import run_update

    store = tmp_path / "store"
    project = _committed_project(tmp_path, publish(_source(tmp_path, "1.0.0"), store))
    source = _source(tmp_path, "1.2.0")
    (source.template_dir / "template" / "NEW.md.jinja").write_text("new in 1.2.0\n")
    publish(source, store)
    run_update(project, defaults=True, overwrite=True, quiet=True, skip_answered=True)
    assert (project / "NEW.md").read_text() == "new in 1.2.0\n"


def _mutated(tmp_path: Path, change: Callable[[Path], None]) -> Path:
    """A committed project (on this wfadvise's template) after `change`, committed too."""
    project = _committed_project(tmp_path, publish(store=tmp_path / "store"))
    change(project)
    if (project / ".git").is_dir():
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "--allow-empty", "-m", "hostile")
    return project


def _answers_text(text: str | bytes) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / ".copier-answers.yml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return change


def _recorded_commit(value: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / ".copier-answers.yml"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text(
            "\n".join(f"_commit: {value}" if ln.startswith("_commit:") else ln for ln in lines)
            + "\n",
            encoding="utf-8",
        )

    return change


def _runtime_replaced_by_a_file(project: Path) -> None:
    shutil.rmtree(project / "desk" / "_runtime")
    (project / "desk" / "_runtime").write_text("not a folder\n")


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (_answers_text("_commit: [unclosed\n"), ("not valid YAML", "restore")),
        (_answers_text(b"\xff\xfe\x00garbage"), ("not UTF-8",)),
        (_answers_text("- just\n- a list\n"), ("not a mapping", "restore")),
        (_answers_text("_commit: &a [*a]\n"), ("alias",)),
        (_recorded_commit(""), ("no template version (_commit)", "restore")),
        (_recorded_commit("9.9.9"), ("9.9.9", "does not hold", "restore")),
        (lambda p: (p / ".copier-answers.yml").unlink(), ("no .copier-answers.yml",)),
        (lambda p: shutil.rmtree(p / ".git"), ("not in a git repository", "git init")),
        (_runtime_replaced_by_a_file, ("cannot restore", "_runtime")),
    ],
    ids=[
        "garbled",
        "binary",
        "list",
        "alias-cycle",
        "no-commit",
        "unknown-commit",
        "missing",
        "not-git",
        "runtime-is-a-file",
    ],
)
def test_update_refuses_a_broken_project_in_one_line(
    tmp_path: Path, change: Callable[[Path], None], fragments: tuple[str, ...]
) -> None:
    project = _mutated(tmp_path, change)
    if (
        "git init" in fragments
        and subprocess.run(["git", "rev-parse"], cwd=project, capture_output=True).returncode == 0
    ):
        pytest.skip("the temp folder is inside a git repository")
    before = _tree(project)
    proc = run_wfadvise(["update", str(project)], tmp_path)
    assert_refused(proc, *fragments)
    assert _tree(project) == before


def test_update_of_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    proc = run_wfadvise(["update", "nowhere"], tmp_path)
    assert_refused(proc, "nowhere", "no such folder")
    assert not (tmp_path / "nowhere").exists()


def test_update_restores_a_deleted_vendored_runtime_at_the_same_version(tmp_path: Path) -> None:
    v1 = publish(_source(tmp_path, "1.0.0"), tmp_path / "store")
    project = _committed_project(tmp_path, v1)
    runtime = project / "desk" / "_runtime"
    edited = runtime / "errors.py"
    edited.write_text(edited.read_text() + "# my edit\n")
    expected = {p.relative_to(runtime): p.read_bytes() for p in runtime.rglob("*") if p.is_file()}
    for path in runtime.iterdir():
        if path != edited:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "deleted the runtime")

    result = update_project(project, published=v1)

    assert result.from_version == result.to_version == "1.0.0"
    assert "desk/_runtime/__init__.py" in result.restored
    assert "nothing to update" not in report(result)
    assert "Restored" in report(result)
    now = {p.relative_to(runtime): p.read_bytes() for p in runtime.rglob("*") if p.is_file()}
    assert now == expected  # every file back, the user's edit kept
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "restored")
    assert report(update_project(project, published=v1)).endswith("nothing to update.")


def test_update_restores_a_deleted_runtime_while_moving_versions(tmp_path: Path) -> None:
    store = tmp_path / "store"
    project = _committed_project(tmp_path, publish(_source(tmp_path, "1.0.0"), store))
    shutil.rmtree(project / "desk" / "_runtime")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "deleted the runtime")
    source = _source(tmp_path, "1.1.0")
    (source.template_dir / "template" / "NEW.md.jinja").write_text("new\n")
    v2 = publish(source, store)

    result = update_project(project, published=v2)

    assert result.to_version == "1.1.0" and result.conflicts == []
    assert (project / "desk" / "_runtime" / "__init__.py").is_file()
    assert (project / "NEW.md").is_file()


def _tree(project: Path) -> dict[str, bytes]:
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }
