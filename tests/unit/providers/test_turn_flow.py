"""The sans-IO turn: stepped by hand, with no provider and no event loop."""

from __future__ import annotations

import sys

import pytest

from sessionforge import ChatSession, ToolRegistry
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.usage import TokenUsage
from sessionforge.errors import MissingDependencyError
from sessionforge.providers.base import ChatResponse, ModelCall, ToolRun, turn_flow
from sessionforge.tools.registry import ToolResult


def reply(content: str = "", calls: list[ToolCall] | None = None) -> ChatResponse:
    return ChatResponse(
        content=content,
        tool_calls=calls or [],
        usage=TokenUsage(prompt_tokens=10, completion_tokens=2),
        model="m",
        provider="p",
        finish_reason="tool_calls" if calls else "stop",
    )


def test_flow_yields_model_call_then_tool_run_then_model_call() -> None:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    session = ChatSession()
    session_user = ChatMessage.user("add 1 and 2")
    session.add_message(session_user)
    flow = turn_flow(session, model="m", tools=registry, max_tool_iterations=3)
    step = next(flow)
    assert isinstance(step, ModelCall)
    assert step.request.messages == [session_user]
    assert [t.name for t in step.request.tools] == ["add"]
    call = ToolCall(id="c1", name="add", arguments={"a": 1, "b": 2})
    step = flow.send(reply(calls=[call]))
    assert isinstance(step, ToolRun)
    assert step.calls == [call]
    step = flow.send([ToolResult("3")])
    assert isinstance(step, ModelCall)
    assert [m.role for m in step.request.messages] == ["user", "assistant", "tool"]
    with pytest.raises(StopIteration) as done:
        flow.send(reply("It is 3."))
    final: ChatResponse = done.value.value
    assert final.content == "It is 3."
    assert final.usage.prompt_tokens == 20  # summed over the turn's two calls
    assert [m.role for m in session.messages] == ["user", "assistant", "tool", "assistant"]


def test_missing_llama_cpp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessionforge.providers import local

    local.load_model.cache_clear()
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'sessionforge\[local\]'"):
            local.load_model()
    finally:
        local.load_model.cache_clear()


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_bad_thread_count_for_the_embedded_model_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from sessionforge.errors import ConfigurationError
    from sessionforge.providers import local

    local.load_model.cache_clear()
    monkeypatch.setenv(local.THREADS_ENV, value)
    try:
        with pytest.raises(ConfigurationError, match=local.THREADS_ENV):
            local.load_model()
    finally:
        local.load_model.cache_clear()


@pytest.mark.local_model
def test_the_embedded_model_computes_with_the_threads_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessionforge.providers import local

    local.load_model.cache_clear()
    monkeypatch.setenv(local.THREADS_ENV, "1")
    try:
        model = local.load_model()
        assert (model.n_threads, model.n_threads_batch) == (1, 1)
    finally:
        local.load_model.cache_clear()
