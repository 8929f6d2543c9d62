"""OpenTelemetry plumbing shared by the model-call and tool-call spans.

The tracer is looked up on first use; without OpenTelemetry's API installed it is ``None`` and no
span is made. The spans themselves live with what they observe: model calls in
:mod:`sessionforge.providers.telemetry`, tool calls in :mod:`sessionforge.tools.telemetry`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .._meta import get_version

__all__ = ["INSTRUMENTATION", "failed", "mark_error", "tracer"]

INSTRUMENTATION = "sessionforge"


@cache
def tracer() -> Any:
    """OpenTelemetry's tracer for this library, or ``None`` without the API (imported on first use)."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer(INSTRUMENTATION, get_version())


def failed(span: Any, exc: BaseException) -> None:
    """Mark ``span`` as failed with ``exc`` (``error.type``, the exception, an ERROR status)."""
    if span is None:
        return
    span.record_exception(exc)
    mark_error(span, type(exc).__qualname__, str(exc))


def mark_error(span: Any, kind: str, description: str) -> None:
    """Set ``error.type`` and an ERROR status on ``span``."""
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR, description[:500]))
