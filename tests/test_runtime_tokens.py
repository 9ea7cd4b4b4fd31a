"""Token counts are exactly tiktoken's over litellm's o200k file, however the tokenizer loads.

The ranks come from a binary cache; short text of stable characters is counted in Python,
the rest (and everything once enough text has gone by) by tiktoken's encoder.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.model_calls import bpe
from runtime.model_calls.bpe import O200K_FILE, O200K_PAT, O200k, load_ranks, parse_ranks
from runtime.model_calls.prices import _litellm_dir
from runtime.model_calls.tokens import count_text

tiktoken = pytest.importorskip("tiktoken")
folder = _litellm_dir()
SOURCE = folder / O200K_FILE if folder else Path("/nonexistent")
pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="litellm's o200k file is missing")

VARIED = [
    "Hello world",
    "",
    "   leading and trailing   \n\n\t",
    "def f(x):\n    return x ** 2  # squares\n",
    "Prix : 12,50 € — réglé le 3/4/2025 à 14h05.",
    "日本語のテキストと English mixed, with 12345678901234 digits.",
    "emoji 👩‍👩‍👧‍👦 and flags 🇫🇷🇯🇵, ZWJ sequences",
    "I'LL BE THERE, you'll see; they'd've known. It's isn't",
    '{"key": [1, 2.5, null, true], "nested": {"a": "b"}}',
    "ДА нет, Ελληνικά, עברית, العربية, हिन्दी",
    "\r\n\r\nwindows\r\nline endings\r\n",
    "naïve café — “quoted” … e\u0301 µ ª ß\u00a0nbsp\u0085nel\u2028ls \x1c\x1f\x0b\x0c\x7f\x9f",
    "x" * 5000,
]
# Characters the Python path takes, and stressors of the pre-tokenizing pattern.
STABLE = st.characters(max_codepoint=0x36F) | st.characters(
    min_codepoint=0x2000, max_codepoint=0x2064
)
STRESS = [
    "I'LL",
    "'s",
    "'S",
    "don't",
    "ǅ",
    "123456",
    "\r\n",
    " \n",
    "//",
    "...",
    "\u00a0",
    "e\u0301",
]


def reference_ranks(raw: bytes) -> dict[bytes, int]:
    """The BPE file parsed line by line, as the runtime did before the cache existed."""
    return {
        base64.b64decode(tok): int(rank)
        for tok, rank in (line.split() for line in raw.splitlines() if line)
    }


@pytest.fixture(scope="module")
def ranks() -> dict[bytes, int]:
    return reference_ranks(SOURCE.read_bytes())


@pytest.fixture(scope="module")
def reference(ranks: dict[bytes, int]) -> Callable[[str], int]:
    enc = tiktoken.Encoding("ref", pat_str=O200K_PAT, mergeable_ranks=ranks, special_tokens={})
    return lambda text: len(enc.encode_ordinary(text))


def never_built() -> Callable[[str], int]:
    raise AssertionError("tiktoken's encoder was built for text the Python path should count")


def test_parsed_and_cached_ranks_equal_the_line_by_line_parse(
    tmp_path: Path, ranks: dict[bytes, int]
) -> None:
    assert len(ranks) > 199_000
    assert parse_ranks(SOURCE.read_bytes()) == ranks
    cold = load_ranks(SOURCE, cache=tmp_path)  # parses and writes the cache
    assert len(list(tmp_path.iterdir())) == 1
    warm = load_ranks(SOURCE, cache=tmp_path)  # reads the cache
    assert cold == warm == ranks


def test_counts_are_unchanged_on_varied_text(reference: Callable[[str], int]) -> None:
    for text in VARIED:
        assert count_text(text) == reference(text), text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(STABLE, max_size=8) | st.sampled_from(STRESS), max_size=12).map("".join))
def test_the_python_path_counts_as_tiktoken_does(
    ranks: dict[bytes, int], reference: Callable[[str], int], text: str
) -> None:
    assert O200k(ranks, never_built).count(text) == reference(text)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_any_text_counts_as_tiktoken_does(
    ranks: dict[bytes, int], reference: Callable[[str], int], text: str
) -> None:
    assert O200k(ranks, lambda: reference).count(text) == reference(text)


def test_other_characters_and_long_runs_go_to_tiktoken(
    ranks: dict[bytes, int], reference: Callable[[str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []

    def build() -> Callable[[str], int]:
        built.append(1)
        return lambda text: -1  # marks the encoder's answers

    monkeypatch.setattr(bpe, "PYTHON_BUDGET_CHARS", 100)
    tokenizer = O200k(ranks, build)
    assert tokenizer.count("Hello world") == 2 and not built
    assert tokenizer.count("日本語") == -1 and built == [1]  # a newer script: tiktoken
    tokenizer = O200k(ranks, build)
    text = "a b " * 10  # 40 characters
    assert tokenizer.count(text) == tokenizer.count(text) == reference(text) > 0
    assert tokenizer.count(text) == -1  # past the budget: the encoder from then on
    assert tokenizer.count("Hello") == -1 and built == [1, 1]


@pytest.fixture
def small_bpe(tmp_path: Path) -> Path:
    """A BPE file of a few hundred tokens: the cache's behaviour without the 3.6 MB file."""
    lines = [f"{base64.b64encode(bytes([i])).decode()} {i}" for i in range(256)]
    lines += [f"{base64.b64encode(b'ab' * n).decode()} {255 + n}" for n in range(1, 50)]
    path = tmp_path / "small.tiktoken"
    path.write_text("\n".join(lines) + "\n")
    return path


def cache_file(folder: Path) -> Path:
    (found,) = folder.iterdir()
    return found


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty (a crash while writing)
        b"\x80\x05garbage",  # truncated
        pickle.dumps(["not", "a", "dict"]),  # a pickle of the wrong shape
        pickle.dumps(Path("/etc")),  # a pickle naming a class: never imported, never run
    ],
    ids=["empty", "truncated", "wrong-shape", "names-a-class"],
)
def test_a_bad_cache_file_is_ignored_and_replaced(
    tmp_path: Path, small_bpe: Path, content: bytes
) -> None:
    cache = tmp_path / "cache"
    expected = reference_ranks(small_bpe.read_bytes())
    assert load_ranks(small_bpe, cache=cache) == expected
    cache_file(cache).write_bytes(content)
    assert load_ranks(small_bpe, cache=cache) == expected
    assert cache_file(cache).read_bytes() != content  # rewritten: the next run reads it fast


def test_the_cache_is_read_when_present(tmp_path: Path, small_bpe: Path) -> None:
    cache = tmp_path / "cache"
    load_ranks(small_bpe, cache=cache)
    planted: dict[Any, Any] = {b"planted": 7}
    cache_file(cache).write_bytes(pickle.dumps(planted))
    assert load_ranks(small_bpe, cache=cache) == planted


def test_an_unwritable_cache_folder_only_costs_a_parse(tmp_path: Path, small_bpe: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    expected = reference_ranks(small_bpe.read_bytes())
    assert load_ranks(small_bpe, cache=blocked / "cache") == expected


def test_a_changed_source_file_is_not_served_from_the_old_cache(tmp_path: Path) -> None:
    src = tmp_path / "bpe"
    src.write_bytes(b"YQ== 0\nYg== 1\n")
    cache = tmp_path / "cache"
    assert load_ranks(src, cache=cache) == {b"a": 0, b"b": 1}
    src.write_bytes(b"YQ== 0\nYw== 1\n")
    assert load_ranks(src, cache=cache) == {b"a": 0, b"c": 1}


@pytest.mark.parametrize("text", ["\U00010ee7\n  \n", "\u243b\n \n\t\t", "x\U0001cc00 \n"])
def test_characters_newer_than_the_stable_set_go_to_tiktoken(
    ranks: dict[bytes, int], reference: Callable[[str], int], text: str
) -> None:
    # Recently assigned characters (Unicode 15-16) that the two regex engines class apart.
    assert O200k(ranks, lambda: reference).count(text) == reference(text)
