"""Whatever users call things, the generated code compiles, is ruff-clean and keeps the names.

Names with spaces, unicode, keywords, leading digits, duplicates, quotes, braces, `{{ }}` and
triple quotes go through the real template (few examples: each one renders a project).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.render import ProjectSpec, copier_data, render_data
from advisor.template_store import Published, publish
from runtime.plan import Node
from runtime.settings import Settings

NASTY = [
    "class",
    "import",
    "None",
    "2nd pass",
    "a b",
    "ünïcödé",
    "日本語",
    "{{ x }}",
    "{% if %}",
    '"""',
    "'''",
    'say "hi"',
    "back\\slash",
    "{input}",
    "{}",
    "",
    " ",
    "step",
    "run",
    "json",
    "__init__",
    "../x",
    "a\nb",
    "tab\there",
    "ДА",
    # Long names push generated lines past 100 columns: the layout must still be ruff's.
    "draft the customer reply with the policy, the tone and the facts checked twice",
    "x" * 95,
]
short_names = st.one_of(
    st.sampled_from(NASTY[:-2]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
)
names = st.one_of(
    short_names, st.sampled_from(NASTY[-2:]), st.text("abcdefgh ", min_size=40, max_size=90)
)


def _leaf(name: str) -> Node:
    return Node(pattern="single-call", name=name, steps=[name])


@st.composite
def plans(draw: st.DrawFn) -> Node:
    labels = draw(st.lists(names, min_size=2, max_size=3))
    leaves = [_leaf(n) for n in labels]
    inner = draw(st.sampled_from(["leaf", "chain", "refine"]))
    first: Node = leaves[0]
    if inner == "chain":
        first = Node(pattern="prompt-chaining", name=labels[0], children=leaves[:2])
    elif inner == "refine":
        first = Node(
            pattern="evaluator-optimizer",
            name=labels[0],
            steps=[draw(names)],
            children=[leaves[0]],
            params={"max_rounds": 2, "criteria": draw(st.lists(names, max_size=2))},
        )
    kids = [first, *leaves[1:]]
    shape = draw(
        st.sampled_from(
            [
                "routing",
                "parallel-sectioning",
                "orchestrator-workers",
                "parallel-voting",
                "agent-loop",
                "prompt-chaining",
            ]
        )
    )
    name = draw(names)
    if shape == "routing":
        node = Node(
            pattern=shape,
            name=name,
            steps=[draw(names)],
            children=kids,
            params={"by": "category", "fallback": kids[-1].name},
        )
    elif shape == "parallel-sectioning":
        node = Node(
            pattern=shape,
            name=name,
            steps=[draw(names)],
            children=kids,
            params={"branch_timeout_s": 30.0, "concurrency": 4},
        )
    elif shape == "orchestrator-workers":
        node = Node(
            pattern=shape,
            name=name,
            steps=[draw(names), draw(names)],
            children=kids,
            params={"max_workers": 3, "expected_workers": 2.0, "on_unknown": "skip"},
        )
    elif shape == "parallel-voting":
        node = Node(pattern=shape, name=name, children=[first], params={"n": 3, "threshold": 0.6})
    elif shape == "agent-loop":
        node = Node(
            pattern=shape,
            name=name,
            steps=[name],
            params={"max_steps": 4, "tools": draw(st.lists(names, max_size=3))},
        )
    else:
        node = Node(pattern=shape, name=name, children=kids)
    return _unique_steps(node)


def _unique_steps(node: Node) -> Node:
    """Step names are unique in a plan (the diagnosis guarantees it); keep them nasty."""
    seen: set[str] = set()

    def fresh(step: str) -> str:
        new, n = step, 2
        while new in seen:
            new, n = f"{step} {n}", n + 1
        seen.add(new)
        return new

    def visit(n: Node) -> Node:
        return n.model_copy(
            update={
                "steps": [fresh(s) for s in n.steps],
                "children": [visit(c) for c in n.children],
            }
        )

    return visit(node)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(store=tmp_path_factory.mktemp("store") / "template-store")


@pytest.mark.slow  # nine renders, each linted and built: start it first under xdist
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), project=short_names, task=names)  # a package name is kept short
@example(  # one tool named twice (and a keyword): it must be wired once, not twice
    plan=Node(
        pattern="agent-loop",
        name="class",
        steps=["class"],
        params={"max_steps": 4, "tools": ["class", "class"]},
    ),
    project="class",
    task="class",
)
def test_any_names_give_valid_clean_code(
    published: Published, plan: Node, project: str, task: str
) -> None:
    spec = ProjectSpec(
        settings=Settings(name=project, pattern=plan.pattern, plan=plan),
        recommendation={
            "pattern": plan.pattern,
            "uses": sorted(plan.patterns()),
            "reasons": [task],
            "rejected": [{"pattern": "agent-loop", "why": task}],
            "warnings": [task],
        },
        task=task,
    )
    data = copier_data(spec)
    with tempfile.TemporaryDirectory() as tmp:
        dest = render_data(data, Path(tmp) / "p", published=published)
        pkg = dest / data["package"]
        for path in [*pkg.glob("*.py"), *(dest / "tests").glob("*.py")]:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        assert Settings.load(pkg / "settings.json") == spec.settings
        lint = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--no-cache",
                "-q",
                "--exclude",
                "_runtime",
                ".",
            ],
            cwd=dest,
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout
        if all(_narrow(path.read_text(encoding="utf-8")) for path in dest.rglob("*.py")):
            # ruff measures wide (CJK) and zero-width characters as 2 and 0 columns; the
            # template counts characters, so only names of one column each are checked here.
            fmt = subprocess.run(
                [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
                cwd=dest,
                capture_output=True,
                text=True,
            )
            assert fmt.returncode == 0, fmt.stdout + fmt.stderr
        # The workflow builds: every literal names the right step, every cap is found.
        proc = subprocess.run(
            [sys.executable, "-c", f"import {data['package']} as p; p.build(p.load_settings())"],
            cwd=dest,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]


def _narrow(text: str) -> bool:
    """Every character takes exactly one column on a terminal (as ruff counts line length)."""
    return all(
        unicodedata.east_asian_width(ch) not in "WF" and not unicodedata.combining(ch)
        for ch in text
    )
