"""SessionManager: exact accounting, append-only turns, resume, segmentation; the simple API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from sessionforge import (
    SessionManager,
    get_conversation_history,
    get_session_stats,
    quick_conversation,
    track_conversation,
    track_infinite_conversation,
    track_llm_call,
    track_tool_use,
)
from sessionforge._meta import is_available
from sessionforge.core.messages import ChatMessage
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.usage import estimate_cost
from sessionforge.errors import SessionNotFound
from sessionforge.storage.memory import MemoryStore

STATS_KEYS = {
    "session_id",
    "total_messages",
    "user_messages",
    "ai_messages",
    "tool_calls",
    "total_tokens",
    "estimated_cost",
    "session_segments",
    "created_at",
    "last_update",
    "infinite_context",
}


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.appended: list[int] = []
        self.loads = 0

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        self.appended.append(len(records))
        return await super().append(session_id, records)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> Any:
        self.loads += 1
        return await super().load(session_id, after_seq, limit)


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


async def test_stats_count_exactly_and_price(store: CountingStore) -> None:
    sm = SessionManager(system_prompt="You help.", store=store)
    question, answer = "How do I reverse a list?", "Use reversed(xs) or xs[::-1]."
    await sm.user_says(question)
    await sm.ai_responds(answer, model="gpt-4o", provider="openai")
    await sm.tool_used("python", {"code": "[1,2][::-1]"}, {"output": "[2, 1]"})
    stats = await sm.get_stats()
    assert stats.keys() >= STATS_KEYS
    q = counter_for_model("gpt-3.5-turbo").count_text(question)
    a = counter_for_model("gpt-4o").count_text(answer)
    assert stats["total_tokens"] == q + a
    # The user's message carries its tokens, not a price: it is billed in the call that reads it.
    assert stats["estimated_cost"] == pytest.approx(estimate_cost("gpt-4o", 0, a, "openai"))
    assert (stats["user_messages"], stats["ai_messages"], stats["tool_calls"]) == (1, 1, 1)
    assert stats["total_messages"] == 2
    assert stats["session_segments"] == 1
    assert stats["infinite_context"] is False


async def test_each_call_appends_one_record_and_never_reloads(store: CountingStore) -> None:
    sm = SessionManager(store=store)
    await sm.user_says("first")
    loads_after_create = store.loads
    store.appended.clear()
    for i in range(20):
        await sm.user_says(f"question {i}")
        await sm.ai_responds(f"answer {i}", model="gpt-4o")
    assert store.appended == [1] * 40
    assert store.loads == loads_after_create


async def test_messages_for_llm_pair_tool_calls_with_results(store: CountingStore) -> None:
    sm = SessionManager(system_prompt="sys", store=store)
    await sm.user_says("add 5 and 3")
    await sm.tool_used("calculator", {"a": 5, "b": 3}, {"result": 8})
    await sm.tool_used("calculator", {"a": 1}, None, error="missing b")
    await sm.ai_responds("8", model="gpt-4o")
    messages = await sm.get_messages_for_llm()
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    call = messages[2]["tool_calls"][0]
    assert call["function"] == {"name": "calculator", "arguments": '{"a":5,"b":3}'}
    assert messages[3]["tool_call_id"] == call["id"]
    assert messages[3]["content"] == '{"result": 8}'
    assert messages[5]["content"] == "Error: missing b"
    assert (await sm.get_messages_for_llm(include_system=False))[0]["role"] == "user"


async def test_tool_event_shape(store: CountingStore) -> None:
    sm = SessionManager(store=store)
    await sm.tool_used("search", {"q": "x"}, ["r"], call_id="call_1")
    assert sm.session is not None
    assert sm.session.events[-1].message == {
        "tool": "search",
        "arguments": {"q": "x"},
        "result": ["r"],
        "error": None,
        "call_id": "call_1",
    }


async def test_system_prompt_is_stored_and_updated(store: CountingStore) -> None:
    sm = SessionManager(system_prompt="one", store=store)
    assert sm._is_new is True
    await sm.user_says("hi")
    await sm.update_system_prompt("two")
    assert (await sm.get_messages_for_llm())[0] == {"role": "system", "content": "two"}
    resumed = SessionManager(session_id=sm.session_id, store=store)
    assert resumed._is_new is False
    await resumed.get_stats()
    assert resumed.system_prompt == "two"


async def test_resume_continues_the_same_session(store: CountingStore) -> None:
    sm = SessionManager(store=store, metadata={"user": "u"})
    await sm.user_says("hello")
    await sm.ai_responds("hi", model="gpt-4o")
    resumed = SessionManager(session_id=sm.session_id, store=store)
    await resumed.user_says("again")
    stats = await resumed.get_stats()
    assert stats["user_messages"] == 2
    assert stats["ai_messages"] == 1
    assert [t["content"] for t in await resumed.get_conversation()] == ["hello", "hi", "again"]
    conversation = await resumed.get_conversation()
    assert {"role", "content", "timestamp"} == set(conversation[0])


async def test_unknown_session_id_raises(store: CountingStore) -> None:
    with pytest.raises(SessionNotFound):
        await SessionManager(session_id="nope", store=store).user_says("hi")


async def test_segments_by_turns_with_a_summary(store: CountingStore) -> None:
    sm = SessionManager(system_prompt="sys", store=store, infinite_context=True, max_turns_per_segment=4)
    first_id = sm.session_id
    cities = ["Oslo", "Lima", "Rome", "Cairo", "Quito"]
    for city in cities:
        await sm.user_says(f"Tell me about {city}.")
        await sm.ai_responds(f"{city} is a capital.", model="gpt-4o")
    chain = await sm.get_session_chain()
    assert len(chain) == 3
    assert chain[0] == first_id
    assert chain[-1] == sm.session_id
    stats = await sm.get_stats(include_all_segments=True)
    assert stats["session_segments"] == 3
    assert stats["user_messages"] == 5
    assert stats["ai_messages"] == 5
    assert len(await sm.get_conversation(include_all_segments=True)) == 10
    assert len(await sm.get_conversation()) == 2
    messages = await sm.get_messages_for_llm()
    assert messages[0] == {"role": "system", "content": "sys"}
    assert messages[1]["role"] == "system"
    assert "Rome" in messages[1]["content"]
    assert "Oslo" in messages[1]["content"]  # the summary rolls: it folds in the one before
    # the chain is readable from the store alone, e.g. after a restart
    resumed = SessionManager(session_id=sm.session_id, store=store)
    assert await resumed.get_session_chain() == chain
    assert (await resumed.get_stats(include_all_segments=True))["total_tokens"] == stats["total_tokens"]
    assert resumed.system_prompt == "sys"


async def test_segments_by_tokens_with_an_async_summarizer(store: CountingStore) -> None:
    seen: list[list[ChatMessage]] = []

    async def summarizer(messages: list[ChatMessage]) -> str:
        seen.append(messages)
        return f"summary {len(seen)}"

    sm = SessionManager(
        store=store,
        infinite_context=True,
        token_threshold=20,
        max_turns_per_segment=100,
        summarizer=summarizer,
    )
    for _ in range(3):
        await sm.user_says("word " * 20)  # 20+ tokens: every turn fills a segment
        await sm.ai_responds("ok", model="gpt-4o")
    assert len(await sm.get_session_chain()) == 3
    assert len(seen) == 2
    assert [len(m) for m in seen] == [2, 2]  # a summarization request: instructions, transcript
    assert "<previous_summary>\nsummary 1" in seen[1][-1].text  # the earlier summary is folded in
    assert "summary 2" in (await sm.get_messages_for_llm())[0]["content"]


async def test_tool_results_fill_a_segment_though_they_carry_no_usage(store: CountingStore) -> None:
    sm = SessionManager(store=store, infinite_context=True, token_threshold=200, max_turns_per_segment=100)
    await sm.user_says("look it up")
    for n in range(10):  # ten results of ~40 tokens each: no model call was charged for them
        await sm.tool_used("search", {"q": f"query {n}"}, {"hits": ["result text " * 10]})
    assert len(await sm.get_session_chain()) == 1
    await sm.user_says("and now?")  # the segment the model would read is over the threshold
    assert len(await sm.get_session_chain()) == 2


def test_properties_before_first_use() -> None:
    sm = SessionManager(system_prompt="p", infinite_context=True)
    assert sm.session_id
    assert sm.system_prompt == "p"
    assert sm.is_infinite
    assert sm._is_new


async def test_simple_api_round_trip() -> None:
    sid = await track_conversation("Hello!", "Hi there!", model="gpt-4o")
    sid = await track_conversation("More?", "Sure.", session_id=sid)
    sid = await track_tool_use("calculator", {"a": 1}, {"r": 1}, session_id=sid)
    stats = await get_session_stats(sid)
    assert (stats["user_messages"], stats["ai_messages"], stats["tool_calls"]) == (2, 2, 1)
    history = await get_conversation_history(sid)
    assert [t["content"] for t in history] == ["Hello!", "Hi there!", "More?", "Sure."]
    with pytest.raises(SessionNotFound):
        await track_conversation("x", "y", session_id="missing")
    with pytest.raises(SessionNotFound):
        await get_session_stats("missing")


async def test_track_llm_call_accepts_sync_and_async_functions() -> None:
    async def async_llm(prompt: str) -> str:
        return f"async: {prompt}"

    response, sid = await track_llm_call("ping", async_llm, model="gpt-4o")
    assert response == "async: ping"
    response, sid2 = await track_llm_call("pong", lambda p: f"sync: {p}", session_id=sid)
    assert response == "sync: pong"
    assert sid2 == sid
    assert len(await get_conversation_history(sid)) == 4


async def test_quick_conversation_and_infinite_tracking() -> None:
    stats = await quick_conversation("Explain X", "X is...", model="gpt-4")
    assert stats["total_tokens"] > 0
    assert stats["estimated_cost"] > 0
    sid = None
    for i in range(3):
        sid = await track_infinite_conversation(f"q{i}", f"a{i}", session_id=sid, max_turns=2)
    assert sid is not None
    stats = await get_session_stats(sid, include_all_segments=True)
    assert stats["session_segments"] == 3
    assert stats["user_messages"] == 3


def test_is_available_reports_this_branchs_components() -> None:
    available = is_available()
    for component in (
        "core_enums",
        "core_models",
        "simple_api",
        "storage",
        "token_tracking",
        "exceptions",
        "session_manager",
        "infinite_context",
        "prompt_builder",
    ):
        assert available[component] is True
    # tool_processor comes from a module built on another branch.


async def test_concurrent_first_calls_create_one_session(store: CountingStore) -> None:
    import asyncio

    sm = SessionManager(store=store)
    await asyncio.gather(*(sm.user_says(f"m{i}") for i in range(5)))
    assert await store.list_sessions() == [sm.session_id]
    stats = await SessionManager(session_id=sm.session_id, store=store).get_stats()
    assert stats["user_messages"] == 5


async def test_simple_api_continuing_reads_only_new_records() -> None:
    class LoadSizes(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.loaded: list[int] = []

        async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> Any:
            records = await super().load(session_id, after_seq, limit)
            self.loaded.append(len(records))
            return records

    store = LoadSizes()
    sid = await track_conversation("q0", "a0", store=store)
    for i in range(1, 30):
        store.loaded.clear()
        sid = await track_conversation(f"q{i}", f"a{i}", session_id=sid, store=store)
        assert sum(store.loaded) <= 1, store.loaded  # the last known record only, not the history

    # another writer's turn is seen by the next call
    other = SessionManager(session_id=sid, store=store)
    await other.user_says("from another process")
    stats = await get_session_stats(sid, store=store)
    assert stats["user_messages"] == 31
    await store.delete(sid)
    with pytest.raises(SessionNotFound):
        await track_conversation("q", "a", session_id=sid, store=store)


async def test_requests_are_built_incrementally_and_callers_get_their_own_dicts(store: CountingStore) -> None:
    from sessionforge.providers.openai import message_to_wire

    manager = SessionManager(system_prompt="Be brief.", store=store)
    await manager.user_says("What is 2+2?")
    await manager.ai_responds("4", model="gpt-4o")
    first = await manager.get_messages_for_llm()
    first[1]["content"] = "changed by the caller"
    await manager.tool_used("calc", {"x": 1}, {"y": 2}, call_id="c1")
    await manager.user_says("And 3+3?")
    second = await manager.get_messages_for_llm()
    assert second == [message_to_wire(m) for m in await manager.get_messages()]
    assert second[1]["content"] == "What is 2+2?"
    assert [m["role"] for m in second] == ["system", "user", "assistant", "assistant", "tool", "user"]
    assert await manager.get_messages_for_llm(include_system=False) == second[1:]
