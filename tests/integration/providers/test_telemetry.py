"""Spans (GenAI semantic conventions) and log records of model calls and tool calls, from real turns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from faces import Face
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from servers import OpenAIServer
from sessionforge import ChatSession, ToolRegistry
from sessionforge.errors import ServerError

pytestmark = pytest.mark.usefixtures("provider_env")

MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans of this module's tests, collected in memory by the application's tracer provider."""
    collected = InMemorySpanExporter()
    processor = SimpleSpanProcessor(collected)
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        current = trace.get_tracer_provider()
    assert isinstance(current, TracerProvider)
    current.add_span_processor(processor)
    yield collected
    collected.shutdown()


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @registry.tool
    def explode() -> str:
        """Fails every time."""
        raise RuntimeError("kaboom")

    return registry


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_a_turn_with_a_tool_makes_model_and_tool_spans(
    face: Face, openai_server: OpenAIServer, spans: InMemorySpanExporter, stream: bool
) -> None:
    agent = face.agent(provider="openai", model=MODEL, tools=tools(), max_output_tokens=100, temperature=0.5)
    session = ChatSession()
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("handle request") as parent:
        message = 'use the add tool with {"a": 2, "b": 3}'
        if stream:
            face.stream(agent, message, session)
        else:
            face.chat(agent, message, session)
    finished = [s for s in spans.get_finished_spans() if s.name != "handle request"]
    assert [s.name for s in finished] == [f"chat {MODEL}", "execute_tool add", f"chat {MODEL}"]
    first, tool, second = finished
    for span in finished:  # children of whatever span the application had open
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    usages = [m.metadata["usage"] for m in session.messages if m.role == "assistant"]
    for span, usage, reason in zip((first, second), usages, ("tool_calls", "stop"), strict=True):
        found = attributes(span)
        assert span.kind == SpanKind.CLIENT
        assert found["gen_ai.operation.name"] == "chat"
        assert found["gen_ai.provider.name"] == "openai"
        assert found["gen_ai.request.model"] == MODEL
        assert found["gen_ai.request.max_tokens"] == 100
        assert found["gen_ai.request.temperature"] == 0.5
        assert found["gen_ai.response.model"] == MODEL
        assert found["gen_ai.response.id"].startswith("chatcmpl-")
        assert found["gen_ai.response.finish_reasons"] == (reason,)
        assert found["gen_ai.usage.input_tokens"] == usage["prompt_tokens"] > 0
        assert found["gen_ai.usage.output_tokens"] == usage["completion_tokens"] > 0
        assert found["sessionforge.usage.cost_usd"] == pytest.approx(usage["estimated_cost_usd"])
        assert found["sessionforge.usage.cost_usd"] > 0
        assert found["sessionforge.usage.accuracy"] == "exact"
    call = session.messages[1].tool_calls[0]
    assert tool.kind == SpanKind.INTERNAL
    assert attributes(tool) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "add",
        "gen_ai.tool.call.id": call.id,
        "gen_ai.tool.type": "function",
    }
    assert all(s.status.status_code == StatusCode.UNSET for s in finished)


def test_failures_mark_their_spans(
    face: Face, openai_server: OpenAIServer, spans: InMemorySpanExporter
) -> None:
    agent = face.agent(provider="openai", model=MODEL, tools=tools())
    face.chat(agent, "use the explode tool", ChatSession())
    tool = next(s for s in spans.get_finished_spans() if s.name == "execute_tool explode")
    assert tool.status.status_code == StatusCode.ERROR
    assert attributes(tool)["error.type"] == "tool_error"
    assert "kaboom" in (tool.status.description or "")

    spans.clear()
    openai_server.fail_next(500)
    with pytest.raises(ServerError):
        face.chat(face.agent(provider="openai", model=MODEL), "hello", ChatSession())
    (failed,) = spans.get_finished_spans()
    assert failed.name == f"chat {MODEL}"
    assert failed.status.status_code == StatusCode.ERROR
    assert attributes(failed)["error.type"] == "ServerError"
    assert "gen_ai.usage.input_tokens" not in attributes(failed)
    assert [e.name for e in failed.events] == ["exception"]


def test_each_call_is_logged(
    face: Face, openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sessionforge")
    agent = face.agent(provider="openai", model=MODEL, tools=tools())
    session = ChatSession()
    face.chat(agent, 'use the add tool with {"a": 1, "b": 1}', session)
    lines = [r.getMessage() for r in caplog.records if r.name == "sessionforge.providers"]
    tool_lines = [r.getMessage() for r in caplog.records if r.name == "sessionforge.tools"]
    assert len([line for line in lines if line.startswith(f"chat {MODEL} via openai: ")]) == 2
    assert any(line.startswith("tool add (call_") and " ran in " in line for line in tool_lines)
    last = f"{session.messages[-1].metadata['usage']['completion_tokens']} completion tokens (exact)"
    assert any(last in line for line in lines)
