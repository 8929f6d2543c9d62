"""Request options from the agent and from each call, as the real SDKs put them on the wire."""

from __future__ import annotations

import pytest
from faces import Face

from servers import AnthropicServer, OpenAIServer, WireServer
from sessionforge import ChatSession, ToolRegistry
from sessionforge.errors import UsageError

pytestmark = pytest.mark.usefixtures("provider_env")

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-haiku-20240307"}
FORCED = {
    "openai": {"type": "function", "function": {"name": "add"}},
    "anthropic": {"type": "tool", "name": "add"},
}


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(provider: str, openai_server: OpenAIServer, anthropic_server: AnthropicServer) -> WireServer:
    return openai_server if provider == "openai" else anthropic_server


def adder() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return registry


def test_agent_options_reach_the_body_and_a_call_overrides_them(
    face: Face, provider: str, server: WireServer
) -> None:
    agent = face.agent(
        provider=provider,
        model=MODELS[provider],
        request_options={"temperature": 0.3, "top_p": 0.9, "extra_headers": {"x-team": "alpha"}},
    )
    face.chat(agent, "hello", request_options={"temperature": 0.0, "extra_body": {"top_k": 5}})
    sent = server.requests[-1]
    assert sent.body["temperature"] == 0.0  # the call's value wins
    assert sent.body["top_p"] == 0.9
    assert sent.body["top_k"] == 5  # extra_body is merged into the body, not sent as a field
    assert "extra_body" not in sent.body and "extra_headers" not in sent.body
    assert sent.headers["x-team"] == "alpha"  # extra_headers become HTTP headers


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_a_forced_tool_choice_applies_to_the_first_call_of_a_turn(
    face: Face, provider: str, server: WireServer, stream: bool
) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], tools=adder())
    session = ChatSession()
    message = 'use the add tool with {"a": 2, "b": 40}'
    if stream:
        face.stream(agent, message, session, request_options={"tool_choice": "add"})
    else:
        face.chat(agent, message, session, request_options={"tool_choice": "add"})
    first, second = (r.body for r in server.requests)
    assert first["tool_choice"] == FORCED[provider]
    assert "tool_choice" not in second  # after the tool ran, the model may answer
    assert [m.role for m in session.messages] == ["user", "assistant", "tool", "assistant"]
    assert session.messages[2].content == "42"


def test_a_neutral_choice_that_does_not_force_stays_for_the_whole_turn(
    face: Face, provider: str, server: WireServer
) -> None:
    agent = face.agent(
        provider=provider, model=MODELS[provider], tools=adder(), request_options={"tool_choice": "auto"}
    )
    face.chat(agent, 'use the add tool with {"a": 1, "b": 1}', ChatSession())
    expected = "auto" if provider == "openai" else {"type": "auto"}
    assert [r.body["tool_choice"] for r in server.requests] == [expected, expected]


def test_options_the_agent_owns_are_refused_and_nothing_is_sent(
    face: Face, provider: str, server: WireServer
) -> None:
    with pytest.raises(UsageError, match="max_output_tokens="):
        face.agent(provider=provider, model=MODELS[provider], request_options={"max_tokens": 5})
    agent = face.agent(provider=provider, model=MODELS[provider])
    session = ChatSession()
    with pytest.raises(UsageError, match="model="):
        face.chat(agent, "hello", session, request_options={"model": "other"})
    assert server.requests == []
    assert session.messages == []  # the turn was rolled back with the user's message
