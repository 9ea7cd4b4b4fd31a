"""Small runtime parts: token counting, step caps, step paths."""

from __future__ import annotations

import pytest

from runtime import (
    Cap,
    CapReached,
    StoppedError,
    check_cap,
    clamp_to_cap,
    current_path,
    scope,
    step_path,
)
from runtime.model_calls.tokens import approx_count, count_messages, count_text


def test_token_counts_match_openais_tokenizer() -> None:
    assert count_text("Hello world") == 2
    assert count_text("") == 0
    assert approx_count("abcdefgh") == 2
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert count_messages(msgs) == 3 + (3 + count_text("Be brief.")) + (3 + count_text("Hi"))


def test_caps_stop_at_their_limit_with_a_reason() -> None:
    cap = Cap("max_workers", 3)
    assert [cap.take() for _ in range(3)] == [1, 2, 3]
    with pytest.raises(CapReached) as info:
        cap.take()
    assert isinstance(info.value, StoppedError)
    assert info.value.reason == "max_workers=3 (would reach 4)" and cap.remaining == 0
    info.value.best = "draft v2"  # combinators attach the best result so far
    assert info.value.best == "draft v2"
    with pytest.raises(CapReached):
        check_cap("max_steps", 10, 11)
    assert clamp_to_cap("max_workers", 4, 9) == 4


def test_scopes_nest_and_unwind() -> None:
    with scope("route"):
        with scope("billing"):
            assert step_path("draft") == "route>billing>draft"
        assert current_path() == ("route",)
    assert step_path("draft") == "draft"
