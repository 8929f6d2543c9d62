"""What a tool call reports about itself: a log record, and an OpenTelemetry span.

Every call the :class:`~sessionforge.tools.runner.ToolRunner` makes (for the agents and the
session-aware processor alike) is logged at DEBUG on ``sessionforge.tools`` and, with OpenTelemetry's
API installed, becomes an ``execute_tool {name}`` span (kind INTERNAL) with ``gen_ai.operation.name``,
``gen_ai.tool.name``, ``gen_ai.tool.call.id`` and ``gen_ai.tool.type``, as the GenAI semantic
conventions name them. The span is current while the tool runs, so spans the tool makes are its
children; a failed call sets ``error.type`` and an ERROR status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from ..core.telemetry import failed, mark_error, tracer

__all__ = ["ToolSpan", "tool_span"]

logger = logging.getLogger("sessionforge.tools")


class _Call(Protocol):
    @property
    def call_id(self) -> str: ...

    @property
    def name(self) -> str: ...


class _Result(Protocol):
    @property
    def is_error(self) -> bool: ...

    @property
    def content(self) -> str: ...


_R = TypeVar("_R", bound=_Result)


class ToolSpan:
    """One tool call being observed; :meth:`record` takes its result."""

    def __init__(self, span: Any, call: _Call) -> None:
        self.span = span
        self.call = call
        self.started = time.perf_counter()

    def record(self, result: _R) -> _R:
        if result.is_error and self.span is not None:
            mark_error(self.span, "tool_error", result.content)
        logger.debug(
            "tool %s (%s) %s in %.3f s",
            self.call.name,
            self.call.call_id,
            "failed" if result.is_error else "ran",
            time.perf_counter() - self.started,
        )
        return result


@contextmanager
def tool_span(call: _Call) -> Iterator[ToolSpan]:
    """Observe one tool call: an ``execute_tool {name}`` span, current while the tool runs."""
    otel = tracer()
    if otel is None:
        yield ToolSpan(None, call)
        return
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": call.name,
        "gen_ai.tool.call.id": call.call_id,
        "gen_ai.tool.type": "function",
    }
    with otel.start_as_current_span(
        f"execute_tool {call.name}",
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield ToolSpan(span, call)
        except BaseException as exc:
            failed(span, exc)
            logger.debug("tool %s (%s) raised %r", call.name, call.call_id, exc)
            raise
