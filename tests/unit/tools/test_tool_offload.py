"""Offloading and recalling tool output: pure functions, and the sans-IO turn stepped by hand."""

from __future__ import annotations

import pytest

from sessionforge import ChatSession, ToolRegistry
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.usage import TokenUsage
from sessionforge.providers.base import ChatResponse, ModelCall, ToolRun, turn_flow
from sessionforge.tools.offload import RECALL_TOOL, offload_message, offloaded_text, recall
from sessionforge.tools.registry import ToolResult

TEXT = "".join(chr(ord("a") + i % 26) for i in range(5_000))


def reply(content: str = "", calls: list[ToolCall] | None = None) -> ChatResponse:
    return ChatResponse(
        content=content,
        tool_calls=calls or [],
        usage=TokenUsage(prompt_tokens=10, completion_tokens=2),
        model="m",
        provider="p",
        finish_reason="tool_calls" if calls else "stop",
    )


def test_an_offloaded_message_keeps_call_id_and_the_whole_text_out_of_its_content() -> None:
    call = ToolCall(id="c1", name="dump", arguments={})
    message = offload_message(call, TEXT, tokens=1_234, metadata={"is_error": False}, preview_chars=50)
    assert message.tool_call_id == "c1" and message.name == "dump"
    assert TEXT[:50] in message.text and TEXT not in message.text and "1234" in message.text
    found = offloaded_text(message)
    assert found is not None and found[1] == TEXT and found[0] in message.text
    assert message.metadata["is_error"] is False
    assert offloaded_text(ChatMessage.from_dict(message.to_dict())) == found  # survives storage


def test_recall_returns_the_slice_asked_for() -> None:
    message = offload_message(ToolCall(id="c1", name="dump", arguments={}), TEXT, tokens=9)
    handle = offloaded_text(message)[0]  # type: ignore[index]
    result = recall([message], {"handle": handle, "start": 26, "length": 5})
    assert not result.is_error and result.content.endswith("\nabcde")
    assert "26-31 of 5000" in result.content
    assert recall([message], {"handle": handle, "start": 4_998}).content.endswith("\n" + TEXT[4_998:])
    assert "past the end" in recall([message], {"handle": handle, "start": 9_999}).content


@pytest.mark.parametrize(
    "arguments",
    [{}, {"handle": 3}, {"handle": "h", "start": -1}, {"handle": "h", "length": 0}, {"handle": "nope"}],
)
def test_bad_recalls_are_error_results(arguments: dict[str, object]) -> None:
    message = offload_message(ToolCall(id="c1", name="dump", arguments={}), TEXT, tokens=9)
    assert recall([message], arguments).is_error


def test_the_turn_offloads_long_results_and_answers_recalls_itself() -> None:
    registry = ToolRegistry()

    @registry.tool
    def dump() -> str:
        """Much text."""
        return TEXT

    session = ChatSession()
    session.add_message(ChatMessage.user("dump it"))
    flow = turn_flow(
        session, model="m", tools=registry, max_tool_iterations=3, offload_over_tokens=100, count_tokens=len
    )
    step = next(flow)
    assert isinstance(step, ModelCall) and RECALL_TOOL in [t.name for t in step.request.tools]
    step = flow.send(reply(calls=[ToolCall(id="c1", name="dump", arguments={})]))
    assert isinstance(step, ToolRun)
    step = flow.send([ToolResult(TEXT)])
    assert isinstance(step, ModelCall)
    tool_message = step.request.messages[-1]
    assert tool_message.tool_call_id == "c1" and len(tool_message.text) < 1_000
    handle = offloaded_text(tool_message)[0]  # type: ignore[index]

    calls = [
        ToolCall(id="c2", name=RECALL_TOOL, arguments={"handle": handle, "start": 0, "length": 3}),
        ToolCall(id="c3", name="dump", arguments={}),
    ]
    step = flow.send(reply(calls=calls))
    assert isinstance(step, ToolRun) and step.calls == [calls[1]]  # the recall is not the driver's job
    step = flow.send([ToolResult("short")])
    assert isinstance(step, ModelCall)
    last_two = step.request.messages[-2:]
    assert [m.tool_call_id for m in last_two] == ["c2", "c3"]
    assert last_two[0].text.endswith("\nabc") and last_two[1].text == "short"
    with pytest.raises(StopIteration):
        flow.send(reply("done"))
