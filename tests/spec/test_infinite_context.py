"""The session-manager spec's "Infinite Context" snippets, verbatim but for the import line.

The snippets use top-level ``await``, so each runs inside an ``async def`` test; the default store is
a fresh SQLite file per test (see ``tests/conftest.py``). Assertions after a snippet check what it
printed or returned.
"""

from __future__ import annotations

import pytest


async def test_infinite_conversation_manager(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import (
        InfiniteConversationManager,
        SummarizationStrategy,
        EventSource
    )

    # Create manager with custom settings
    icm = InfiniteConversationManager(
        token_threshold=3000,
        max_turns_per_segment=15,
        summarization_strategy=SummarizationStrategy.KEY_POINTS
    )

    # Process messages (automatically segments when needed)
    async def my_llm_callback(messages):
        # Your LLM call here
        return "Summary of the conversation..."

    current_session_id = await icm.process_message(
        session_id="session-123",
        message="Tell me about quantum computing",
        source=EventSource.USER,
        llm_callback=my_llm_callback,
        model="gpt-4"
    )

    # Build context for LLM calls
    context = await icm.build_context_for_llm(
        session_id=current_session_id,
        max_messages=10,
        include_summaries=True
    )

    # Get session chain
    chain = await icm.get_session_chain(current_session_id)
    print(f"Conversation chain: {[s.id for s in chain]}")

    assert current_session_id == "session-123"  # one message does not fill a segment
    assert context == [{"role": "user", "content": "Tell me about quantum computing"}]
    assert "Conversation chain: ['session-123']" in capsys.readouterr().out


async def test_infinite_conversation_manager_segments_a_long_conversation() -> None:
    """The same calls, continued until the spec's limit of 15 turns starts a new segment."""
    from sessionforge import EventSource, InfiniteConversationManager, SummarizationStrategy

    icm = InfiniteConversationManager(
        token_threshold=3000,
        max_turns_per_segment=15,
        summarization_strategy=SummarizationStrategy.KEY_POINTS
    )
    requests: list[list[dict[str, str]]] = []

    async def my_llm_callback(messages):
        requests.append(messages)
        return "Summary of the conversation..."

    session_id = "session-123"
    for turn in range(9):  # 15 messages fill a segment: turn 8 opens the second
        session_id = await icm.process_message(
            session_id, f"Question {turn} about qubits", EventSource.USER, my_llm_callback, "gpt-4"
        )
        session_id = await icm.process_message(
            session_id, f"Answer {turn}", EventSource.LLM, my_llm_callback, "gpt-4"
        )
    chain = await icm.get_session_chain(session_id)
    assert chain[0].id == "session-123"
    assert len(chain) == 2
    assert len(requests) == 1
    assert "key points" in requests[0][0]["content"]
    context = await icm.build_context_for_llm(session_id, max_messages=10, include_summaries=True)
    assert context[0]["role"] == "system"
    assert "Summary of the conversation..." in context[0]["content"]
    assert context[1:] == [
        {"role": "user", "content": "Question 8 about qubits"},
        {"role": "assistant", "content": "Answer 8"},
    ]


def test_summarization_strategies() -> None:
    from sessionforge import SummarizationStrategy

    # Different summarization approaches
    SummarizationStrategy.BASIC        # General overview
    SummarizationStrategy.KEY_POINTS   # Focus on key information
    SummarizationStrategy.TOPIC_BASED  # Organize by topics
    SummarizationStrategy.QUERY_FOCUSED # Focus on user questions

    assert len(SummarizationStrategy) == 4
