"""What a turn reports about itself: a log record per model call and tool call, and OpenTelemetry spans.

Every model call and tool call is logged at DEBUG on ``sessionforge.providers`` (model, tokens,
accuracy, cost, duration; a failure with its exception). With OpenTelemetry's API installed (the
``otel`` extra), each also becomes a span, named and attributed as the GenAI semantic conventions
say, so any OTLP backend reads them with no mapping:

* ``chat {model}`` (kind CLIENT): ``gen_ai.operation.name``, ``gen_ai.provider.name``,
  ``gen_ai.request.model``, ``gen_ai.request.max_tokens``, ``gen_ai.request.temperature``,
  ``gen_ai.response.model``, ``gen_ai.response.id``, ``gen_ai.response.finish_reasons``,
  ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``; the conventions have no cost, so it
  is ``sessionforge.usage.cost_usd``, beside ``sessionforge.usage.accuracy`` (``exact``/``estimated``);
* ``execute_tool {name}`` (kind INTERNAL): ``gen_ai.operation.name``, ``gen_ai.tool.name``,
  ``gen_ai.tool.call.id``, ``gen_ai.tool.type``.

A failure sets ``error.type`` and the span's status to ERROR. Spans go to whatever tracer provider the
application configured; with none, OpenTelemetry's API makes them no-ops. A model call's span is not
made the current span, since a streamed call yields to the caller while it is open; a tool call's
span is current while the tool runs, so spans the tool makes are its children.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from .._meta import get_version
from ..core.messages import ToolCall
from ..tools.registry import ToolResult

if TYPE_CHECKING:  # base.py drives the spans; the names are for annotations only
    from .base import ChatRequest, ChatResponse

__all__ = ["ModelSpan", "ToolSpan", "logger", "model_span", "tool_span"]

logger = logging.getLogger("sessionforge.providers")

INSTRUMENTATION = "sessionforge"


@cache
def _tracer() -> Any:
    """OpenTelemetry's tracer for this library, or ``None`` without the API (imported on first use)."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer(INSTRUMENTATION, get_version())


def _failed(span: Any, exc: BaseException) -> None:
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", type(exc).__qualname__)
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, str(exc)[:500]))


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


class ToolSpan:
    """One tool call being observed; :meth:`record` takes its result."""

    def __init__(self, span: Any, call: ToolCall) -> None:
        self.span = span
        self.call = call
        self.started = time.perf_counter()

    def record(self, result: ToolResult) -> ToolResult:
        if result.is_error and self.span is not None:
            from opentelemetry.trace import Status, StatusCode

            self.span.set_attribute("error.type", "tool_error")
            self.span.set_status(Status(StatusCode.ERROR, result.content[:500]))
        logger.debug(
            "tool %s (%s) %s in %.3f s",
            self.call.name,
            self.call.id,
            "failed" if result.is_error else "ran",
            time.perf_counter() - self.started,
        )
        return result


@contextmanager
def model_span(provider: str, request: ChatRequest) -> Iterator[ModelSpan]:
    """Observe one model call: a ``chat {model}`` span (not made current) and a log record."""
    tracer = _tracer()
    span = None
    if tracer is not None:
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
        span = tracer.start_span(f"chat {request.model}", kind=SpanKind.CLIENT, attributes=attributes)
        if not span.is_recording():  # no tracer provider set up: nothing more to spend on it
            span = None
    observed = ModelSpan(span, provider, request)
    try:
        yield observed
    except BaseException as exc:
        _failed(span, exc)
        logger.debug("chat %s via %s failed: %r", request.model, provider, exc)
        raise
    finally:
        if span is not None:
            span.end()


@contextmanager
def tool_span(call: ToolCall) -> Iterator[ToolSpan]:
    """Observe one tool call: an ``execute_tool {name}`` span, current while the tool runs."""
    tracer = _tracer()
    if tracer is None:
        yield ToolSpan(None, call)
        return
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": call.name,
        "gen_ai.tool.call.id": call.id,
        "gen_ai.tool.type": "function",
    }
    with tracer.start_as_current_span(
        f"execute_tool {call.name}",
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield ToolSpan(span, call)
        except BaseException as exc:
            _failed(span, exc)
            logger.debug("tool %s (%s) raised %r", call.name, call.id, exc)
            raise
