"""What a model call reports about itself: a log record, and an OpenTelemetry span.

Every model call is logged at DEBUG on ``sessionforge.providers`` (model, tokens, accuracy, cost,
duration; a failure with its exception). With OpenTelemetry's API installed (the ``otel`` extra),
each also becomes a span, named and attributed as the GenAI semantic conventions say, so any OTLP
backend reads them with no mapping (tool calls get theirs in :mod:`sessionforge.tools.telemetry`):

* ``chat {model}`` (kind CLIENT): ``gen_ai.operation.name``, ``gen_ai.provider.name``,
  ``gen_ai.request.model``, ``gen_ai.request.max_tokens``, ``gen_ai.request.temperature``,
  ``gen_ai.response.model``, ``gen_ai.response.id``, ``gen_ai.response.finish_reasons``,
  ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``; the conventions have no cost, so it
  is ``sessionforge.usage.cost_usd``, beside ``sessionforge.usage.accuracy`` (``exact``/``estimated``);

A failure sets ``error.type`` and the span's status to ERROR. Spans go to whatever tracer provider the
application configured; with none, OpenTelemetry's API makes them no-ops. A model call's span is not
made the current span, since a streamed call yields to the caller while it is open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core.telemetry import failed, tracer
from .types import ChatRequest, ChatResponse

__all__ = ["ModelSpan", "logger", "model_span"]

logger = logging.getLogger("sessionforge.providers")


class ModelSpan:
    """One model call being observed; :meth:`record` takes its reply."""

    def __init__(self, span: Any, provider: str, request: ChatRequest) -> None:
        self.span = span
        self.provider = provider
        self.request = request
        self.started = time.perf_counter()

    def record(self, response: ChatResponse) -> ChatResponse:
        usage = response.usage
        if self.span is not None:
            attributes: dict[str, Any] = {
                "gen_ai.response.model": response.model or self.request.model,
                "gen_ai.response.finish_reasons": [response.finish_reason],
                "gen_ai.usage.input_tokens": usage.prompt_tokens,
                "gen_ai.usage.output_tokens": usage.completion_tokens,
                "sessionforge.usage.accuracy": usage.accuracy,
            }
            if usage.estimated_cost_usd is not None:
                attributes["sessionforge.usage.cost_usd"] = usage.estimated_cost_usd
            raw_id = response.raw.get("id") if isinstance(response.raw, dict) else None
            if isinstance(raw_id, str):
                attributes["gen_ai.response.id"] = raw_id
            self.span.set_attributes(attributes)
        if logger.isEnabledFor(logging.DEBUG):
            cost = "unpriced" if usage.estimated_cost_usd is None else f"${usage.estimated_cost_usd:.6f}"
            logger.debug(
                "chat %s via %s: %d prompt + %d completion tokens (%s), %s, %s, %.3f s",
                self.request.model,
                self.provider,
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.accuracy,
                cost,
                response.finish_reason,
                time.perf_counter() - self.started,
            )
        return response


@contextmanager
def model_span(provider: str, request: ChatRequest) -> Iterator[ModelSpan]:
    """Observe one model call: a ``chat {model}`` span (not made current) and a log record."""
    otel = tracer()
    span = None
    if otel is not None:
        from opentelemetry.trace import SpanKind

        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": request.model,
        }
        if request.max_tokens is not None:
            attributes["gen_ai.request.max_tokens"] = request.max_tokens
        temperature = request.options.get("temperature", request.temperature)
        if isinstance(temperature, int | float):
            attributes["gen_ai.request.temperature"] = float(temperature)
        span = otel.start_span(f"chat {request.model}", kind=SpanKind.CLIENT, attributes=attributes)
        if not span.is_recording():  # no tracer provider set up: nothing more to spend on it
            span = None
    observed = ModelSpan(span, provider, request)
    try:
        yield observed
    except BaseException as exc:
        failed(span, exc)
        logger.debug("chat %s via %s failed: %r", request.model, provider, exc)
        raise
    finally:
        if span is not None:
            span.end()
