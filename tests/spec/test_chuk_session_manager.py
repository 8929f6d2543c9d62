"""Every snippet of the session-manager spec, with only its import line changed.

Snippets run against SQLite (the autouse fixture points the default store at a fresh file per test).
Snippets that use names later snippets rely on (``sm``, ``session_id``) run in one test, in the
document's order. Two snippets wrap ``openai.chat.completions.create``; their ``track_llm_call``
lines run verbatim here with an LLM function that answers locally, and the real OpenAI call is
exercised by the providers' wire-protocol tests.
"""

from __future__ import annotations

import pytest

import sessionforge
from sessionforge.storage.session import Session
from sessionforge.storage.config import open_store

def test_import_structure() -> None:
    from sessionforge import (
        # Simple API - Primary interface for most users
        SessionManager,
        track_conversation,
        track_llm_call,
        quick_conversation,
        track_infinite_conversation,
        track_tool_use,
        get_session_stats,
        get_conversation_history,

        # Core Models
        Session,
        SessionEvent,
        SessionMetadata,
        SessionRun,
        RunStatus,

        # Enums
        EventSource,
        EventType,

        # Token Management
        TokenUsage,
        TokenSummary,

        # Advanced Components
        InfiniteConversationManager,
        SummarizationStrategy,
        SessionAwareToolProcessor,
        build_prompt_from_session,
        PromptStrategy,
        truncate_prompt_to_token_limit,

        # Storage
        setup_chuk_sessions_storage,

        # Exceptions
        SessionManagerError,
        SessionNotFound,
        SessionAlreadyExists,
        InvalidSessionOperation,
        TokenLimitExceeded,
        StorageError,
        ToolProcessingError,

        # Utilities
        configure_storage,
        get_version,
        is_available
    )


def test_import_structure_names_of_this_branch() -> None:
    from sessionforge import (
        EventSource,
        EventType,
        RunStatus,
        Session,
        SessionEvent,
        SessionManager,
        SessionMetadata,
        SessionRun,
        TokenSummary,
        TokenUsage,
        configure_storage,
        get_conversation_history,
        get_session_stats,
        get_version,
        is_available,
        quick_conversation,
        setup_chuk_sessions_storage,
        track_conversation,
        track_infinite_conversation,
        track_llm_call,
        track_tool_use,
    )


def test_verifying_installation(capsys: pytest.CaptureFixture[str]) -> None:
    import sessionforge as casm

    print(f"Version: {casm.get_version()}")
    print("Available components:", casm.is_available())
    assert "session_manager': True" in capsys.readouterr().out


async def test_quick_start_basic_usage() -> None:
    from sessionforge import track_conversation

    # Track a simple conversation
    session_id = await track_conversation(
        user_message="What's the weather like?",
        ai_response="I don't have access to real-time weather data.",
        model="gpt-3.5-turbo",
        provider="openai"
    )

    print(f"Conversation tracked in session: {session_id}")
    assert (await sessionforge.get_session_stats(session_id))["total_messages"] == 2


async def test_quick_start_with_statistics() -> None:
    from sessionforge import quick_conversation

    stats = await quick_conversation(
        user_message="Explain quantum computing",
        ai_response="Quantum computing uses quantum mechanical phenomena...",
        model="gpt-4",
        provider="openai"
    )

    print(f"Tokens used: {stats['total_tokens']}")
    print(f"Estimated cost: ${stats['estimated_cost']:.4f}")
    assert stats['total_tokens'] > 0
    assert stats['estimated_cost'] > 0


async def test_quick_start_llm_integration_with_a_local_function() -> None:
    from sessionforge import track_llm_call

    async def my_openai_call(prompt):  # answers locally; see the module docstring
        return f"Machine learning, in short: {prompt!r} answered."

    # Track your LLM call automatically
    response, session_id = await track_llm_call(
        user_input="Explain machine learning",
        llm_function=my_openai_call,
        model="gpt-3.5-turbo",
        provider="openai"
    )

    print(f"AI Response: {response}")
    print(f"Tracked in session: {session_id}")
    history = await sessionforge.get_conversation_history(session_id)
    assert [t["content"] for t in history] == ["Explain machine learning", response]


async def test_simple_api_section() -> None:
    from sessionforge import (
        track_conversation,
        track_llm_call,
        quick_conversation,
        track_infinite_conversation,
        track_tool_use,
        get_session_stats,
        get_conversation_history
    )

    session_id = await track_conversation(
        user_message="Hello!",
        ai_response="Hi there! How can I help?",
        model="gpt-3.5-turbo",
        provider="openai",
        session_id=None,  # Optional: continue existing session
        infinite_context=False,  # Enable infinite context
        token_threshold=4000  # Token limit for segmentation
    )

    # Returns the session ID for continuing the conversation later

    async def call_openai(prompt):  # answers locally; see the module docstring
        return "Machine learning lets programs learn from data."

    response, session_id = await track_llm_call(
        user_input="Explain machine learning",
        llm_function=call_openai,
        model="gpt-3.5-turbo",
        provider="openai"
    )

    # Start a conversation
    session_id = await track_infinite_conversation(
        user_message="Tell me about the history of computing",
        ai_response="Computing history begins with ancient calculating devices...",
        model="gpt-4",
        token_threshold=4000,  # Auto-segment after 4000 tokens
        max_turns=20  # Or after 20 conversation turns
    )

    # Continue the conversation
    session_id = await track_infinite_conversation(
        user_message="What about quantum computers?",
        ai_response="Quantum computing represents a fundamental shift...",
        session_id=session_id,  # Continue the same conversation
        model="gpt-4"
    )

    session_id = await track_tool_use(
        tool_name="calculator",
        arguments={"operation": "add", "a": 5, "b": 3},
        result={"result": 8},
        session_id=session_id,
        error=None  # Optional error message
    )

    stats = await get_session_stats(session_id)
    assert (stats["user_messages"], stats["ai_messages"], stats["tool_calls"]) == (2, 2, 1)
    assert len(await get_conversation_history(session_id)) == 4


async def test_session_manager_class_and_monitoring(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import SessionManager

    # Create a session manager
    sm = SessionManager(
        system_prompt="You are a helpful assistant specialized in Python programming.",
        infinite_context=True,
        token_threshold=4000,
        max_turns_per_segment=20
    )

    # Track conversations
    await sm.user_says("How do I create a list comprehension?")
    await sm.ai_responds(
        "A list comprehension is a concise way to create lists in Python...",
        model="gpt-4",
        provider="openai"
    )

    # Track tool usage
    await sm.tool_used(
        tool_name="code_executor",
        arguments={"code": "print([x**2 for x in range(5)])"},
        result={"output": "[0, 1, 4, 9, 16]"}
    )

    # Get session statistics
    stats = await sm.get_stats()
    print(f"Session {stats['session_id']}: {stats['total_messages']} messages, ${stats['estimated_cost']:.4f}")

    # Get comprehensive session analytics
    stats = await sm.get_stats(include_all_segments=True)

    print(f"""
    🚀 Session Analytics Dashboard
    ============================
    Session ID: {stats['session_id']}
    Total Messages: {stats['total_messages']}
    User Messages: {stats['user_messages']}
    AI Messages: {stats['ai_messages']}
    Tool Calls: {stats['tool_calls']}
    Total Tokens: {stats['total_tokens']}
    Total Cost: ${stats['estimated_cost']:.6f}
    Session Segments: {stats.get('session_segments', 1)}
    Created: {stats['created_at']}
    Last Update: {stats['last_update']}
    Infinite Context: {stats.get('infinite_context', False)}
    """)

    # Get conversation history
    conversation = await sm.get_conversation(include_all_segments=True)
    for i, turn in enumerate(conversation):
        print(f"{i+1}. {turn['role']}: {turn['content'][:50]}...")

    out = capsys.readouterr().out
    assert '2 messages' in out
    assert 'Tool Calls: 1' in out
    assert 'Infinite Context: True' in out


async def test_working_with_system_prompts() -> None:
    from sessionforge import SessionManager

    # Set initial system prompt
    sm = SessionManager(system_prompt="You are a creative writing assistant.")

    # Update system prompt later
    await sm.update_system_prompt("You are now a technical documentation writer.")

    # Get messages including system prompt for your LLM calls
    messages = await sm.get_messages_for_llm(include_system=True)
    # [{"role": "system", "content": "You are now a technical documentation writer."}, ...]
    assert messages == [{"role": "system", "content": "You are now a technical documentation writer."}]


def test_session_manager_properties(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import SessionManager

    sm = SessionManager()

    # Access session information
    print(f"Session ID: {sm.session_id}")
    print(f"System Prompt: {sm.system_prompt}")
    print(f"Infinite Context: {sm.is_infinite}")

    # Check if this is a new session
    print(f"Is new session: {sm._is_new}")  # Useful for initialization logic
    assert "Is new session: True" in capsys.readouterr().out


async def test_managing_long_conversations() -> None:
    from sessionforge import SessionManager

    # Enable infinite context with custom settings
    sm = SessionManager(
        infinite_context=True,
        token_threshold=3000,  # Segment at 3000 tokens
        max_turns_per_segment=15  # Or 15 conversation turns
    )

    # The session will auto-segment when limits are reached
    # You don't need to do anything - it happens automatically!

    # Get full conversation across all segments
    full_conversation = await sm.get_conversation(include_all_segments=True)

    # Get session chain (list of session IDs in the conversation)
    session_chain = await sm.get_session_chain()
    print(f"Conversation spans {len(session_chain)} sessions: {session_chain}")

    for i in range(16):  # past max_turns_per_segment: the chain grows
        await sm.user_says(f"turn {i}")
        await sm.ai_responds(f"reply {i}", model="gpt-4")
    assert len(await sm.get_session_chain()) == 2
    assert len(await sm.get_conversation(include_all_segments=True)) == 32


async def test_core_models_session() -> None:
    from sessionforge import Session

    # Create a new session
    session = await Session.create(
        parent_id=None,  # Optional parent session
        metadata={"user_id": "user123", "topic": "programming"}
    )

    # Session properties
    print(f"Session ID: {session.id}")
    print(f"Created: {session.metadata.created_at}")
    print(f"Total tokens: {session.total_tokens}")
    print(f"Total cost: ${session.total_cost:.4f}")

    # Add events
    from sessionforge import SessionEvent
    from sessionforge import EventSource
    from sessionforge import EventType

    event = await SessionEvent.create_with_tokens(
        message="Hello world!",
        prompt="Hello world!",
        model="gpt-3.5-turbo",
        source=EventSource.USER,
        type=EventType.MESSAGE
    )

    await session.add_event_and_save(event)

    stored = await Session.load(session.id)
    assert stored is not None
    assert stored.total_tokens == event.token_usage.total_tokens == 3


async def test_core_models_session_event() -> None:
    from sessionforge import SessionEvent, EventSource, EventType

    # Create an event with automatic token counting
    event = await SessionEvent.create_with_tokens(
        message="What is machine learning?",
        prompt="What is machine learning?",
        completion=None,  # For user messages
        model="gpt-3.5-turbo",
        source=EventSource.USER,
        type=EventType.MESSAGE
    )

    # Event properties
    print(f"Event ID: {event.id}")
    print(f"Tokens used: {event.token_usage.total_tokens}")
    print(f"Source: {event.source.value}")
    print(f"Type: {event.type.value}")

    # Update metadata
    await event.set_metadata("user_id", "user123")
    await event.set_metadata("intent", "question")

    # Check metadata
    user_id = await event.get_metadata("user_id")
    has_intent = await event.has_metadata("intent")
    assert user_id == 'user123'
    assert has_intent


async def test_core_models_token_usage() -> None:
    from sessionforge import TokenUsage

    # Create from text
    usage = await TokenUsage.from_text(
        prompt="What is the capital of France?",
        completion="The capital of France is Paris.",
        model="gpt-3.5-turbo"
    )

    print(f"Prompt tokens: {usage.prompt_tokens}")
    print(f"Completion tokens: {usage.completion_tokens}")
    print(f"Total tokens: {usage.total_tokens}")
    print(f"Estimated cost: ${usage.estimated_cost_usd:.6f}")

    # Update token usage
    await usage.update(prompt_tokens=10, completion_tokens=5)

    # Count tokens for any text
    token_count = await TokenUsage.count_tokens("Hello world!", "gpt-4")
    assert token_count == 3


def test_core_models_enums() -> None:
    from sessionforge import EventSource, EventType

    # Event sources
    EventSource.USER     # User input
    EventSource.LLM      # AI model response
    EventSource.SYSTEM   # System/tool events

    # Event types
    EventType.MESSAGE       # Conversation messages
    EventType.TOOL_CALL     # Tool/function calls
    EventType.SUMMARY       # Session summaries
    EventType.REFERENCE     # References to other content
    EventType.CONTEXT_BRIDGE # Context bridging events


async def test_session_storage_backend() -> None:
    # The snippet works on an existing session "session-123" of the "my-ai-app" sandbox: make it.
    async with open_store(namespace="my-ai-app") as existing:  # type: ignore[attr-defined]
        await Session.create(session_id="session-123", metadata={"k": "v"}, store=existing)
        await Session.create(session_id="user-7", store=existing)

    from sessionforge import (
        setup_chuk_sessions_storage,
        SessionStorage,
        ChukSessionsStore
    )

    # Setup storage (usually done automatically)
    backend = setup_chuk_sessions_storage(
        sandbox_id="my-ai-app",
        default_ttl_hours=48
    )

    # Get the store
    store = ChukSessionsStore(backend)

    # Manual session operations
    session = await store.get("session-123")
    await store.save(session)
    await store.delete("session-123")
    session_ids = await store.list_sessions(prefix="user-")

    assert session is not None
    assert session.metadata.properties == {'k': 'v'}
    assert session_ids == ["user-7"]
    assert await store.get("session-123") is None
    await backend.aclose()


def test_storage_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    # Configure storage at import time
    from sessionforge import configure_storage

    success = configure_storage(
        sandbox_id="my-application",
        default_ttl_hours=72  # 3 day TTL
    )

    if success:
        print("Storage configured successfully")
    else:
        print("Storage configuration failed")
    assert "configured successfully" in capsys.readouterr().out


def test_package_configuration() -> None:
    import sessionforge as casm

    # Check what's available
    print("Package version:", casm.get_version())
    availability = casm.is_available()
    print("Available components:", availability)

    # Configure storage
    success = casm.configure_storage(
        sandbox_id="my-app",
        default_ttl_hours=24
    )
    assert success is True


async def test_error_handling(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import (
        SessionManagerError,
        SessionNotFound,
        TokenLimitExceeded,
        StorageError
    )

    from sessionforge import track_conversation  # the spec's earlier import, which this snippet relies on

    try:
        session_id = await track_conversation("Hello", "Hi there")
    except SessionNotFound as e:
        print(f"Session not found: {e}")
    except TokenLimitExceeded as e:
        print(f"Token limit exceeded: {e}")
    except StorageError as e:
        print(f"Storage error: {e}")
    except SessionManagerError as e:
        print(f"General session error: {e}")
    assert capsys.readouterr().out == ""


def test_dependencies_check(capsys: pytest.CaptureFixture[str]) -> None:
    import sessionforge as casm

    # Check if all components are available
    availability = casm.is_available()
    for component, available in availability.items():
        status = "✅" if available else "❌"
        print(f"{status} {component}")
    assert "✅ session_manager" in capsys.readouterr().out
