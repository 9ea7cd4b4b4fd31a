"""Errors model access raises inside itself, each caught within this package.

They stand for a provider's answers (an HTTP error from the simulated model, a reply without
choices, a refused response format) so the retry and repair code treats every source alike.
What a caller sees are the runtime's errors (`runtime/errors.py`, base `WorkflowError`).
"""

from __future__ import annotations

from collections.abc import Mapping


class ProviderAnswer(Exception):
    """Base of the package's internal errors: an answer of a provider, not a caller's mistake."""


class FormatRefused(ProviderAnswer):
    """The server refused the response format; the call is planned again without it."""


class SimulatedHTTPError(ProviderAnswer):
    """An HTTP error from the simulated model; retried like a real provider's."""

    def __init__(self, status_code: int, message: str, headers: Mapping[str, str]) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        """HTTP status code."""
        self.headers = dict(headers)
        """Response headers (Retry-After)."""


class NoChoicesError(ProviderAnswer):
    """The provider answered 200 but its reply held no choice to read."""

    def __init__(self) -> None:
        super().__init__("no choices in the reply")
