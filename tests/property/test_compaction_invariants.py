"""The compaction invariants, checked on random conversations with tool calls, for every compactor.

Invariants: the result fits the target; every system message is kept; the newest user message is
kept; no tool call without its results and no result without its call; nothing reordered. When the
pinned messages alone cannot fit, ContextOverflowError is the only acceptable outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionforge.context._text import TRUNCATION_MARK, with_content
from sessionforge.context.compactors import SlidingWindowCompactor, TruncateCompactor
from sessionforge.context.prompts import (
    truncate_prompt_to_token_limit,
)
from sessionforge.context.summarize import (
    SummarizeCompactor,
    ToolOutputPruningCompactor,
    extractive_summarizer,
    is_summary,
)
from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.core.tokens import TokenCounter, counter_for_model
from sessionforge.core.units import newest_user_index, split_units
from sessionforge.errors import ContextOverflowError
from sessionforge.providers.openai import message_from_wire, message_to_wire

COUNTER = counter_for_model("gpt-4o")

WORDS = [
    "the", "budget", "is", "Priya", "decided", "42", "2026-03-01", "deploy", "on", "Friday",
    "日本語", "数据库", "😀", "🚀", "naïve", "café", "\n", "x", "ok.", "why?", "Δ", "مرحبا",
]  # fmt: skip

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=40).map(" ".join)
long_texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=400).map(" ".join)


@st.composite
def conversations(draw: st.DrawFn) -> list[ChatMessage]:
    """System prompt(s), then user text, assistant text and tool rounds (1-3 calls, each answered)."""
    messages = [ChatMessage.system(draw(texts)) for _ in range(draw(st.integers(0, 2)))]
    next_call = 0
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["user", "assistant", "tools"]))
        if kind == "user":
            messages.append(ChatMessage.user(draw(texts)))
        elif kind == "assistant":
            messages.append(ChatMessage.assistant(draw(texts)))
        else:
            calls = []
            for _ in range(draw(st.integers(1, 3))):
                name = draw(st.sampled_from(["search", "read_file", "天气"]))
                calls.append(ToolCall(id=f"call_{next_call}", name=name, arguments={"q": draw(texts)}))
                next_call += 1
            messages.append(ChatMessage.assistant(draw(st.none() | texts), tool_calls=calls))
            messages.extend(ChatMessage.tool(draw(long_texts), call.id, call.name) for call in calls)
    if draw(st.booleans()):
        messages.append(ChatMessage.user(draw(texts)))
    return messages


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[ChatMessage], int]:
    messages = draw(conversations())
    total = COUNTER.count_messages(messages)
    target = draw(st.integers(1, total + 20))
    return messages, target


def fake_summarizer(request: list[ChatMessage]) -> str:
    """A user-supplied summarizer: deterministic, sometimes far longer than any budget."""
    body = request[-1].text
    return f"Summary of {len(body)} characters. " * (1 + len(body) % 200)


async def async_summarizer(request: list[ChatMessage]) -> str:
    await asyncio.sleep(0)
    return fake_summarizer(request)


COMPACTORS: dict[str, Callable[[list[ChatMessage], int, TokenCounter], list[ChatMessage]]] = {
    "truncate": TruncateCompactor(),
    "sliding": SlidingWindowCompactor(window=4),
    "summarize-extractive": SummarizeCompactor(),
    "summarize-fake": SummarizeCompactor(fake_summarizer, keep_recent=3, max_summary_tokens=50),
    "summarize-chunked": SummarizeCompactor(fake_summarizer, keep_recent=2, max_request_tokens=40),
    "summarize-async": lambda m, t, c: asyncio.run(SummarizeCompactor(async_summarizer).acompact(m, t, c)),
    "prune": ToolOutputPruningCompactor(max_tool_tokens=20, keep_recent=2),
}


def pinned_tokens(messages: Sequence[ChatMessage]) -> int:
    """What a compactor can never drop: system messages and the newest user message."""
    newest = newest_user_index(messages)
    kept = [m for i, m in enumerate(messages) if m.role == "system" or i == newest]
    return COUNTER.count_messages(kept)


def source_index(message: ChatMessage, before: Sequence[ChatMessage]) -> int | None:
    """Where ``message`` came from: the same object, or the tool result it shortened."""
    for index, original in enumerate(before):
        if original is message:
            return index
    if message.role == "tool":
        for index, original in enumerate(before):
            if original.role == "tool" and original.tool_call_id == message.tool_call_id:
                return index
    return None


def assert_pairs(after: Sequence[ChatMessage]) -> None:
    open_calls: set[str] = set()
    for message in after:
        if message.role == "tool":
            assert message.tool_call_id in open_calls, "a tool result without its call"
            open_calls.discard(message.tool_call_id or "")
        else:
            assert not open_calls, "a tool call without its result"
            open_calls = {c.id for c in message.tool_calls}
    assert not open_calls, "a tool call without its result"


def assert_invariants(before: list[ChatMessage], after: list[ChatMessage], target: int) -> None:
    assert COUNTER.count_messages(after) <= target
    for message in before:
        if message.role == "system" and not is_summary(message):
            assert any(m is message for m in after), "a system message was dropped"
    newest = newest_user_index(before)
    if newest is not None:
        assert any(m is before[newest] for m in after), "the newest user message was dropped"
    assert_pairs(after)
    leading_system = 0
    while leading_system < len(after) and after[leading_system].role == "system":
        leading_system += 1
    last = -1
    for position, message in enumerate(after):
        if is_summary(message):
            assert position == leading_system - 1, "the summary is not right after the system messages"
            continue
        index = source_index(message, before)
        assert index is not None, f"a message from nowhere: {message!r}"
        assert index > last, "messages were reordered"
        last = index


@pytest.mark.parametrize("name", sorted(COMPACTORS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_compactor_invariants(name: str, case: tuple[list[ChatMessage], int]) -> None:
    messages, target = case
    compactor = COMPACTORS[name]
    try:
        after = compactor(list(messages), target, COUNTER)
    except ContextOverflowError:
        assert pinned_tokens(messages) > target
        return
    assert_invariants(messages, after, target)


@settings(max_examples=60, deadline=None)
@given(case=cases(), extra=st.integers(0, 300))
def test_summarize_is_rolling(case: tuple[list[ChatMessage], int], extra: int) -> None:
    """Compacting a compacted conversation again still leaves at most one summary."""
    messages, target = case
    compactor = SummarizeCompactor(extractive_summarizer, keep_recent=2)
    try:
        first = compactor(messages, target + extra, COUNTER)
        second = compactor([*first, ChatMessage.user("and now? Priya said 7.")], target, COUNTER)
    except ContextOverflowError:
        return
    assert sum(is_summary(m) for m in second) <= 1
    assert COUNTER.count_messages(second) <= target


# ---- truncate_prompt_to_token_limit -----------------------------------------------------------------


def truncate_floor(messages: Sequence[ChatMessage]) -> int:
    """The smallest the pinned messages can get: their texts cut down to the truncation mark."""
    units = split_units(messages, COUNTER)
    if units:
        units[-1].pinned = True
    total = COUNTER.reply_priming
    for unit in units:
        if unit.pinned:
            for message in unit.messages:
                cost = COUNTER.count_message(message)
                if message.text:
                    cost = min(cost, COUNTER.count_message(with_content(message, TRUNCATION_MARK)))
                total += cost
    return total


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_truncate_prompt_invariants(case: tuple[list[ChatMessage], int]) -> None:
    messages, target = case
    prompt: list[dict[str, Any]] = [message_to_wire(m) for m in messages]
    try:
        result = asyncio.run(truncate_prompt_to_token_limit(prompt, target, model="gpt-4o"))
    except ContextOverflowError:
        assert truncate_floor(messages) > target
        return
    after = [message_from_wire(d) for d in result]
    assert COUNTER.count_messages(after) <= target
    assert [d["role"] for d in result if d["role"] == "system"] == [
        d["role"] for d in prompt if d["role"] == "system"
    ]
    if prompt:
        assert result, "the newest message was dropped"
        assert result[-1] is prompt[-1] or TRUNCATION_MARK in (result[-1]["content"] or "")
    assert_pairs(after)
    last = -1
    for item in result:
        if any(item is d for d in prompt):
            index = next(i for i, d in enumerate(prompt) if d is item)
        else:
            assert TRUNCATION_MARK in item["content"], "a changed message that is not marked as cut"
            index = next(
                i
                for i, d in enumerate(prompt)
                if i > last
                and d["role"] == item["role"]
                and (d["content"] or "").startswith(item["content"].removesuffix(TRUNCATION_MARK).rstrip())
            )
        assert index > last, "messages were reordered"
        last = index
