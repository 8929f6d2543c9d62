# ruff: noqa: B018, I001 - the spec's snippets are kept as written (bare enum members, import order)
"""The session-manager spec's "Prompt Building" snippets, with only the import line changed.

The spec's snippets use a ``session`` they do not create. ``sessionforge.Session`` (core/session.py) is
written on another branch; until it is merged here, the fixture below builds a minimal stand-in with
the attributes prompt building reads (``events``, ``parent_id``, ``id``). After the merge, switch the
fixture to the real ``Session`` with the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sessionforge import EventSource, EventType, SessionEvent
from sessionforge.context.prompts import message_from_openai
from sessionforge.core.tokens import counter_for_model


@dataclass
class _StandInSession:
    events: list[SessionEvent] = field(default_factory=list)
    parent_id: str | None = None
    id: str = "spec-session"


@pytest.fixture
def session() -> _StandInSession:
    events = [
        SessionEvent(message="What is the capital of France?", source=EventSource.USER),
        SessionEvent(message="The capital of France is Paris.", source=EventSource.LLM),
        SessionEvent(
            message={"tool": "weather", "arguments": {"city": "Paris"}, "result": {"temp_c": 18}},
            source=EventSource.SYSTEM,
            type=EventType.TOOL_CALL,
        ),
        SessionEvent(message="It is 18 degrees in Paris.", source=EventSource.LLM),
        SessionEvent(message="And its population?", source=EventSource.USER),
    ]
    return _StandInSession(events=events)


async def test_building_prompts_from_sessions(session: _StandInSession) -> None:
    from sessionforge import (
        build_prompt_from_session,
        PromptStrategy,
        truncate_prompt_to_token_limit
    )

    # Build prompts with different strategies
    prompt = await build_prompt_from_session(
        session,
        strategy=PromptStrategy.CONVERSATION,  # Include conversation history
        max_tokens=3000,
        model="gpt-4",
        include_parent_context=True,
        max_history=10
    )

    # Prompt strategies
    PromptStrategy.MINIMAL      # Just task and latest context
    PromptStrategy.TASK_FOCUSED # Focus on the task
    PromptStrategy.TOOL_FOCUSED # Emphasize tool usage
    PromptStrategy.CONVERSATION # Include conversation history
    PromptStrategy.HIERARCHICAL # Include parent session context

    assert [m["role"] for m in prompt] == ["user", "assistant", "assistant", "tool", "assistant", "user"]
    assert prompt[-1]["content"] == "And its population?"
    assert truncate_prompt_to_token_limit is not None


async def test_token_limit_management(session: _StandInSession) -> None:
    from sessionforge import build_prompt_from_session
    messages = await build_prompt_from_session(session)

    from sessionforge import truncate_prompt_to_token_limit

    # Ensure prompt fits within token limits
    truncated_prompt = await truncate_prompt_to_token_limit(
        prompt=messages,
        max_tokens=3000,
        model="gpt-3.5-turbo"
    )

    assert truncated_prompt == messages
    small = await truncate_prompt_to_token_limit(prompt=messages, max_tokens=20, model="gpt-3.5-turbo")
    counter = counter_for_model("gpt-3.5-turbo")
    assert counter.count_messages([message_from_openai(m) for m in small]) <= 20
    assert small[-1]["content"] == "And its population?"
