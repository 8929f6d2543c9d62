"""InfiniteConversationManager: segmentation, rolling summaries with their own cost, context building.

The three faces of infinite context (this manager, ``SessionManager(infinite_context=True)`` and
``track_infinite_conversation``) share one segmentation path; the last tests check that they
produce the same chain and summaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sessionforge import (
    EventSource,
    EventType,
    InfiniteConversationManager,
    SessionManager,
    SummarizationStrategy,
    track_infinite_conversation,
)
from sessionforge.context.summarize import segment_summary_request
from sessionforge.core.events import SessionEvent
from sessionforge.core.messages import ChatMessage
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.usage import estimate_cost
from sessionforge.errors import SessionNotFound, UsageError
from sessionforge.providers.openai import message_from_wire
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session
from sessionforge.storage.sqlite import SQLiteStore

MODEL = "gpt-4o"


class Callback:
    """The spec's ``llm_callback``: records each request (message dicts) and answers with a text."""

    def __init__(self, answer: str = "They discussed qubits.") -> None:
        self.answer = answer
        self.requests: list[list[dict[str, Any]]] = []

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        self.requests.append(messages)
        return f"{self.answer} ({len(self.requests)})"


class AsyncCallback(Callback):
    async def __call__(self, messages: list[dict[str, Any]]) -> str:  # type: ignore[override]
        return Callback.__call__(self, messages)


async def exchange(
    icm: InfiniteConversationManager,
    session_id: str,
    question: str,
    answer: str,
    callback: Any = None,
) -> str:
    session_id = await icm.process_message(session_id, question, EventSource.USER, callback, MODEL)
    return await icm.process_message(session_id, answer, EventSource.LLM, callback, MODEL)


def summary_events(session: Session) -> list[SessionEvent]:
    return [e for e in session.events if e.type == EventType.SUMMARY]


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


async def test_creates_the_session_under_the_given_id(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(store=store)
    sid = await icm.process_message("conv-1", "Hello", EventSource.USER)
    assert sid == "conv-1"
    loaded = await Session.load("conv-1", store)
    assert loaded is not None
    assert [e.message for e in loaded.events] == ["Hello"]


async def test_segments_by_turns(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(max_turns_per_segment=4, store=store)
    sid = "conv"
    ids = []
    for i, city in enumerate(["Oslo", "Lima", "Rome", "Cairo", "Quito"]):
        sid = await exchange(icm, sid, f"Tell me about {city}.", f"{city} is capital number {i}.")
        ids.append(sid)
    assert len(set(ids)) == 3  # segments of 2, 2 and 1 turns
    chain = await icm.get_session_chain(sid)
    assert [s.id for s in chain] == ["conv", ids[2], ids[4]]
    assert [s.parent_id for s in chain] == [None, "conv", ids[2]]
    assert [s.metadata.properties.get("segment_index", 0) for s in chain] == [0, 1, 2]
    history = await icm.get_full_conversation_history(sid)
    assert len(history) == 10
    assert history[0]["content"] == "Tell me about Oslo."


async def test_segments_by_tokens(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(token_threshold=30, max_turns_per_segment=100, store=store)
    sid = "conv"
    sid = await exchange(icm, sid, "word " * 30, "ok")
    assert sid == "conv"  # the threshold is checked before the next user message
    sid = await exchange(icm, sid, "short", "ok")
    assert sid != "conv"
    sid = await exchange(icm, sid, "short again", "ok")
    assert len(await icm.get_session_chain(sid)) == 2  # the new segment is far from full


async def test_a_summary_adds_only_its_own_text_to_the_segment(store: MemoryStore) -> None:
    """A summary's prompt tokens (the whole earlier segment) would refill every new segment."""
    callback = Callback("x " * 5)
    icm = InfiniteConversationManager(token_threshold=60, max_turns_per_segment=100, store=store)
    sid = await exchange(icm, "conv", "word " * 70, "ok", callback)
    sid = await exchange(icm, sid, "one", "ok", callback)
    sid = await exchange(icm, sid, "two", "ok", callback)
    assert len(await icm.get_session_chain(sid)) == 2
    assert len(callback.requests) == 1


async def test_a_summary_is_an_event_with_its_own_usage_and_cost(store: MemoryStore) -> None:
    callback = Callback()
    icm = InfiniteConversationManager(max_turns_per_segment=2, store=store)
    sid = await exchange(icm, "conv", "What is a qubit?", "A two-state quantum system.", callback)
    sid = await exchange(icm, sid, "And entanglement?", "Correlated qubits.", callback)
    chain = await icm.get_session_chain(sid)
    (summary,) = summary_events(chain[1])
    assert summary.source == EventSource.SYSTEM
    assert summary.message == "They discussed qubits. (1)"
    assert summary.metadata["summarized_session"] == "conv"
    assert summary.metadata["strategy"] == "basic"
    counter = counter_for_model(MODEL)
    request = [message_from_wire(m) for m in callback.requests[0]]
    usage = summary.token_usage
    assert usage is not None
    assert usage.prompt_tokens == counter.count_messages(request)
    assert usage.completion_tokens == counter.count_text(summary.message)
    assert usage.model == MODEL
    assert usage.estimated_cost_usd == pytest.approx(
        estimate_cost(MODEL, usage.prompt_tokens, usage.completion_tokens)
    )
    assert usage.estimated_cost_usd > 0
    # the summary's cost is part of the conversation's cost
    stats = await SessionManager(session_id=sid, store=store).get_stats(include_all_segments=True)
    turns = sum(
        e.token_usage.total_tokens
        for s in chain
        for e in s.events
        if e.token_usage is not None and e.type == EventType.MESSAGE
    )
    assert stats["total_tokens"] == turns + usage.total_tokens


@pytest.mark.parametrize("strategy", list(SummarizationStrategy))
async def test_each_strategys_prompt_reaches_the_callback(
    store: MemoryStore, strategy: SummarizationStrategy
) -> None:
    callback = Callback()
    icm = InfiniteConversationManager(max_turns_per_segment=2, summarization_strategy=strategy, store=store)
    sid = await exchange(icm, "conv", "What is a qubit?", "A two-state system.", callback)
    await exchange(icm, sid, "More?", "Later.", callback)
    (request,) = callback.requests
    expected = segment_summary_request(
        [ChatMessage.user("What is a qubit?"), ChatMessage.assistant("A two-state system.")],
        strategy,
        None,
        counter_for_model(MODEL),
    )
    assert request == [{"role": m.role, "content": m.text} for m in expected]


@pytest.mark.parametrize("callback_class", [Callback, AsyncCallback])
async def test_sync_and_async_callbacks(store: MemoryStore, callback_class: type[Callback]) -> None:
    callback = callback_class()
    icm = InfiniteConversationManager(max_turns_per_segment=2, store=store)
    sid = "conv"
    for i in range(3):
        sid = await exchange(icm, sid, f"Question {i}?", f"Answer {i}.", callback)
    chain = await icm.get_session_chain(sid)
    assert [summary_events(s)[0].message for s in chain[1:]] == [
        "They discussed qubits. (1)",
        "They discussed qubits. (2)",
    ]
    # the second summary is asked to fold in the first
    assert "They discussed qubits. (1)" in callback.requests[1][1]["content"]


async def test_without_a_callback_the_managers_summarizer_writes_the_summary(store: MemoryStore) -> None:
    seen: list[list[ChatMessage]] = []

    async def summarizer(request: list[ChatMessage]) -> str:
        seen.append(request)
        return "From the summarizer."

    icm = InfiniteConversationManager(max_turns_per_segment=2, store=store, summarizer=summarizer)
    sid = await exchange(icm, "conv", "Hi?", "Hello.")
    sid = await exchange(icm, sid, "Again?", "Yes.")
    (summary,) = summary_events((await icm.get_session_chain(sid))[1])
    assert summary.message == "From the summarizer."
    assert len(seen) == 1


async def test_the_extractive_default_costs_nothing(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(max_turns_per_segment=2, store=store)
    sid = await exchange(icm, "conv", "My name is Ana and I live in Porto.", "Noted, Ana.")
    sid = await exchange(icm, sid, "Where do I live?", "In Porto.")
    (summary,) = summary_events((await icm.get_session_chain(sid))[1])
    assert "Porto" in summary.message
    assert summary.token_usage is not None
    assert summary.token_usage.prompt_tokens == 0  # no model read the request
    assert summary.token_usage.completion_tokens > 0  # but the summary fills the segment
    assert summary.token_usage.estimated_cost_usd == 0.0


async def test_build_context_with_and_without_summaries(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(max_turns_per_segment=6, store=store)
    sid = "conv"
    for i in range(4):
        sid = await exchange(icm, sid, f"Question {i}?", f"Answer {i}.", Callback("Earlier: Q0-Q2."))
    with_summary = await icm.build_context_for_llm(sid, max_messages=10, include_summaries=True)
    assert with_summary == [
        {"role": "system", "content": "Summary of the earlier conversation: Earlier: Q0-Q2. (1)"},
        {"role": "user", "content": "Question 3?"},
        {"role": "assistant", "content": "Answer 3."},
    ]
    without = await icm.build_context_for_llm(sid, max_messages=10, include_summaries=False)
    assert without == with_summary[1:]
    assert await icm.build_context_for_llm(sid, max_messages=1) == [with_summary[0], with_summary[2]]


async def test_build_context_keeps_a_tool_result_with_its_call(store: MemoryStore) -> None:
    sm = SessionManager(system_prompt="Be brief.", store=store, infinite_context=True)
    await sm.user_says("Add 2 and 3.")
    await sm.tool_used("add", {"a": 2, "b": 3}, 5)
    await sm.ai_responds("5", model=MODEL)
    icm = InfiniteConversationManager(store=store)
    context = await icm.build_context_for_llm(sm.session_id, max_messages=2)
    assert [m["role"] for m in context] == ["system", "assistant"]  # the orphan tool result is left out
    context = await icm.build_context_for_llm(sm.session_id, max_messages=3)
    assert [m["role"] for m in context] == ["system", "assistant", "tool", "assistant"]
    assert context[0]["content"] == "Be brief."


async def test_system_messages_are_recorded(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(store=store)
    await icm.process_message("conv", "Answer in French.", EventSource.SYSTEM)
    await icm.process_message("conv", "Hello", EventSource.USER)
    context = await icm.build_context_for_llm("conv")
    assert context == [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
    ]


async def test_reading_an_unknown_session_raises(store: MemoryStore) -> None:
    icm = InfiniteConversationManager(store=store)
    with pytest.raises(SessionNotFound):
        await icm.build_context_for_llm("missing")
    with pytest.raises(SessionNotFound):
        await icm.get_session_chain("missing")
    with pytest.raises(UsageError):
        InfiniteConversationManager(token_threshold=0)


async def test_a_restart_resumes_the_chain_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    first = SQLiteStore(path)
    icm = InfiniteConversationManager(max_turns_per_segment=4, store=first)
    sid = "conv"
    for i in range(3):
        sid = await exchange(icm, sid, f"Question {i}?", f"Answer {i}.", Callback())
    await first.aclose()

    second = SQLiteStore(path)  # a new process: nothing kept in memory
    icm = InfiniteConversationManager(max_turns_per_segment=4, store=second)
    sid = await exchange(icm, sid, "Question 3?", "Answer 3.", Callback())
    sid = await exchange(icm, sid, "Question 4?", "Answer 4.", Callback())
    chain = await icm.get_session_chain(sid)
    assert len(chain) == 3  # the resumed segment knew it held one turn and took one more
    history = await icm.get_full_conversation_history(sid)
    assert [t["content"] for t in history[::2]] == [f"Question {i}?" for i in range(5)]
    await second.aclose()


async def test_session_manager_and_simple_api_segment_the_same_way(store: MemoryStore) -> None:
    turns = [(f"Question {i}?", f"Answer {i}.") for i in range(3)]

    icm = InfiniteConversationManager(
        max_turns_per_segment=2, store=store, summarization_strategy="key_points"
    )
    icm_callback = Callback()
    sid = "icm"
    for question, answer in turns:
        sid = await exchange(icm, sid, question, answer, icm_callback)
    by_icm = await icm.get_session_chain(sid)

    callback = Callback()
    sm = SessionManager(
        store=store,
        infinite_context=True,
        max_turns_per_segment=2,
        summarization_strategy="key_points",
        llm_callback=callback,
        model=MODEL,
    )
    for question, answer in turns:
        await sm.user_says(question)
        await sm.ai_responds(answer, model=MODEL)
    by_manager = await sm.get_segments()

    api_callback = Callback()
    api_sid: str | None = None
    for question, answer in turns:
        api_sid = await track_infinite_conversation(
            question,
            answer,
            session_id=api_sid,
            model=MODEL,
            max_turns=2,
            store=store,
            summarization_strategy=SummarizationStrategy.KEY_POINTS,
            llm_callback=api_callback,
        )
    assert api_sid is not None
    by_api = await icm.get_session_chain(api_sid)

    def shape(chain: list[Session]) -> list[list[tuple[str, Any]]]:
        return [[(e.type.value, e.message) for e in s.events] for s in chain]

    assert shape(by_icm) == shape(by_manager) == shape(by_api)
    assert len(by_icm) == 3
    assert icm_callback.requests == callback.requests == api_callback.requests
    assert "key points" in callback.requests[0][0]["content"]


async def test_two_writers_closing_the_same_full_segment_continue_in_one_child(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    seed = InfiniteConversationManager(max_turns_per_segment=4, store=SQLiteStore(path))
    sid = "conv"
    for i in range(2):
        sid = await exchange(seed, sid, f"Question {i}?", f"Answer {i}.")
    assert sid == "conv"  # full, not yet closed: the next user message closes it

    # Two processes (separate stores on one file, nothing shared in memory) resume the full segment
    # and each takes the next user message at the same time.
    writers = [
        InfiniteConversationManager(max_turns_per_segment=4, store=SQLiteStore(path)) for _ in range(2)
    ]
    a = await writers[0].process_message(sid, "From A?", EventSource.USER, Callback("A's summary"), MODEL)
    b = await writers[1].process_message(sid, "From B?", EventSource.USER, Callback("B's summary"), MODEL)
    assert a == b != sid

    reader = SQLiteStore(path)
    root = await Session.load(sid, reader)
    child = await Session.load(a, reader)
    assert root is not None and child is not None
    assert root.child_ids == [a]  # one link, written once
    [summary] = summary_events(child)
    assert summary.message == "A's summary (1)"  # the first writer's summary stands
    assert [e.message for e in child.events if e.type == EventType.MESSAGE] == ["From A?", "From B?"]
    chain = await InfiniteConversationManager(store=reader).get_session_chain(a)
    assert [s.id for s in chain] == [sid, a]


async def test_a_manager_follows_a_segment_another_writer_closed(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    a = SessionManager(infinite_context=True, max_turns_per_segment=4, store=SQLiteStore(path))
    await a.user_says("Question 0?")
    await a.ai_responds("Answer 0.", model=MODEL)
    root = a.session_id
    b = SessionManager(
        session_id=root, infinite_context=True, max_turns_per_segment=4, store=SQLiteStore(path)
    )
    assert (await b.get_stats())["user_messages"] == 1  # b reads the segment with one turn in it

    await a.user_says("Question 1?")  # fills the root
    await a.ai_responds("Answer 1.", model=MODEL)
    await a.user_says("Question 2 (from A)?")  # closes the root, continues in its successor
    await a.ai_responds("Answer 2.", model=MODEL)
    assert a.session_id != root
    await b.user_says("Question 3 (from B)?")  # b's view is stale: it must not write to the root
    assert b.session_id == a.session_id
    await b.ai_responds("Answer 3.", model=MODEL)

    reader = SessionManager(session_id=a.session_id, infinite_context=True, store=SQLiteStore(path))
    assert await reader.get_session_chain() == [root, a.session_id]
    history = await reader.get_conversation(include_all_segments=True)
    assert [m["content"] for m in history if m["role"] == "user"] == [
        "Question 0?",
        "Question 1?",
        "Question 2 (from A)?",
        "Question 3 (from B)?",
    ]
