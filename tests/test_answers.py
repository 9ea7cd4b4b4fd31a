"""Answers files: valid ones load; every mistake is one line naming the field and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.answers import Answers, load_answers, parse_answers
from advisor.errors import UserError


def write(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_gets_the_contract_defaults(tmp_path: Path) -> None:
    answers = load_answers(write(tmp_path, "name: support-desk\n"))
    assert answers == Answers(name="support-desk")
    assert answers.flow == "known" and answers.errors_are_random is True


def test_json_files_load(tmp_path: Path) -> None:
    path = write(tmp_path, '{"name": "desk", "steps": ["a", "b"]}', "answers.json")
    assert load_answers(path).steps == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("name: x\ncatgories: [a, b]\n", ["unknown key `catgories`", "did you mean `categories`"]),
        ("name: x\nzzz: 1\n", ["unknown key `zzz`", "valid keys:"]),
        ("name: x\nflow: sometimes\n", ["`flow`", "'sometimes'", "known"]),
        ("name: x\nsteps: draft\n", ["`steps`", "expected a list"]),
        ("name: x\nvolume_per_day: lots\n", ["`volume_per_day`"]),
        ("name: x\nbudget_usd_per_request: -1\n", ["`budget_usd_per_request`", "more than 0"]),
        ("name: x\nsteps: [a, A]\n", ["`steps`", "appears twice"]),
        ("name: x\nneeds_confidence: maybe\n", ["`needs_confidence`"]),
        ("task: hi\n", ["`name` is required"]),
        ("name: 9lives\n", ["`name`", "start with a letter"]),
        ("- name: x\n", ["expected a mapping", "got a list"]),
        ("name: [x\n", ["not valid YAML", "line"]),
        ("", ["empty"]),
        ("schema: 3\nname: x\n", ["`schema`"]),
        (  # the example is a model, not a project name
            "name: x\ndifficulty: {easy: openai/gpt-4o-mini, by: cascade}\n",
            ["`difficulty.hard` is required, e.g. `difficulty.hard: openai/gpt-4o`"],
        ),
        (  # a mapping's own mistake, not "not a string", and no pydantic union tag
            "name: x\nguardrails: [{name: injection, by: cod}]\n",
            ["`guardrails.0.by`: 'cod' is not allowed", "'code'"],
        ),
        ("name: x\ncategories: 5\n", ["`categories`: expected a list"]),
    ],
)
def test_bad_files_give_one_line_naming_the_field(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_answers(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"answers file not found.*docs/answers.md"):
        load_answers(tmp_path / "nope.yaml")


def test_bad_json_is_named_as_json(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not valid JSON"):
        load_answers(write(tmp_path, "{name: x", "answers.json"))


def test_list_entries_are_trimmed() -> None:
    assert parse_answers({"name": "x", "steps": [" a ", "b"]}).steps == ["a", "b"]


def test_unreadable_file_is_one_line_even_for_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "name: x\n")
    real_open = os.open

    def denied(file: object, flags: int, *args: object) -> int:
        if Path(str(file)) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(UserError, match=r"cannot read answers file .*: permission denied;"):
        load_answers(path)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("name: x\nname: y\n", ["duplicate key `name`", "line 2", "first on line 1"]),
        ("{name: x, name: y}\n", ["duplicate key `name`"]),
        ("name: x\nmodels: {a: m, a: n}\n", ["duplicate key `a`"]),
        ("base: &b {x: 1}\n<<: *b\nname: x\n", ["unknown key"]),  # a merge is no duplicate
    ],
)
def test_duplicate_keys_are_refused_with_their_line(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    with pytest.raises(UserError) as err:
        load_answers(write(tmp_path, text))
    for fragment in fragments:
        assert fragment in str(err.value)


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    text = "name: x\ncategories: &kinds [billing, tech]\ntools: *kinds\n"
    answers = load_answers(write(tmp_path, text))
    assert answers.tools == ["billing", "tech"]


def test_errors_never_print_an_expanded_value() -> None:
    huge = [["lol"] * 1000] * 1000
    with pytest.raises(UserError) as err:
        parse_answers({"name": huge})
    assert len(str(err.value)) < 200


@pytest.mark.parametrize(("name", "text"), [("a.json", '{"name": "bom"}'), ("a.yaml", "name: bom")])
def test_a_byte_order_mark_is_not_content(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_answers(path).name == "bom"
