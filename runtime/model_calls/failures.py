"""What went wrong with a model call, in words: timeouts, connections, the provider's HTTP reply."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlsplit

from .errors import NoChoicesError
from .retry import status_of
from .secrets import scrub


def is_timeout(exc: BaseException) -> bool:
    """A deadline passed (ours, the SDK's or litellm's)."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return True
    return "Timeout" in type(exc).__name__


def is_connection_failure(exc: BaseException) -> bool:
    """No HTTP reply at all: refused, reset, DNS, TLS (openai, litellm, httpx, OS errors)."""
    if isinstance(exc, ConnectionError):
        return True
    name = type(exc).__name__
    if "Connect" in name or "Connection" in name:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and _is_transport(cause)


def _is_transport(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, OSError)) or "Connect" in type(exc).__name__


def host_port(url: str | None) -> str | None:
    """`HOST:PORT` of a base URL, the port filled in from the scheme."""
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"http://{url}")
    if not parts.hostname:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _request_url(exc: BaseException) -> str | None:
    try:
        request = getattr(exc, "request", None)
        return None if request is None else str(request.url)
    except Exception:  # httpx raises when an exception was built without a request
        return None


_FRAME = re.compile(r'\s*File "[^"]*", line \d+(, in \S+)?')
"""A stack frame's location in a server's error text (a Python server's traceback)."""


def without_traceback(text: str) -> str:
    """A server's error text without the server's own stack: the exception line of a Python
    traceback (llama.cpp's server answers some requests with one), frame locations removed."""
    if "Traceback (most recent call last)" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else text
    return _FRAME.sub("", text)


def provider_message(exc: BaseException) -> str:
    """The provider's own error text: the JSON body's error.message, else the exception's;
    never the server's stack trace."""
    return without_traceback(_provider_text(exc))


def _provider_text(exc: BaseException) -> str:
    body: Any = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)
    text = str(getattr(exc, "message", "") or exc)
    # litellm prefixes "litellm.BadRequestError: OpenAIException - {json}"; keep the message.
    start = text.find("{")
    if start >= 0:
        try:
            data = json.loads(text[start:])
            err = data.get("error", data) if isinstance(data, dict) else None
            if isinstance(err, dict) and err.get("message"):
                return str(err["message"])
        except ValueError:
            pass
    return text


def describe(
    exc: BaseException, *, timeout_s: float, base_url: str | None
) -> tuple[int | None, str]:
    """(HTTP status or None, one line saying what happened), secrets scrubbed."""
    if is_timeout(exc):
        return None, f"timed out after {timeout_s:g} s"
    status = status_of(exc)
    if isinstance(exc, NoChoicesError):
        return None, str(exc)
    if is_connection_failure(exc) and (status is None or status >= 500):
        where = host_port(_request_url(exc) or base_url) or "the provider"
        cause = exc.__cause__ or exc.__context__
        why = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) else ""
        return None, scrub(f"could not connect to {where}{why}")
    message = " ".join(provider_message(exc).split())[:400]
    if status is not None:
        return status, scrub(f"the provider answered HTTP {status}: {message}")
    return None, scrub(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
