"""The OpenAI Agents SDK's ``Runner`` keeping its history in sessionforge, on every backend.

The real SDK runs its real chat-completions model against the OpenAI wire server, whose replies depend
on the whole conversation it receives (it recalls a name given earlier, calls a tool when asked), so
a reply shows whether the history really came back from the store.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, function_tool
from openai import AsyncOpenAI

from servers import GOOD_KEY, OpenAIServer
from sessionforge import ChatSession, SlidingWindowCompactor
from sessionforge.cli._digest import digest
from sessionforge.interop.adapters.openai_agents import OpenAIAgentsSession
from sessionforge.storage.base import Store, check_session_id
from sessionforge.storage.config import open_store
from sessionforge.storage.session import Session

MODEL = "gpt-4o-mini"
RUN = RunConfig(tracing_disabled=True)
TURN_SCRIPT = Path(__file__).with_name("agents_turn.py")


@function_tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _agent(server: OpenAIServer) -> Agent[Any]:
    client = AsyncOpenAI(base_url=f"{server.url}/v1", api_key=GOOD_KEY)
    return Agent(
        name="assistant",
        instructions="Be brief.",
        model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
        tools=[add],
    )


async def test_runner_history_lives_in_the_store(store: Store, openai_server: OpenAIServer) -> None:
    agent = _agent(openai_server)
    session = OpenAIAgentsSession("user/42", store, model=MODEL)
    used = [0, 0]
    for text in ("My name is Ada", 'use the add tool with {"a": 2, "b": 40}', "what is my name"):
        result = await Runner.run(agent, text, session=session, run_config=RUN)
        used[0] += result.context_wrapper.usage.input_tokens
        used[1] += result.context_wrapper.usage.output_tokens
    assert result.final_output == "Your name is Ada."
    sent = openai_server.last_body["messages"]
    assert [m["role"] for m in sent] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert sent[5] == {"role": "tool", "tool_call_id": sent[4]["tool_calls"][0]["id"], "content": "42"}

    # A new session object (as after a restart) gets back exactly the items the SDK stored.
    again = OpenAIAgentsSession("user/42", store, model=MODEL)
    assert await again.get_items() == await session.get_items()
    assert [i.get("type", "message") for i in await again.get_items(limit=3)] == [
        "message",
        "message",
        "message",
    ]

    # Tokens and cost: what the SDK reported, priced for the model.
    summary = await again.token_summary()
    assert (summary.total_prompt_tokens, summary.total_completion_tokens) == tuple(used)
    assert summary.total_estimated_cost_usd > 0

    # Every face and the inspector read the same conversation.
    chat = await ChatSession.aload(again.stored_id, store)
    assert [m.role for m in chat.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    assert chat.messages[4].text == "42"
    assert chat.session.total_cost == pytest.approx(summary.total_estimated_cost_usd)
    page = await digest(again.stored_id, store)
    assert page["face"] == "openai_agents"
    assert page["messages"] == 8 and page["cost_usd"] == pytest.approx(summary.total_estimated_cost_usd)


async def test_items_come_back_exactly_reasoning_and_ids_included(store: Store) -> None:
    items: list[dict[str, Any]] = [
        {"role": "user", "content": "hi"},
        {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "opaque"},
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Let me add.", "annotations": []}],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "add",
            "arguments": '{"a":1,"b":2}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "3"},
    ]
    session = OpenAIAgentsSession("exact", store)
    await session.add_items(items[:4])
    await session.add_items(items[4:])
    trailing = {"id": "rs_2", "type": "reasoning", "summary": []}
    await session.add_items([trailing])  # makes no message yet: kept in the session's state
    assert await session.get_items() == [*items, trailing]
    assert await OpenAIAgentsSession("exact", store).get_items() == [*items, trailing]

    # Other faces read the messages the importer's reader makes of them.
    chat = await ChatSession.aload("exact", store)
    assert [m.role for m in chat.messages] == ["user", "assistant", "assistant", "tool"]
    assert chat.messages[1].text == "Let me add." and chat.messages[2].tool_calls[0].id == "call_1"

    # Popping walks back item by item; nothing leaves the store.
    popped = [await session.pop_item() for _ in range(3)]
    assert popped == [trailing, items[4], items[3]]
    assert await session.get_items() == items[:3]
    assert await OpenAIAgentsSession("exact", store).get_items() == items[:3]
    stored = await Session.load("exact", store)
    assert stored is not None
    history = ChatSession._over(stored).history
    assert [m.role for m in history].count("tool") == 1  # the popped output is still in the log


async def test_clear_appends_and_can_be_undone(store: Store) -> None:
    session = OpenAIAgentsSession("clear-me", store)
    await session.add_items([{"role": "user", "content": "one"}, {"role": "assistant", "content": "two"}])
    before = len(await store.load(session.stored_id))
    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    assert len(await store.load(session.stored_id)) == before + 1  # one record appended, none removed
    await session.undo_compaction()
    assert [i["content"] for i in await session.get_items()] == ["one", "two"]


async def test_the_sdk_gets_the_compacted_view(store: Store, openai_server: OpenAIServer) -> None:
    agent = _agent(openai_server)
    session = OpenAIAgentsSession(
        "long", store, model=MODEL, max_tokens=120, compactor=SlidingWindowCompactor(window=4)
    )
    for i in range(8):
        await Runner.run(agent, f"tell me about topic number {i} please", session=session, run_config=RUN)
    sent = openai_server.last_body["messages"]
    assert len(sent) < 1 + 2 * 8  # the instructions and a window of the conversation, not all of it
    assert sent[-1]["content"] == "tell me about topic number 7 please"
    assert await session.view_tokens() <= 120
    chat = await ChatSession.aload("long", store)
    assert len(chat.history) == 16 and chat.compactions  # every turn is still stored
    assert len(await session.get_items()) < 16


async def test_a_fork_continues_apart(store: Store, openai_server: OpenAIServer) -> None:
    agent = _agent(openai_server)
    session = OpenAIAgentsSession("trunk", store, model=MODEL)
    await Runner.run(agent, "My name is Ada", session=session, run_config=RUN)
    branch = await session.fork("trunk/branch")
    await Runner.run(agent, "My name is Grace", session=branch, run_config=RUN)
    mine = await Runner.run(agent, "what is my name", session=session, run_config=RUN)
    theirs = await Runner.run(agent, "what is my name", session=branch, run_config=RUN)
    assert (mine.final_output, theirs.final_output) == ("Your name is Ada.", "Your name is Grace.")
    assert len(await store.load(branch.stored_id)) == 5  # its create record and its own 4 items: no copy


async def test_any_session_id_gets_its_own_session(store: Store) -> None:
    names = ["a/b", "a@2fb", "a.b", "a b", "ü" * 150, "ü" * 151, "user-42"]
    for name in names:
        await OpenAIAgentsSession(name, store).add_items([{"role": "user", "content": name}])
    for name in names:
        session = OpenAIAgentsSession(name, store)
        assert await session.get_items() == [{"role": "user", "content": name}]
        assert check_session_id(session.stored_id)
    assert OpenAIAgentsSession("user-42", store).stored_id == "user-42"  # plain ids stay as they are


async def test_two_processes_continue_one_session(shared_url: str, openai_server: OpenAIServer) -> None:
    store = open_store(shared_url)
    try:
        agent = _agent(openai_server)
        session = OpenAIAgentsSession("shared/1", store, model=MODEL)
        await Runner.run(agent, "My name is Ada", session=session, run_config=RUN)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(TURN_SCRIPT),
            shared_url,
            openai_server.url,
            "shared/1",
            "what is my name",
            "My name is Grace",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(child.communicate(), timeout=120)
        assert child.returncode == 0, err.decode()
        assert json.loads(out)[0] == "Your name is Ada."
        # The same session object takes in what the other process appended.
        result = await Runner.run(agent, "what is my name", session=session, run_config=RUN)
        assert result.final_output == "Your name is Grace."
        assert [i["content"] for i in await session.get_items() if i.get("role") == "user"] == [
            "My name is Ada",
            "what is my name",
            "My name is Grace",
            "what is my name",
        ]
    finally:
        await store.aclose()
