"""wfadvise runtime: bounded model calls, budgets, retries, traces and pattern combinators.

Vendored into every generated project; depends only on pydantic and the standard library
(litellm is imported lazily, only when a real model is called).
"""

from .plan import PATTERN_IDS, Node, PatternId

__all__ = ["PATTERN_IDS", "Node", "PatternId"]
