"""From an HTTP failure to our exception: one table shared by every adapter.

:func:`map_sdk_errors` catches an official SDK's exceptions (OpenAI's and Anthropic's SDKs name
them alike) and calls :func:`translate` with the status (or ``"timeout"``/``"connection"`` before a reply, ``"stream"``/
``"stream-timeout"`` when a streamed reply breaks off half way); the choice of class, the
retry-after, the body and the advice in the message are decided here, once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)

__all__ = ["is_context_length", "map_sdk_errors", "retry_after_of", "translate"]

_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
)


def retry_after_of(headers: Any) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``retry-after``), if it said."""
    if headers is None:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    return None


def is_context_length(body: Any, message: str) -> bool:
    """Whether a 400 is the provider saying the request is longer than the model's window."""
    text = f"{body!r} {message}".lower()
    return any(marker in text for marker in _CONTEXT_MARKERS)


def _detail(body: Any, exc: BaseException) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc)


def translate(
    provider: str,
    status: int | str,
    exc: BaseException,
    *,
    response: Any = None,
    body: Any = None,
) -> ProviderError:
    """Our exception for a provider failure; the caller raises it ``from exc``."""
    headers = getattr(response, "headers", None)
    retry_after = retry_after_of(headers)
    detail = _detail(body, exc)
    common: dict[str, Any] = {
        "provider": provider,
        "status": status if isinstance(status, int) else None,
        "body": body,
        "retry_after": retry_after,
    }
    if status == "timeout":
        return ProviderTimeoutError(
            f"{provider} did not answer in time (retries included): retry later or raise timeout=",
            **common,
        )
    if status == "connection":
        return ProviderConnectionError(
            f"could not reach {provider}: check the base URL and the network ({exc})", **common
        )
    if status in ("stream", "stream-timeout"):
        cause = exc.__cause__ or exc
        kind = ProviderTimeoutError if status == "stream-timeout" else ProviderConnectionError
        what = "stopped sending" if status == "stream-timeout" else "broke off"
        return kind(
            f"the stream from {provider} {what} in the middle of the reply ({type(cause).__name__}: "
            f"{cause}); the partial reply was discarded: retry the call",
            **common,
        )
    if status == "error":
        return ProviderError(f"{provider} failed: {detail}", **common)
    assert isinstance(status, int)
    if status in (401, 403):
        return AuthenticationError(
            f"{provider} refused the credentials ({status}: {detail}); check the API key and its permissions",
            **common,
        )
    if status == 429:
        wait = f"wait {retry_after:g} s and retry" if retry_after is not None else "wait and retry"
        return RateLimitError(
            f"{provider} is rate limiting this key and the retries ran out: {wait}, or lower the "
            f"request rate ({detail})",
            **common,
        )
    if status == 404:
        return ModelNotFoundError(
            f"{provider} does not know this model or endpoint (404: {detail}); check the model name "
            "and the base URL",
            **common,
        )
    if status in (400, 413, 422):
        if is_context_length(body, detail):
            return ContextLengthExceededError(
                f"the request is longer than the model's context window ({detail}); give the "
                "session a max_tokens with a compactor, or compact() it",
                **common,
            )
        return BadRequestError(f"{provider} refused the request ({status}: {detail})", **common)
    if status == 408:
        return ProviderTimeoutError(f"{provider} timed out the request (408): retry later", **common)
    if status >= 500:
        return ServerError(
            f"{provider} failed on its side ({status}: {detail}) and the retries ran out; retry later",
            **common,
        )
    return ProviderError(f"{provider} answered {status}: {detail}", **common)


@contextmanager
def map_sdk_errors(sdk: str, provider: str, *, midstream: bool = False) -> Iterator[None]:
    """Translate the exceptions of the official SDK ``sdk`` (``openai``, ``anthropic``) into ours,
    chained. ``midstream``: the reply had started, so a lost connection is a broken stream, not a
    server that could not be reached."""
    module: Any = importlib.import_module(sdk)
    try:
        yield
    except module.APITimeoutError as exc:
        raise translate(provider, "stream-timeout" if midstream else "timeout", exc) from exc
    except module.APIConnectionError as exc:
        raise translate(provider, "stream" if midstream else "connection", exc) from exc
    except module.APIStatusError as exc:
        raise translate(provider, exc.status_code, exc, response=exc.response, body=exc.body) from exc
    except module.APIError as exc:  # an error event inside a stream
        raise translate(provider, "stream" if midstream else "error", exc, body=exc.body) from exc
