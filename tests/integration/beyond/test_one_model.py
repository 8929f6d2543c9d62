"""One conversation model under every face.

A conversation is written through one face (ChatSession, SessionManager, the simple API, the tool
processor, infinite context), then continued and compacted through another, and read back through
every face: each shows the same messages in the same order, the same compacted view and the same
token totals, on every backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sessionforge import (
    ChatMessage,
    ChatSession,
    ChukSessionsStore,
    EventSource,
    InfiniteConversationManager,
    SessionAwareToolProcessor,
    SessionManager,
    SlidingWindowCompactor,
    TokenUsage,
    ToolCall,
    ToolRegistry,
    get_session_stats,
    track_conversation,
    track_tool_use,
)
from sessionforge.core.events import USAGE_KEY
from sessionforge.core.projection import transcript
from sessionforge.providers.openai import message_to_wire
from sessionforge.storage.base import Store
from sessionforge.storage.session import Session

MODEL = "gpt-4o-mini"
SYSTEM = "You answer about the weather."


def _reply(text: str, prompt_tokens: int) -> ChatMessage:
    usage = TokenUsage.of(prompt_tokens, len(text.split()), model=MODEL, provider="openai")
    return ChatMessage.assistant(text, metadata={USAGE_KEY: usage.model_dump(mode="json")})


# ---- writers: each returns the id of the session it wrote -------------------------------------------


async def write_chat_session(store: Store) -> str:
    chat = ChatSession(system_prompt=SYSTEM, model=MODEL)
    for i in range(4):
        chat.add_message(ChatMessage.user(f"what is the weather in city {i}?"))
        chat.add_message(_reply(f"city {i} is sunny", 20 + i))
    call = ToolCall(id="call_w1", name="forecast", arguments={"city": "Oslo"})
    chat.add_message(ChatMessage.assistant(None, tool_calls=[call]))
    chat.add_message(ChatMessage.tool('{"sky": "clear"}', tool_call_id="call_w1", name="forecast"))
    chat.add_message(_reply("Oslo is clear", 40))
    await chat.asave(store)
    return chat.session_id


async def write_manager(store: Store) -> str:
    sm = SessionManager(system_prompt=SYSTEM, store=store, model=MODEL)
    for i in range(4):
        await sm.user_says(f"what is the weather in city {i}?")
        await sm.ai_responds(f"city {i} is sunny", model=MODEL)
    await sm.tool_used("forecast", {"city": "Oslo"}, {"sky": "clear"}, call_id="call_w1")
    await sm.ai_responds("Oslo is clear", model=MODEL)
    return sm.session_id


async def write_simple_api(store: Store) -> str:
    session_id: str | None = None
    for i in range(4):
        session_id = await track_conversation(
            f"what is the weather in city {i}?",
            f"city {i} is sunny",
            model=MODEL,
            session_id=session_id,
            store=store,
        )
    assert session_id is not None
    await track_tool_use("forecast", {"city": "Oslo"}, {"sky": "clear"}, session_id=session_id, store=store)
    return session_id


async def write_tool_processor(store: Store) -> str:
    registry = ToolRegistry()

    @registry.tool
    def forecast(city: str) -> dict[str, Any]:
        """The sky over a city."""
        return {"city": city, "sky": "clear"}

    sm = SessionManager(system_prompt=SYSTEM, store=store, model=MODEL)
    await sm.user_says("what is the weather in Oslo?")
    processor = await SessionAwareToolProcessor.create(sm.session_id, registry, store=store)
    reply = {
        "tool_calls": [{"id": "call_p1", "function": {"name": "forecast", "arguments": '{"city": "Oslo"}'}}]
    }
    [result] = await processor.process_llm_message(reply)
    assert result.ok
    await sm.refresh()
    await sm.ai_responds("Oslo is clear", model=MODEL)
    return sm.session_id


async def write_infinite_context(store: Store) -> str:
    icm = InfiniteConversationManager(token_threshold=10_000, max_turns_per_segment=2, store=store)
    session_id = "weather-chain"
    for i in range(5):
        session_id = await icm.process_message(
            session_id, f"what is the weather in city {i}?", EventSource.USER, model=MODEL
        )
        session_id = await icm.process_message(session_id, f"city {i} is sunny", EventSource.LLM, model=MODEL)
    return session_id


WRITERS: dict[str, Callable[[Store], Awaitable[str]]] = {
    "chat_session": write_chat_session,
    "manager": write_manager,
    "simple_api": write_simple_api,
    "tool_processor": write_tool_processor,
    "infinite_context": write_infinite_context,
}


# ---- continuing: one more turn and a compaction through a face -----------------------------------


async def continue_with_chat_session(store: Store, session_id: str) -> None:
    chat = await ChatSession.aload(session_id, store)
    chat.use_model(MODEL)
    chat.add_message(ChatMessage.user("and tomorrow?"))
    chat.add_message(_reply("rain tomorrow", 50))
    chat.compactor = SlidingWindowCompactor(window=2)
    chat.compact(10_000)
    await chat.asave(store)


async def continue_with_manager(store: Store, session_id: str) -> None:
    sm = SessionManager(session_id=session_id, store=store, model=MODEL)
    await sm.user_says("and tomorrow?")
    await sm.ai_responds("rain tomorrow", model=MODEL)
    await sm.compact(10_000, SlidingWindowCompactor(window=2))


CONTINUERS: dict[str, Callable[[Store, str], Awaitable[None]]] = {
    "chat_session": continue_with_chat_session,
    "manager": continue_with_manager,
}


# ---- reading back through every face -------------------------------------------------------------


def _wire(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    return [message_to_wire(m) for m in messages]


async def read_everything(store: Store, session_id: str) -> dict[str, Any]:
    """What each face shows of the session: the view the model gets and the token total."""
    chat = await ChatSession.aload(session_id, store, model=MODEL)
    sm = SessionManager(session_id=session_id, store=store, model=MODEL)
    session = await ChukSessionsStore(store).get(session_id)
    assert session is not None
    icm = InfiniteConversationManager(store=store)
    context = await icm.build_context_for_llm(session_id, max_messages=10_000)
    stats = await get_session_stats(session_id, store=store)
    return {
        "view": {
            "chat_session": _wire(chat.messages),
            "manager": await sm.get_messages_for_llm(),
            "infinite_context": context,
        },
        "history": {
            "chat_session": _wire(chat.history),
            "session": _wire(transcript(session)),
        },
        "tokens": {
            "chat_session": chat.session.total_tokens,
            "manager": (await sm.get_stats())["total_tokens"],
            "simple_api": stats["total_tokens"],
            "session": session.total_tokens,
        },
    }


def _assert_faces_agree(seen: dict[str, Any]) -> None:
    for aspect, by_face in seen.items():
        values = list(by_face.values())
        assert all(v == values[0] for v in values), f"faces disagree on {aspect}: {by_face}"


@pytest.mark.parametrize("writer", list(WRITERS))
async def test_every_face_reads_what_any_face_wrote(store: Store, writer: str) -> None:
    session_id = await WRITERS[writer](store)
    seen = await read_everything(store, session_id)
    _assert_faces_agree(seen)
    view = seen["view"]["manager"]
    if writer == "infinite_context":  # the current segment opens with the summary of the earlier ones
        assert view[0]["content"].startswith("Summary of the earlier conversation: ")
        assert "city 0" in view[0]["content"] and "city 0" not in str(view[1:])
    elif writer != "simple_api":  # the simple API records no system prompt
        assert view[0] == {"role": "system", "content": SYSTEM}
    assert any(m["role"] == "user" for m in view)
    assert seen["tokens"]["manager"] > 0


@pytest.mark.parametrize("continuer", list(CONTINUERS))
@pytest.mark.parametrize("writer", list(WRITERS))
async def test_any_face_continues_and_compacts_what_another_wrote(
    store: Store, writer: str, continuer: str
) -> None:
    session_id = await WRITERS[writer](store)
    before = await read_everything(store, session_id)
    await CONTINUERS[continuer](store, session_id)
    after = await read_everything(store, session_id)
    _assert_faces_agree(after)
    history = after["history"]["session"]
    assert history[: len(before["history"]["session"])] == before["history"]["session"]  # nothing lost
    assert [m["content"] for m in history[-2:]] == ["and tomorrow?", "rain tomorrow"]
    view = after["view"]["manager"]
    assert [m["content"] for m in view if m["role"] != "system"] == ["and tomorrow?", "rain tomorrow"]
    assert len(view) < len(history)  # compacted: the view is shorter than what is stored
    stored = await Session.load(session_id, store)
    assert stored is not None and any(e.type.value == "compaction" for e in stored.events)
