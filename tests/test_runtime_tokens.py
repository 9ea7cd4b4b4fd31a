"""The tokenizer loads from a binary cache and counts exactly as tiktoken over the BPE file does."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.prices import _litellm_dir
from runtime.tokens import O200K_FILE, O200K_PAT, count_text, load_ranks, parse_ranks

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
    "x" * 5000,
]


def reference_ranks(raw: bytes) -> dict[bytes, int]:
    """The BPE file parsed line by line, as the runtime did before the cache existed."""
    return {
        base64.b64decode(tok): int(rank)
        for tok, rank in (line.split() for line in raw.splitlines() if line)
    }


@pytest.fixture(scope="module")
def reference() -> object:
    ranks = reference_ranks(SOURCE.read_bytes())
    return tiktoken.Encoding("ref", pat_str=O200K_PAT, mergeable_ranks=ranks, special_tokens={})


def count_ref(reference: object, text: str) -> int:
    return len(reference.encode_ordinary(text))  # type: ignore[attr-defined]


def test_parsed_and_cached_ranks_equal_the_line_by_line_parse(tmp_path: Path) -> None:
    expected = reference_ranks(SOURCE.read_bytes())
    assert len(expected) > 199_000
    assert parse_ranks(SOURCE.read_bytes()) == expected
    cold = load_ranks(SOURCE, cache=tmp_path)  # parses and writes the cache
    assert len(list(tmp_path.iterdir())) == 1
    warm = load_ranks(SOURCE, cache=tmp_path)  # reads the cache
    assert cold == warm == expected


def test_counts_are_unchanged_on_varied_text(reference: object) -> None:
    for text in VARIED:
        assert count_text(text) == count_ref(reference, text), text


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_counts_are_unchanged_on_any_text(reference: object, text: str) -> None:
    assert count_text(text) == count_ref(reference, text)


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
def test_a_bad_cache_file_is_ignored_and_replaced(tmp_path: Path, content: bytes) -> None:
    load_ranks(SOURCE, cache=tmp_path)
    (cached,) = tmp_path.iterdir()
    cached.write_bytes(content)
    assert load_ranks(SOURCE, cache=tmp_path) == reference_ranks(SOURCE.read_bytes())
    assert cached.read_bytes() != content  # rewritten, so the next run reads it fast


def test_an_unwritable_cache_folder_only_costs_a_parse(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert load_ranks(SOURCE, cache=blocked / "cache") == reference_ranks(SOURCE.read_bytes())


def test_a_changed_source_file_is_not_served_from_the_old_cache(tmp_path: Path) -> None:
    src = tmp_path / "bpe"
    src.write_bytes(b"YQ== 0\nYg== 1\n")
    cache = tmp_path / "cache"
    assert load_ranks(src, cache=cache) == {b"a": 0, b"b": 1}
    src.write_bytes(b"YQ== 0\nYw== 1\n")
    assert load_ranks(src, cache=cache) == {b"a": 0, b"c": 1}
