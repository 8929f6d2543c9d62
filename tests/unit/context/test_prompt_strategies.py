"""build_prompt_from_session strategies and truncate_prompt_to_token_limit, on a small session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sessionforge.context.prompts import (
    PromptStrategy,
    build_prompt_from_session,
    truncate_prompt_to_token_limit,
)
from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.tokens import counter_for_model
from sessionforge.errors import ContextOverflowError
from sessionforge.providers.openai import message_from_wire


@dataclass
class FakeSession:
    """The attributes prompt building reads from a session-manager Session."""

    events: list[SessionEvent] = field(default_factory=list)
    parent_id: str | None = None
    id: str = "child"


def say(source: EventSource, text: str) -> SessionEvent:
    return SessionEvent(message=text, source=source, type=EventType.MESSAGE)


def tool(name: str, result: Any, call_id: str) -> SessionEvent:
    payload = {"tool": name, "arguments": {"q": name}, "result": result, "call_id": call_id}
    return SessionEvent(message=payload, source=EventSource.SYSTEM, type=EventType.TOOL_CALL)


@pytest.fixture
def session() -> FakeSession:
    return FakeSession(
        events=[
            say(EventSource.SYSTEM, "You plan trips."),
            say(EventSource.USER, "Plan a trip to Lisbon for Ana."),
            say(EventSource.LLM, "Checking flights."),
            tool("flights", {"price": 420}, "c1"),
            say(EventSource.LLM, "Flights cost 420 EUR."),
            SessionEvent(message="Ana likes museums.", type=EventType.SUMMARY),
            say(EventSource.USER, "And hotels?"),
            tool("hotels", {"best": "Hotel Avenida"}, "c2"),
            say(EventSource.LLM, "Hotel Avenida is free."),
        ],
        parent_id="parent",
    )


def texts(prompt: list[dict[str, Any]]) -> list[str]:
    return [m["content"] or f"<calls {m['tool_calls'][0]['function']['name']}>" for m in prompt]


async def test_minimal_is_task_and_latest_reply(session: FakeSession) -> None:
    prompt = await build_prompt_from_session(session, PromptStrategy.MINIMAL)
    assert texts(prompt) == ["You plan trips.", "Plan a trip to Lisbon for Ana.", "Hotel Avenida is free."]


async def test_task_focused_is_task_latest_user_and_summaries(session: FakeSession) -> None:
    prompt = await build_prompt_from_session(session, PromptStrategy.TASK_FOCUSED)
    assert texts(prompt) == [
        "You plan trips.",
        "Summary of the earlier conversation: Ana likes museums.",
        "Plan a trip to Lisbon for Ana.",
        "And hotels?",
    ]


async def test_tool_focused_keeps_calls_with_results(session: FakeSession) -> None:
    prompt = await build_prompt_from_session(session, PromptStrategy.TOOL_FOCUSED, max_history=1)
    assert [m["role"] for m in prompt] == ["system", "user", "user", "assistant", "tool"]
    assert prompt[3]["tool_calls"][0]["id"] == prompt[4]["tool_call_id"] == "c2"
    assert prompt[3]["tool_calls"][0]["function"]["arguments"] == '{"q":"hotels"}'


async def test_conversation_is_recent_turns_and_summaries(session: FakeSession) -> None:
    prompt = await build_prompt_from_session(session, max_history=3)
    assert texts(prompt) == [
        "You plan trips.",
        "Summary of the earlier conversation: Ana likes museums.",
        "And hotels?",
        "<calls hotels>",
        '{"best": "Hotel Avenida"}',
        "Hotel Avenida is free.",
    ]


async def test_hierarchical_adds_the_parent_summary(session: FakeSession) -> None:
    parent = FakeSession(events=[SessionEvent(message="Budget is 2000 EUR.", type=EventType.SUMMARY)])
    asked: list[str] = []

    async def loader(session_id: str) -> FakeSession:
        asked.append(session_id)
        return parent

    prompt = await build_prompt_from_session(session, PromptStrategy.HIERARCHICAL, parent_loader=loader)
    assert asked == ["parent"]
    assert prompt[2]["role"] == "system"
    assert "Budget is 2000 EUR." in prompt[2]["content"]
    assert prompt[1]["content"] == "Summary of the earlier conversation: Ana likes museums."
    assert prompt[3]["role"] != "system"


async def test_parent_without_summary_gives_task_and_outcome(session: FakeSession) -> None:
    parent = FakeSession(events=[say(EventSource.USER, "Find flights"), say(EventSource.LLM, "Found 3.")])

    async def loader(session_id: str) -> FakeSession:
        return parent

    prompt = await build_prompt_from_session(
        session, PromptStrategy.MINIMAL, include_parent_context=True, parent_loader=loader
    )
    assert "Task: Find flights\nOutcome: Found 3." in prompt[1]["content"]


async def test_missing_parent_is_tolerated(session: FakeSession) -> None:
    async def loader(session_id: str) -> None:
        return None

    with_parent = await build_prompt_from_session(session, "hierarchical", parent_loader=loader)
    assert with_parent == await build_prompt_from_session(session, "conversation")
    # Without a loader and without storage for it, no parent context and no error.
    assert await build_prompt_from_session(session, "hierarchical")


@pytest.mark.parametrize("strategy", list(PromptStrategy))
@pytest.mark.parametrize("limit", [60, 80, 200])
async def test_every_strategy_fits_max_tokens(
    session: FakeSession, strategy: PromptStrategy, limit: int
) -> None:
    prompt = await build_prompt_from_session(session, strategy, max_tokens=limit, model="gpt-4")
    counter = counter_for_model("gpt-4")
    assert counter.count_messages([message_from_wire(m) for m in prompt]) <= limit
    assert prompt[0]["content"].startswith("You plan trips.")


async def test_too_small_a_limit_is_refused_not_exceeded(session: FakeSession) -> None:
    with pytest.raises(ContextOverflowError, match="Raise max_tokens"):
        await build_prompt_from_session(session, PromptStrategy.TOOL_FOCUSED, max_tokens=20)


async def test_truncate_keeps_system_newest_and_given_dicts() -> None:
    prompt: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        *[{"role": "user", "content": f"question {i} " * 20} for i in range(10)],
        {"role": "user", "content": "last question", "name": "ana"},
    ]
    out = await truncate_prompt_to_token_limit(prompt, 80)
    assert out[0] is prompt[0]
    assert out[-1] is prompt[-1]
    assert len(out) < len(prompt)


async def test_truncate_keeps_tool_pairs_in_wire_format() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "ls", "arguments": '{"dir":"/"}'}}
    prompt: list[dict[str, Any]] = [
        {"role": "user", "content": "old " * 50},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "a b c " * 30},
        {"role": "user", "content": "now"},
    ]
    out = await truncate_prompt_to_token_limit(prompt, 12)
    assert out == [prompt[3]]
    out = await truncate_prompt_to_token_limit(prompt, 200)
    assert out[-3:] == prompt[1:]


async def test_truncate_cuts_a_single_oversized_message() -> None:
    out = await truncate_prompt_to_token_limit("word " * 1000, 30, model="gpt-4o")
    assert out[0]["role"] == "user"
    assert out[0]["content"].endswith("[truncated]")
    counter = counter_for_model("gpt-4o")
    assert counter.count_messages([message_from_wire(out[0])]) <= 30


async def test_truncate_refuses_only_when_nothing_can_fit() -> None:
    with pytest.raises(ContextOverflowError):
        await truncate_prompt_to_token_limit([{"role": "user", "content": "hi"}], 3)
