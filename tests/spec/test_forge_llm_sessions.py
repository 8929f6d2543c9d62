"""Every ChatAgent snippet of the session-management spec (``forge_llm_sessions.md``), as written.

Each test body is the snippet pasted with only its import line changed from ``forge_llm`` to
``sessionforge``; snippets that continue an earlier one are preceded by the setup lines they rely on
(marked "setup"). The SDKs reach the local wire-protocol servers through the environment variables a
user would set, so the snippet text itself needs no change. Assertions follow each snippet.
"""

# fmt: off
# (the snippets below are kept exactly as the spec prints them, spacing included)

from __future__ import annotations

import pytest

from servers import OpenAIServer, fixtures

wire_servers = fixtures.wire_servers
openai_server = fixtures.openai_server
anthropic_server = fixtures.anthropic_server
provider_env = fixtures.provider_env

pytestmark = pytest.mark.usefixtures("provider_env")


def test_basic_session_usage(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import ChatAgent, ChatSession

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    session = ChatSession(system_prompt="You are a helpful assistant.")

    # Conversation maintains context
    agent.chat("My name is Alice.", session=session)
    response = agent.chat("What's my name?", session=session)
    print(response.content)  # "Your name is Alice"

    assert "Your name is Alice" in capsys.readouterr().out
    assert len(session.messages) == 5


def test_session_with_system_prompt() -> None:
    from sessionforge import ChatAgent, ChatSession  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    session = ChatSession(
        system_prompt="You are a Python expert. Answer only with code."
    )

    agent.chat("How do I read a file?", session=session)
    # Response will be Python code

    assert session.messages[0].text == "You are a Python expert. Answer only with code."
    assert session.last_message is not None
    assert session.last_message.role == "assistant"


def test_token_limits(capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    server: OpenAIServer = request.getfixturevalue("openai_server")  # setup: replies as long as
    server.padding = 20  # a real model's, so that the limit is reached
    from sessionforge import ChatAgent, ChatSession, ContextOverflowError  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    session = ChatSession(
        system_prompt="Be concise.",
        max_tokens=2000,  # Limit context size
    )

    try:
        for i in range(100):
            agent.chat(f"Message {i}", session=session)
    except ContextOverflowError:
        print("Context exceeded limit!")

    assert "Context exceeded limit!" in capsys.readouterr().out
    assert session.last_message is not None
    assert session.last_message.role == "assistant"  # the refused message left no trace
    assert session.estimate_tokens() <= 2000  # a session never holds more than max_tokens
    assert len(session.messages) < 201


def test_auto_compaction(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import ChatAgent, ChatSession  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    from sessionforge import TruncateCompactor

    session = ChatSession(
        system_prompt="Be helpful.",
        max_tokens=2000,
        compactor=TruncateCompactor(),  # Auto-compact when limit reached
        safety_margin=0.8,  # Compact at 80% capacity
    )

    # Session automatically removes old messages when needed
    for i in range(100):
        agent.chat(f"Message {i}", session=session)
        print(f"Token estimate: {session.estimate_tokens()}")

    assert capsys.readouterr().out.count("Token estimate:") == 100
    assert session.compactions
    assert session.messages[0].text == "Be helpful."
    assert session.messages[-1].text == "Echo: Message 99"
    assert len(session.history) > len(session.messages)


def test_manual_compaction(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import ChatAgent, ChatSession, TruncateCompactor  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    session = ChatSession(
        system_prompt="Be helpful.",
        compactor=TruncateCompactor(),
    )

    # Add many messages
    for i in range(50):
        agent.chat(f"Tell me about topic {i}", session=session)

    # Manually compact
    session.compact(target_tokens=1000)
    print(f"Messages after compaction: {len(session.messages)}")

    assert session.estimate_tokens() <= 1000
    assert 1 < len(session.messages) < 101
    assert f"Messages after compaction: {len(session.messages)}" in capsys.readouterr().out


def test_session_properties_and_clearing(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import ChatAgent, ChatSession  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    session = ChatSession(system_prompt="Hello")
    agent.chat("Hi there", session=session)

    # Access session data
    print(session.session_id)        # Unique ID
    print(session.messages)          # All messages
    print(session.last_message)      # Most recent message
    print(session.estimate_tokens()) # Estimated token count

    out = capsys.readouterr().out
    assert session.session_id in out
    assert str(session.estimate_tokens()) in out
    assert [m.role for m in session.messages] == ["system", "user", "assistant"]

    # Clear but keep system prompt
    session.clear(preserve_system=True)

    assert [m.text for m in session.messages] == ["Hello"]

    # Clear everything
    session.clear(preserve_system=False)

    assert session.messages == []


def test_cross_provider_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    from sessionforge import ChatAgent, ChatSession

    # Create session
    session = ChatSession(system_prompt="Answer in one word.")

    # Use with OpenAI
    openai_agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    openai_agent.chat("What color is the sky?", session=session)

    # Continue with Anthropic (has context from OpenAI)
    anthropic_agent = ChatAgent(provider="anthropic", model="claude-3-haiku-20240307")
    response = anthropic_agent.chat("What was my question about?", session=session)
    print(response.content)  # Knows about "color" or "sky"

    out = capsys.readouterr().out
    assert "color" in out
    assert "sky" in out
    assert response.provider == "anthropic"


def test_manual_message_management() -> None:
    from sessionforge import ChatAgent, ChatSession  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup

    from sessionforge import ChatMessage

    session = ChatSession()

    # Add messages manually
    session.add_message(ChatMessage.user("Hello"))
    session.add_message(ChatMessage.assistant("Hi! How can I help?"))
    session.add_message(ChatMessage.user("Tell me a joke"))

    # Use with agent
    response = agent.chat(session=session)

    assert response.content == "Echo: Tell me a joke"
    assert len(session.messages) == 4


def test_session_serialization() -> None:
    from sessionforge import ChatAgent, ChatMessage, ChatSession  # setup

    agent = ChatAgent(provider="openai", model="gpt-4o-mini")  # setup
    session = ChatSession(system_prompt="Be brief.")  # setup
    agent.chat("My name is Alice.", session=session)  # setup

    # Convert to dict list (for storage)
    messages_dict = session.to_dict_list()

    # Recreate session
    new_session = ChatSession()
    for msg_dict in messages_dict:
        new_session.add_message(ChatMessage.from_dict(msg_dict))

    assert new_session.messages == session.messages
    assert agent.chat("What's my name?", session=new_session).content == "Your name is Alice."


def test_safety_margin() -> None:
    from sessionforge import ChatSession  # setup

    session = ChatSession(
        max_tokens=2000,
        safety_margin=0.8,  # Effective limit is 1600 tokens (80%)
    )

    assert session.effective_limit == 1600
