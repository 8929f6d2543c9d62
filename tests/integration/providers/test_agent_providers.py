"""ChatAgent and AsyncChatAgent against local OpenAI and Anthropic wire servers, real SDKs in between."""

from __future__ import annotations

import pytest
from faces import Face

from servers import AnthropicServer, OpenAIServer, WireServer
from sessionforge import ChatAgent, ChatSession, ToolRegistry
from sessionforge.core.messages import ChatMessage
from sessionforge.errors import ContextOverflowError, ToolProcessingError

pytestmark = pytest.mark.usefixtures("provider_env")

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-haiku-20240307"}


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(provider: str, openai_server: OpenAIServer, anthropic_server: AnthropicServer) -> WireServer:
    return openai_server if provider == "openai" else anthropic_server


def tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @registry.tool
    async def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    @registry.tool
    def explode() -> str:
        """Fails every time."""
        raise RuntimeError("kaboom")

    return registry


def sent_texts(server: WireServer) -> list[str]:
    """Every text of the last request, whatever the wire format."""
    body = server.last_body
    texts = [body["system"]] if "system" in body else []
    for message in body["messages"]:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        for block in content if isinstance(content, list) else []:
            texts.append(block.get("text") or str(block.get("content", "")))
    return texts


def test_history_is_really_sent(face: Face, provider: str, server: WireServer) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider])
    session = ChatSession(system_prompt="You are a helpful assistant.")
    face.chat(agent, "My name is Alice.", session)
    response = face.chat(agent, "What's my name?", session)
    assert response.content == "Your name is Alice."
    assert "My name is Alice." in sent_texts(server)
    assert "You are a helpful assistant." in sent_texts(server)
    assert [m.role for m in session.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert response.provider == provider
    assert response.model == MODELS[provider]
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0
    assert response.usage.estimated_cost_usd is not None
    assert response.finish_reason == "stop"
    assert session.model == MODELS[provider]


def test_streaming_leaves_the_same_session_as_chat(face: Face, provider: str, server: WireServer) -> None:
    streamed = ChatSession(system_prompt="s")
    chatted = ChatSession(system_prompt="s")
    agent = face.agent(provider=provider, model=MODELS[provider])
    chunks = face.stream(agent, "stream these four words", streamed)
    reply = face.chat(
        face.agent(provider=provider, model=MODELS[provider]), "stream these four words", chatted
    )
    assert len(chunks) > 1
    assert "".join(chunks) == reply.content == "Echo: stream these four words"
    assert [(m.role, m.text) for m in streamed.messages] == [(m.role, m.text) for m in chatted.messages]
    assert server.requests[0].body["stream"] is True
    assert agent.last_response is not None
    assert agent.last_response.usage.total_tokens == reply.usage.total_tokens


@pytest.mark.parametrize("stream", [False, True])
def test_tool_loop(face: Face, provider: str, server: WireServer, stream: bool) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], tools=tools())
    session = ChatSession()
    message = 'Use the add tool with {"a": 2, "b": 40}'
    if stream:
        assert "".join(face.stream(agent, message, session)) == "The tool returned: 42"
    else:
        response = face.chat(agent, message, session)
        assert response.content == "The tool returned: 42"
    roles = [m.role for m in session.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    call = session.messages[1].tool_calls[0]
    assert (call.name, call.arguments) == ("add", {"a": 2, "b": 40})
    assert session.messages[2].tool_call_id == call.id
    assert len(server.requests) == 2
    offered = server.requests[0].body["tools"]
    names = [t["function"]["name"] if provider == "openai" else t["name"] for t in offered]
    assert names == ["add", "shout", "explode"]
    assert "42" in sent_texts(server)


def test_async_tools_and_usage_summed_over_the_turn(face: Face, provider: str, server: WireServer) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], tools=tools())
    response = face.chat(agent, 'Use the shout tool with {"text": "hi"}')
    assert response.content == "The tool returned: HI"
    assert response.usage.prompt_tokens > 0
    assert len(server.requests) == 2


def test_a_failing_tool_is_reported_to_the_model(face: Face, provider: str) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], tools=tools())
    session = ChatSession()
    response = face.chat(agent, "Use the explode tool", session)
    assert response.content.startswith(
        "The tool returned: Error: tool 'explode' failed: RuntimeError: kaboom"
    )
    assert session.messages[2].metadata == {"is_error": True}


def test_bad_json_arguments_are_reported_to_the_model(face: Face, openai_server: OpenAIServer) -> None:
    agent = face.agent(provider="openai", model="gpt-4o-mini", tools=tools())
    session = ChatSession()
    response = face.chat(agent, "Use the add tool with raw:{a: 1", session)
    assert "not valid JSON" in response.content
    # the malformed arguments went back to the provider exactly as it sent them
    sent_call = openai_server.last_body["messages"][1]["tool_calls"][0]
    assert sent_call["function"]["arguments"] == "{a: 1"


def test_tool_iteration_limit_rolls_back(face: Face, provider: str) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], tools=tools(), max_tool_iterations=0)
    session = ChatSession(system_prompt="s")
    with pytest.raises(ToolProcessingError, match="still calling tools"):
        face.chat(agent, 'Use the add tool with {"a": 1, "b": 1}', session)
    assert [m.role for m in session.messages] == ["system"]
    assert len(session.history) == 1


def test_without_a_session_each_call_is_one_off(face: Face, provider: str, server: WireServer) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider])
    face.chat(agent, "My name is Alice.")
    assert face.chat(agent, "What's my name?").content == "I don't know your name yet."
    assert len(server.last_body["messages"]) == 1


def test_chat_without_message_sends_the_session(face: Face, provider: str, server: WireServer) -> None:
    session = ChatSession()
    session.add_message(ChatMessage.user("My name is Bob."))
    session.add_message(ChatMessage.assistant("Hi Bob!"))
    session.add_message(ChatMessage.user("What is my name?"))
    response = face.chat(face.agent(provider=provider, model=MODELS[provider]), None, session)
    assert response.content == "Your name is Bob."
    assert len(server.last_body["messages"]) == 3
    assert len(session.messages) == 4


def test_context_overflow_propagates_and_sends_nothing(face: Face, provider: str, server: WireServer) -> None:
    session = ChatSession(system_prompt="short", max_tokens=30)
    before = session.messages
    with pytest.raises(ContextOverflowError):
        face.chat(face.agent(provider=provider, model=MODELS[provider]), "word " * 100, session)
    assert session.messages == before
    assert server.requests == []


def test_abandoned_stream_rolls_back(provider: str) -> None:
    agent = ChatAgent(provider=provider, model=MODELS[provider])
    session = ChatSession(system_prompt="s")
    chunks = agent.stream_chat("one two three four five", session=session)
    next(chunks)
    chunks.close()
    assert [m.role for m in session.messages] == ["system"]
    assert len(session.history) == 1


def test_cross_provider_session_with_a_tool_call(
    face: Face, openai_server: OpenAIServer, anthropic_server: AnthropicServer
) -> None:
    session = ChatSession(system_prompt="Answer in one word.")
    openai_agent = face.agent(provider="openai", model="gpt-4o-mini", tools=tools())
    face.chat(openai_agent, "What color is the sky?", session)
    face.chat(openai_agent, 'Use the add tool with {"a": 1, "b": 2}', session)
    anthropic_agent = face.agent(provider="anthropic", model="claude-3-haiku-20240307", tools=tools())
    response = face.chat(anthropic_agent, "What was my question about?", session)
    assert response.content == "Your question was about: What color is the sky?"
    body = anthropic_server.last_body
    assert body["system"] == "Answer in one word."
    blocks = [b for m in body["messages"] for b in m["content"]]
    tool_use = next(b for b in blocks if b["type"] == "tool_use")
    tool_result = next(b for b in blocks if b["type"] == "tool_result")
    assert tool_use["input"] == {"a": 1, "b": 2}
    assert tool_result == {"type": "tool_result", "tool_use_id": tool_use["id"], "content": "3"}
    assert session.model == "claude-3-haiku-20240307"
    assert session.token_accuracy == "estimated"


@pytest.mark.filterwarnings("ignore:no price known for model 'llama3.2'")
def test_openai_compatible_preset_by_base_url(face: Face, openai_server: OpenAIServer) -> None:
    agent = face.agent(provider="ollama", model="llama3.2", base_url=f"{openai_server.url}/v1")
    response = face.chat(agent, "hello")
    assert (response.content, response.provider) == ("Echo: hello", "ollama")
    assert openai_server.requests[0].headers["authorization"] == "Bearer ollama"
