"""A ChatSession never holds more than max_tokens: the agent keeps room for the reply before each call,
a reply that would overflow undoes the turn, and with a compactor every turn ends inside the limit.
Also: tools offered but not run (``auto_execute_tools=False``), and tools declared by JSON schema."""

from __future__ import annotations

import base64
import io
import wave

import pytest

from servers import AnthropicServer, OpenAIServer
from sessionforge import ChatAgent, ChatSession, ToolRegistry, TruncateCompactor
from sessionforge.core.messages import AudioPart, ChatMessage, TextPart
from sessionforge.errors import ContextOverflowError, UnsupportedFeatureError

pytestmark = pytest.mark.usefixtures("provider_env")


def test_room_for_the_reply_is_kept_before_sending(openai_server: OpenAIServer) -> None:
    agent = ChatAgent(provider="openai", model="gpt-4o-mini", max_output_tokens=60)
    session = ChatSession(system_prompt="Be brief.", max_tokens=80)
    agent.chat("Hello", session=session)
    before = session.messages
    sent = len(openai_server.requests)
    with pytest.raises(ContextOverflowError) as caught:
        agent.chat("Tell me more about the weather in Lisbon this week", session=session)
    assert len(openai_server.requests) == sent  # nothing was sent
    assert session.messages == before  # and nothing kept
    assert caught.value.limit == 80


def test_a_reply_that_would_overflow_undoes_the_turn(openai_server: OpenAIServer) -> None:
    openai_server.padding = 200
    agent = ChatAgent(provider="openai", model="gpt-4o-mini")
    session = ChatSession(system_prompt="Be brief.", max_tokens=150)
    with pytest.raises(ContextOverflowError) as caught:
        agent.chat("Hello there", session=session)
    assert [m.role for m in session.messages] == ["system"]
    assert caught.value.limit == 150 and caught.value.actual is not None and caught.value.actual > 150


@pytest.mark.parametrize("safety_margin", [1.0, 0.8])
def test_with_a_compactor_every_turn_ends_inside_the_effective_limit(
    openai_server: OpenAIServer, safety_margin: float
) -> None:
    openai_server.padding = 25
    agent = ChatAgent(provider="openai", model="gpt-4o-mini", max_output_tokens=50)
    session = ChatSession(
        system_prompt="Be helpful.",
        max_tokens=400,
        compactor=TruncateCompactor(),
        safety_margin=safety_margin,
    )
    limit = session.effective_limit
    assert limit is not None
    for i in range(40):
        agent.chat(f"Message number {i} about the plan", session=session)
        assert session.estimate_tokens() <= limit, i
        assert session.last_message is not None and session.last_message.role == "assistant"
    assert session.compactions


def test_tools_offered_but_not_run(openai_server: OpenAIServer) -> None:
    ran: list[int] = []
    tools = ToolRegistry()

    @tools.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        ran.append(a + b)
        return a + b

    agent = ChatAgent(provider="openai", model="gpt-4o-mini", tools=tools)
    session = ChatSession()
    response = agent.chat('Use the add tool with {"a": 2, "b": 3}', session=session, auto_execute_tools=False)
    assert [c.name for c in response.tool_calls] == ["add"]
    assert ran == []
    assert len(openai_server.requests) == 1
    assert openai_server.last_body["tools"][0]["function"]["name"] == "add"
    assert session.last_message is not None and session.last_message.tool_calls


def test_a_tool_declared_by_its_schema_is_offered_and_run(openai_server: OpenAIServer) -> None:
    tools = ToolRegistry()
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    tools.declare(
        "weather", "The weather in a city.", schema, lambda **arguments: f"sunny in {arguments['city']}"
    )
    tools.declare("remote", "Runs elsewhere.", {})
    agent = ChatAgent(provider="openai", model="gpt-4o-mini", tools=tools)
    response = agent.chat('Use the weather tool with {"city": "Oslo"}')
    assert response.content == "The tool returned: sunny in Oslo"
    sent = {t["function"]["name"]: t["function"]["parameters"] for t in openai_server.last_body["tools"]}
    assert sent == {"weather": schema, "remote": {"type": "object", "properties": {}}}
    assert tools.execute("remote", {}).is_error


def wav_base64() -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\0\0" * 800)
    return base64.b64encode(buffer.getvalue()).decode()


def test_audio_reaches_openai_and_is_refused_for_anthropic(
    openai_server: OpenAIServer, anthropic_server: AnthropicServer
) -> None:
    data = wav_base64()
    message = ChatMessage.user([TextPart(text="Transcribe this"), AudioPart(data=data, format="wav")])
    ChatAgent(provider="openai", model="gpt-4o-audio-preview").chat(message)
    assert openai_server.last_body["messages"][-1]["content"][1] == {
        "type": "input_audio",
        "input_audio": {"data": data, "format": "wav"},
    }
    session = ChatSession()
    with pytest.raises(UnsupportedFeatureError):
        ChatAgent(provider="anthropic", model="claude-3-haiku-20240307").chat(message, session=session)
    assert anthropic_server.requests == []
    assert session.messages == []
