"""Offloaded tool output through the agent's tool loop, against the local OpenAI wire server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from servers import OpenAIServer
from servers.fixtures import anthropic_server, openai_server, provider_env, wire_servers
from sessionforge import AsyncChatAgent, ChatAgent, ChatMessage, ChatSession, ToolRegistry
from sessionforge.errors import UsageError
from sessionforge.storage.base import Store
from sessionforge.tools.offload import RECALL_TOOL, offloaded_text

__all__ = ["anthropic_server", "openai_server", "provider_env", "wire_servers"]

pytestmark = pytest.mark.usefixtures("provider_env")

MODEL = "gpt-4o-mini"
LOG = "".join(f"line {i:05d}: status ok\n" for i in range(2_000))


def _tools() -> ToolRegistry:
    tools = ToolRegistry()

    @tools.tool
    def read_log() -> str:
        """Return the whole service log."""
        return LOG

    @tools.tool
    def ping() -> str:
        """A short answer."""
        return "pong"

    return tools


def _tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


def _assert_every_call_has_its_result(messages: list[ChatMessage]) -> None:
    calls = [c.id for m in messages for c in m.tool_calls]
    results = [m.tool_call_id for m in messages if m.role == "tool"]
    assert calls == results


def _recall(handle: str, start: int, length: int) -> str:
    arguments = json.dumps({"handle": handle, "start": start, "length": length})
    return f"use the {RECALL_TOOL} tool with {arguments}"


def test_a_long_output_is_sent_as_preview_and_handle_then_recalled_in_slices(
    openai_server: OpenAIServer,
) -> None:
    session = ChatSession()
    with ChatAgent("openai", model=MODEL, tools=_tools(), offload_over_tokens=300) as agent:
        agent.chat("use the read_log tool", session=session)

        follow_up = openai_server.requests[-1].body
        (sent,) = _tool_messages(follow_up)
        assert "Handle: out_" in sent["content"] and len(sent["content"]) < 1_000
        assert LOG not in json.dumps(follow_up)  # the whole output never reaches the wire
        assert RECALL_TOOL in [t["function"]["name"] for t in follow_up["tools"]]

        stored = next(m for m in session.messages if m.role == "tool")
        assert sent["tool_call_id"] == stored.tool_call_id
        found = offloaded_text(stored)
        assert found is not None and found[1] == LOG
        handle = found[0]

        reply = agent.chat(_recall(handle, 23_000, 60), session=session)

    recalled = _tool_messages(openai_server.requests[-1].body)[-1]["content"]
    assert LOG[23_000:23_060] in recalled and f"of {len(LOG)}" in recalled
    assert LOG[23_000:23_060] in reply.content
    _assert_every_call_has_its_result(session.messages)


def test_short_outputs_and_recall_results_stay_as_they_are(openai_server: OpenAIServer) -> None:
    session = ChatSession()
    with ChatAgent("openai", model=MODEL, tools=_tools(), offload_over_tokens=300) as agent:
        agent.chat("use the ping tool", session=session)
        assert _tool_messages(openai_server.requests[-1].body)[0]["content"] == "pong"
        agent.chat("use the read_log tool", session=session)
        found = offloaded_text([m for m in session.messages if m.role == "tool"][-1])
        assert found is not None
        agent.chat(_recall(found[0], 0, 5_000), session=session)
    recall_message = [m for m in session.messages if m.role == "tool"][-1]
    assert offloaded_text(recall_message) is None and LOG[:5_000] in recall_message.text


def test_an_unknown_handle_is_reported_to_the_model(openai_server: OpenAIServer) -> None:
    session = ChatSession()
    with ChatAgent("openai", model=MODEL, tools=_tools(), offload_over_tokens=300) as agent:
        agent.chat(_recall("out_nope", 0, 10), session=session)
    result = [m for m in session.messages if m.role == "tool"][-1]
    assert result.metadata.get("is_error") is True and "out_nope" in result.text


def test_without_offloading_nothing_changes(openai_server: OpenAIServer) -> None:
    session = ChatSession()
    with ChatAgent("openai", model=MODEL, tools=_tools()) as agent:
        agent.chat("use the read_log tool", session=session)
    body = openai_server.requests[-1].body
    assert _tool_messages(body)[0]["content"] == LOG
    assert RECALL_TOOL not in [t["function"]["name"] for t in body["tools"]]


def test_offloaded_output_is_stored_with_the_session(
    openai_server: OpenAIServer, make_store: Callable[[], Store]
) -> None:
    store = make_store()
    session = ChatSession()
    with ChatAgent("openai", model=MODEL, tools=_tools(), offload_over_tokens=300) as agent:
        agent.chat("use the read_log tool", session=session)
        session.save(store)
        loaded = ChatSession.load(session.session_id, store=store)
        found = offloaded_text(next(m for m in loaded.messages if m.role == "tool"))
        assert found is not None and found[1] == LOG
        reply = agent.chat(_recall(found[0], 100, 40), session=loaded)
    assert LOG[100:140] in reply.content


async def test_the_async_agent_offloads_and_recalls_the_same(openai_server: OpenAIServer) -> None:
    session = ChatSession()
    async with AsyncChatAgent("openai", model=MODEL, tools=_tools(), offload_over_tokens=300) as agent:
        await agent.chat("use the read_log tool", session=session)
        found = offloaded_text(next(m for m in session.messages if m.role == "tool"))
        assert found is not None
        reply = await agent.chat(_recall(found[0], 500, 30), session=session)
    assert LOG[500:530] in reply.content
    _assert_every_call_has_its_result(session.messages)


def test_a_tool_named_like_the_builtin_is_refused() -> None:
    tools = ToolRegistry()

    @tools.tool(name=RECALL_TOOL)
    def mine(handle: str) -> str:
        """Clashes with the built-in."""
        return handle

    with pytest.raises(UsageError, match=RECALL_TOOL):
        ChatAgent("openai", model=MODEL, api_key="k", tools=tools, offload_over_tokens=10)
