"""SessionAwareToolProcessor: reply shapes, concurrency, timeouts, retries, cache, and what it records."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from sessionforge import SessionManager, ToolRegistry, track_tool_use
from sessionforge.core.events import EventType, SessionEvent
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.errors import ToolProcessingError, UsageError
from sessionforge.storage.session import Session
from sessionforge.tools.processor import SessionAwareToolProcessor, parse_tool_calls

EVENT_KEYS = {"tool", "arguments", "result", "error", "call_id"}


def openai_call(name: str, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        call["id"] = call_id
    return call


async def make(registry: ToolRegistry, **options: Any) -> SessionAwareToolProcessor:
    options.setdefault("retry_delay", 0)
    return await SessionAwareToolProcessor.create(session_id="s1", registry=registry, **options)


async def tool_events(session_id: str = "s1") -> list[SessionEvent]:
    session = await Session.load(session_id)
    assert session is not None
    return [e for e in session.events if e.type == EventType.TOOL_CALL]


# ---- reading replies ------------------------------------------------------------------------------


def test_reads_every_supported_reply_shape() -> None:
    expected = [("c1", "add", '{"a": 1}')]
    assert parse_tool_calls({"tool_calls": [openai_call("add", '{"a": 1}', "c1")]}) == expected
    completion = {
        "choices": [{"message": {"role": "assistant", "tool_calls": [openai_call("add", '{"a": 1}', "c1")]}}]
    }
    assert parse_tool_calls(completion) == expected
    anthropic = {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me add."},
            {"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1}},
        ],
    }
    assert parse_tool_calls(anthropic) == [("c1", "add", {"a": 1})]
    assert parse_tool_calls([ToolCall(id="c1", name="add", arguments={"a": 1})]) == [("c1", "add", {"a": 1})]
    message = ChatMessage.assistant(None, tool_calls=[ToolCall(id="c1", name="add", arguments={"a": 1})])
    assert parse_tool_calls(message) == [("c1", "add", {"a": 1})]
    responses_item = {"type": "function_call", "call_id": "c1", "name": "add", "arguments": '{"a": 1}'}
    assert parse_tool_calls([responses_item]) == expected
    assert parse_tool_calls({"role": "assistant", "content": "no tools needed"}) == []
    assert parse_tool_calls(None) == []


def test_reads_the_sdk_objects() -> None:
    completion_type = pytest.importorskip("openai.types.chat").ChatCompletion
    completion = completion_type.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "tool_calls": [openai_call("add", '{"a": 1}', "c1")]},
                }
            ],
        }
    )
    assert parse_tool_calls(completion) == [("c1", "add", '{"a": 1}')]
    assert parse_tool_calls(completion.choices[0].message) == [("c1", "add", '{"a": 1}')]
    message_type = pytest.importorskip("anthropic.types").Message
    message = message_type.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 1},
            "content": [{"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 2}}],
        }
    )
    assert parse_tool_calls(message) == [("t1", "add", {"a": 2})]


def test_something_that_is_not_a_reply_is_a_clear_error() -> None:
    with pytest.raises(ToolProcessingError, match="cannot read tool calls"):
        parse_tool_calls(42)


def test_rejects_meaningless_settings() -> None:
    registry = ToolRegistry()
    session = Session()
    with pytest.raises(UsageError):
        SessionAwareToolProcessor(session, registry, max_retries=-1)
    with pytest.raises(UsageError):
        SessionAwareToolProcessor(session, registry, timeout=0)


# ---- running --------------------------------------------------------------------------------------


async def test_creates_a_missing_session_and_resumes_an_existing_one() -> None:
    registry = ToolRegistry()
    assert await Session.load("s1") is None
    first = await make(registry)
    assert (await Session.load("s1")) is not None
    second = await make(registry)
    assert second.session_id == first.session_id == "s1"


async def test_anthropic_blocks_run_and_results_keep_call_order() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def wait_then_echo(text: str, delay: float) -> str:
        await asyncio.sleep(delay)
        return text

    processor = await make(registry)
    reply = {
        "content": [
            {
                "type": "tool_use",
                "id": "slow",
                "name": "wait_then_echo",
                "input": {"text": "a", "delay": 0.05},
            },
            {"type": "tool_use", "id": "fast", "name": "wait_then_echo", "input": {"text": "b", "delay": 0}},
        ]
    }
    results = await processor.process_llm_message(reply)
    assert [(r.call_id, r.result) for r in results] == [("slow", "a"), ("fast", "b")]
    assert [e.message["call_id"] for e in await tool_events()] == ["slow", "fast"]


async def test_async_tools_run_concurrently() -> None:
    registry = ToolRegistry()
    n = 5
    running = 0
    peak = 0
    everyone_in = asyncio.Event()

    @registry.tool
    async def gather_up(i: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == n:
            everyone_in.set()
        await everyone_in.wait()  # run one at a time and this never returns: a timeout says so
        running -= 1
        return i

    processor = await make(registry, timeout=5, max_retries=0)
    calls = [openai_call("gather_up", f'{{"i": {i}}}') for i in range(n)]
    results = await processor.process_llm_message({"tool_calls": calls})
    assert [r.result for r in results] == list(range(n))
    assert peak == n


async def test_sync_tools_run_concurrently_in_threads() -> None:
    registry = ToolRegistry()
    n = 4
    barrier = threading.Barrier(n, timeout=5)  # broken (an error) unless all n threads wait at once
    threads: set[int] = set()

    @registry.tool
    def meet(i: int) -> int:
        threads.add(threading.get_ident())
        barrier.wait()
        return i

    processor = await make(registry, timeout=10, max_retries=0)
    results = await processor.process_llm_message([{"name": "meet", "arguments": {"i": i}} for i in range(n)])
    assert [r.error for r in results] == [None] * n
    assert [r.result for r in results] == list(range(n))
    assert len(threads) == n
    assert threading.get_ident() not in threads


async def test_a_hanging_async_tool_times_out() -> None:
    registry = ToolRegistry()
    cancelled = asyncio.Event()

    @registry.tool
    async def hang() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    processor = await make(registry, timeout=0.05, max_retries=0)
    [result] = await processor.process_llm_message([{"name": "hang", "arguments": "{}"}])
    assert result.timed_out
    assert result.error == "tool 'hang' timed out after 0.05s"
    assert cancelled.is_set()
    [event] = await tool_events()
    assert event.message["error"] == result.error
    assert event.metadata["timed_out"] is True


async def test_a_hanging_sync_tool_times_out_without_blocking_the_loop() -> None:
    registry = ToolRegistry()
    release = threading.Event()

    @registry.tool
    def block() -> str:
        release.wait(10)
        return "late"

    processor = await make(registry, timeout=0.05, max_retries=1)
    try:
        [result] = await processor.process_llm_message([{"name": "block"}])
    finally:
        release.set()
    assert result.timed_out
    assert result.attempts == 2
    assert result.error == "tool 'block' timed out after 0.05s (gave up after 2 attempts)"
    assert result.retry_errors == ("tool 'block' timed out after 0.05s",)


async def test_a_tool_that_fails_twice_then_succeeds_is_retried_with_backoff() -> None:
    registry = ToolRegistry()
    calls = 0

    @registry.tool
    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError(f"try {calls}")
        return "ok"

    processor = await make(registry, max_retries=2, retry_delay=0.5)
    waits: list[float] = []

    async def record_wait(seconds: float) -> None:
        waits.append(seconds)

    processor._sleep = record_wait
    [result] = await processor.process_llm_message([{"name": "flaky"}])
    assert (result.result, result.error, result.attempts) == ("ok", None, 3)
    assert waits == [0.5, 1.0]
    [event] = await tool_events()
    assert event.message == {
        "tool": "flaky",
        "arguments": {},
        "result": "ok",
        "error": None,
        "call_id": result.call_id,
    }
    assert event.metadata["attempts"] == 3
    assert event.metadata["retries"] == 2
    assert event.metadata["retry_errors"] == [
        "tool 'flaky' failed: ConnectionError: try 1",
        "tool 'flaky' failed: ConnectionError: try 2",
    ]


async def test_a_tool_that_keeps_failing_gives_up_after_max_retries() -> None:
    registry = ToolRegistry()

    @registry.tool
    def broken() -> str:
        raise RuntimeError("kaboom")

    processor = await make(registry, max_retries=1)
    [result] = await processor.process_llm_message([{"name": "broken"}])
    assert result.attempts == 2
    assert result.result is None
    assert result.error == "tool 'broken' failed: RuntimeError: kaboom (gave up after 2 attempts)"
    assert result.to_message()["content"] == f"Error: {result.error}"


async def test_identical_calls_are_served_from_the_cache() -> None:
    registry = ToolRegistry()
    runs = 0

    @registry.tool
    async def lookup(city: str, days: int = 1) -> dict[str, Any]:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.01)
        return {"city": city, "days": days}

    processor = await make(registry)
    first = await processor.process_llm_message(
        {"tool_calls": [openai_call("lookup", '{"city": "Oslo", "days": 2}')]}
    )
    second = await processor.process_llm_message(
        {"tool_calls": [openai_call("lookup", '{"days": 2, "city": "Oslo"}')]}
    )
    assert runs == 1
    assert (first[0].cached, second[0].cached) == (False, True)
    assert second[0].attempts == 0
    assert second[0].result == first[0].result
    events = await tool_events()
    assert [e.metadata["cached"] for e in events] == [False, True]
    assert events[1].message["result"] == {"city": "Oslo", "days": 2}

    in_one_reply = [{"name": "lookup", "arguments": {"city": "Rome"}} for _ in range(3)]
    results = await processor.process_llm_message(in_one_reply)
    assert runs == 2
    assert sorted(r.cached for r in results) == [False, True, True]


async def test_failures_are_not_cached_and_caching_can_be_off() -> None:
    registry = ToolRegistry()
    runs = 0

    @registry.tool
    def count(fail: bool = False) -> int:
        nonlocal runs
        runs += 1
        if fail:
            raise ValueError("asked to fail")
        return runs

    processor = await make(registry, max_retries=0)
    await processor.process_llm_message([{"name": "count", "arguments": {"fail": True}}])
    await processor.process_llm_message([{"name": "count", "arguments": {"fail": True}}])
    assert runs == 2

    uncached = await make(registry, enable_caching=False)
    a = await uncached.process_llm_message([{"name": "count"}])
    b = await uncached.process_llm_message([{"name": "count"}])
    assert (a[0].result, b[0].result, b[0].cached) == (3, 4, False)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (openai_call("nope", "{}"), "unknown tool 'nope'; the tools available are: add"),
        (openai_call("add", '{"a": 1,'), "the arguments for tool 'add' are not valid JSON"),
        (openai_call("add", "[1, 2]"), "the arguments for tool 'add' must be a JSON object"),
        (
            openai_call("add", '{"a": "one"}'),
            "invalid arguments for tool 'add': a: Input should be a valid integer",
        ),
        (openai_call("add", "{}"), "invalid arguments for tool 'add': a: Field required"),
        (openai_call("add", '{"a": 1, "c": 2}'), "invalid arguments for tool 'add': c: Extra inputs"),
    ],
)
async def test_bad_calls_become_recorded_errors(call: dict[str, Any], error: str) -> None:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int = 2) -> int:
        return a + b

    processor = await make(registry)
    [result] = await processor.process_llm_message({"tool_calls": [call]})
    assert result.error is not None and result.error.startswith(error)
    assert result.attempts == 0
    [event] = await tool_events()
    assert set(event.message) == EVENT_KEYS
    assert event.message["error"] == result.error


async def test_a_bad_call_does_not_stop_the_good_ones() -> None:
    registry = ToolRegistry()

    @registry.tool
    def ok() -> str:
        return "fine"

    processor = await make(registry)
    results = await processor.process_llm_message([{"name": "missing"}, {"name": "ok"}])
    assert [r.ok for r in results] == [False, True]


async def test_the_callback_gets_the_results_as_tool_messages() -> None:
    registry = ToolRegistry()

    @registry.tool
    def double(x: int) -> int:
        return 2 * x

    received: list[list[dict[str, Any]]] = []

    async def callback(messages: list[dict[str, Any]]) -> None:
        received.append(messages)

    processor = await make(registry)
    await processor.process_llm_message({"tool_calls": [openai_call("double", '{"x": 4}', "c9")]}, callback)
    await processor.process_llm_message(
        {"tool_calls": [openai_call("double", '{"x": 5}', "c10")]}, received.append
    )
    assert received == [
        [{"role": "tool", "tool_call_id": "c9", "name": "double", "content": "8"}],
        [{"role": "tool", "tool_call_id": "c10", "name": "double", "content": "10"}],
    ]


# ---- one event shape for every writer -------------------------------------------------------------


async def test_processor_tool_used_and_track_tool_use_write_the_same_shape() -> None:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        return a + b

    processor = await make(registry)
    await processor.process_llm_message([{"name": "add", "arguments": {"a": 5, "b": 3}}])
    sm = SessionManager(session_id="s1")
    await sm.tool_used("add", {"a": 1, "b": 1}, 2)
    await track_tool_use("add", {"a": 2, "b": 2}, 4, session_id="s1", error=None)

    events = await tool_events()
    assert len(events) == 3
    assert all(set(e.message) == EVENT_KEYS for e in events)
    assert len({e.source for e in events}) == 1
    assert [e.message["result"] for e in events] == [8, 2, 4]
    stats = await SessionManager(session_id="s1").get_stats()
    assert stats["tool_calls"] == 3


async def test_conversation_replay_includes_processor_calls() -> None:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        return a + b

    processor = await make(registry)
    [result] = await processor.process_llm_message([{"name": "add", "arguments": {"a": 5, "b": 3}}])
    messages = await SessionManager(session_id="s1").get_messages_for_llm(include_system=False)
    assert messages[-1]["role"] == "tool"
    assert messages[-1]["tool_call_id"] == result.call_id
    assert messages[-1]["content"] == "8"


async def test_duration_is_measured() -> None:
    registry = ToolRegistry()

    @registry.tool
    def nap() -> None:
        time.sleep(0.01)

    processor = await make(registry)
    [result] = await processor.process_llm_message([{"name": "nap"}])
    assert result.duration_ms >= 10
    [event] = await tool_events()
    assert event.metadata["duration_ms"] == result.duration_ms


async def test_other_writers_between_replies_are_kept() -> None:
    registry = ToolRegistry()

    @registry.tool
    def ping() -> str:
        return "pong"

    processor = await make(registry, enable_caching=False)
    await processor.process_llm_message([{"name": "ping"}])
    await SessionManager(session_id="s1").user_says("meanwhile, another writer")
    await processor.process_llm_message([{"name": "ping"}])
    session = await Session.load("s1")
    assert session is not None
    kinds = [e.type for e in session.events]
    assert kinds == [EventType.TOOL_CALL, EventType.MESSAGE, EventType.TOOL_CALL]
    assert [e.seq for e in session.events] == sorted(e.seq for e in session.events if e.seq is not None)


async def test_retry_on_limits_retries_to_the_failures_worth_repeating() -> None:
    registry = ToolRegistry()
    runs = {"bad_input": 0, "flaky": 0}

    @registry.tool
    def bad_input() -> str:
        runs["bad_input"] += 1
        raise ValueError("no such city")

    @registry.tool
    def flaky() -> str:
        runs["flaky"] += 1
        if runs["flaky"] == 1:
            raise ConnectionError("reset")
        return "ok"

    processor = await make(registry, max_retries=3, retry_on=(ConnectionError, TimeoutError))
    bad, good = await processor.process_llm_message([{"name": "bad_input"}, {"name": "flaky"}])
    assert runs == {"bad_input": 1, "flaky": 2}
    assert (bad.attempts, bad.error) == (1, "tool 'bad_input' failed: ValueError: no such city")
    assert (good.attempts, good.result) == (2, "ok")
    events = await tool_events()
    assert [e.metadata["retries"] for e in events] == [0, 1]


async def test_the_cache_keeps_only_the_most_recently_used_results() -> None:
    registry = ToolRegistry()
    runs: list[int] = []

    @registry.tool
    def square(n: int) -> int:
        runs.append(n)
        return n * n

    processor = await make(registry, cache_size=2)
    for n in (1, 2, 1, 3, 1, 2):  # 3 evicts 2 (1 was used more recently); 2 then runs again
        await processor.process_llm_message([{"name": "square", "arguments": {"n": n}}])
    assert runs == [1, 2, 3, 2]
    assert len(processor.runner._cache) == 2
    assert processor.runner._key_locks == {}  # nothing in flight, nothing kept per key
    with pytest.raises(UsageError, match="cache_size"):
        await make(registry, cache_size=0)


async def test_a_long_result_is_offloaded_and_the_model_reads_it_back() -> None:
    registry = ToolRegistry()
    report = "".join(f"line {i:04d}: all systems nominal\n" for i in range(200))

    @registry.tool
    def fetch_report() -> str:
        return report

    @registry.tool
    def short() -> str:
        return "ok"

    processor = await make(registry, offload_over_chars=1000, preview_chars=100)
    sent: list[list[dict[str, Any]]] = []
    long_one, short_one = await processor.process_llm_message(
        [{"name": "fetch_report", "id": "c1"}, {"name": "short", "id": "c2"}], sent.append
    )
    handle = long_one.offload_handle
    assert handle is not None and short_one.offload_handle is None
    [to_model] = sent
    assert to_model[1]["content"] == "ok"
    notice = to_model[0]["content"]
    assert to_model[0]["tool_call_id"] == "c1"  # the call keeps its result
    assert handle in notice and "recall_tool_output" in notice
    assert notice.endswith(report[:100]) and len(notice) < 400
    [event, _] = await tool_events()
    assert event.message["result"] == report  # the store keeps it whole
    assert event.metadata["offload_handle"] == handle

    # Another processor on the same session (a later process) answers the recall from the store.
    later = await make(registry, offload_over_chars=1000)
    [piece] = await later.process_llm_message(
        [{"name": "recall_tool_output", "arguments": {"handle": handle, "start": 30, "length": 60}}]
    )
    assert piece.ok and piece.offload_handle is None
    assert piece.result == f"[{handle}: characters 30-90 of {len(report)}]\n{report[30:90]}"
    [missing] = await later.process_llm_message(
        [{"name": "recall_tool_output", "arguments": {"handle": "out_nope"}}]
    )
    assert missing.error is not None and handle in missing.error  # names the handles it knows
    recorded = await tool_events()
    assert [e.message["tool"] for e in recorded][-2:] == ["recall_tool_output", "recall_tool_output"]


async def test_without_offloading_recall_is_an_unknown_tool() -> None:
    processor = await make(ToolRegistry())
    [result] = await processor.process_llm_message([{"name": "recall_tool_output", "arguments": {}}])
    assert result.error is not None and "recall_tool_output" in result.error
    with pytest.raises(UsageError, match="offload_over_chars"):
        await make(ToolRegistry(), offload_over_chars=0)
