"""The session-manager spec's "Prompt Building" snippets, with only the import line changed.

The spec's snippets use a ``session`` they do not create: the fixture creates a real, stored
``Session`` (with a parent, so the hierarchical context has something to load) with a short dialogue.
"""

from __future__ import annotations

import pytest

from sessionforge import EventSource, EventType, Session, SessionEvent
from sessionforge.providers.openai import message_from_wire
from sessionforge.core.tokens import counter_for_model


@pytest.fixture
async def session() -> Session:
    parent = await Session.create(metadata={"topic": "geography"})
    await parent.add_event_and_save(
        SessionEvent(message="Earlier we agreed to answer in metric units.", type=EventType.SUMMARY)
    )
    child = await Session.create(parent_id=parent.id)
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
    for event in events:
        await child.add_event(event)
    await child.save()
    return child


async def test_building_prompts_from_sessions(session: Session) -> None:
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

    assert [m["role"] for m in prompt] == ["system", "user", "assistant", "assistant", "tool", "assistant", "user"]
    assert "metric units" in prompt[0]["content"]  # the parent's context, loaded from the store
    assert prompt[-1]["content"] == "And its population?"
    assert truncate_prompt_to_token_limit is not None


async def test_token_limit_management(session: Session) -> None:
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
    assert counter.count_messages([message_from_wire(m) for m in small]) <= 20
    assert small[-1]["content"] == "And its population?"
