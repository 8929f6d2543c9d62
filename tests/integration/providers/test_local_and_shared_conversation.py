"""The embedded model, and one conversation carried through OpenAI, Anthropic and the embedded model.

The embedded model is 135M parameters: tests check structure and token accounting, never wisdom.
"""

from __future__ import annotations

import importlib

import pytest
from faces import Face

from servers import AnthropicServer, OpenAIServer
from sessionforge import ChatSession
from sessionforge.core.tokens import counter_for_model

pytestmark = pytest.mark.usefixtures("provider_env")

local_model = pytest.mark.local_model


@local_model
def test_local_chat_counts_tokens_exactly(face: Face) -> None:
    importlib.import_module("llama_cpp")  # the local extra is a dev dependency: fail, never skip
    session = ChatSession(system_prompt="Be brief.")
    agent = face.agent(provider="local", max_output_tokens=8)
    response = face.chat(agent, "Say hello.", session)
    assert response.provider == "local"
    assert response.model == "smollm2-135m"
    assert 0 < response.usage.completion_tokens <= 8
    assert response.usage.estimated_cost_usd == 0.0
    assert response.usage.accuracy == "exact"
    assert session.token_accuracy == "exact"
    # The session's own count of the request equals what the model's tokenizer reported.
    sent = session.messages[:-1]
    assert counter_for_model("smollm2-135m").count_messages(sent) == response.usage.prompt_tokens
    assert session.messages[-1].role == "assistant"


@local_model
def test_local_streaming(face: Face) -> None:
    importlib.import_module("llama_cpp")  # the local extra is a dev dependency: fail, never skip
    session = ChatSession(system_prompt="Be brief.")
    agent = face.agent(provider="local", max_output_tokens=6)
    chunks = face.stream(agent, "Count to three.", session)
    assert chunks
    assert session.messages[-1].text == "".join(chunks)
    assert agent.last_response is not None
    assert agent.last_response.usage.completion_tokens <= 6


@pytest.mark.parametrize("with_local", [pytest.param(True, marks=local_model), False])
def test_one_conversation_through_every_provider(
    face: Face, openai_server: OpenAIServer, anthropic_server: AnthropicServer, with_local: bool
) -> None:
    session = ChatSession(system_prompt="Be brief.")
    openai_reply = face.chat(face.agent(provider="openai", model="gpt-4o-mini"), "My name is Alice.", session)
    anthropic_reply = face.chat(
        face.agent(provider="anthropic", model="claude-3-haiku-20240307"), "What's my name?", session
    )
    assert openai_reply.content == "Echo: My name is Alice."
    assert anthropic_reply.content == "Your name is Alice."
    roles = ["system", "user", "assistant", "user", "assistant"]
    if with_local:
        importlib.import_module("llama_cpp")  # the local extra is a dev dependency: fail, never skip
        local_reply = face.chat(face.agent(provider="local", max_output_tokens=6), "And now?", session)
        assert local_reply.provider == "local"
        assert local_reply.usage.prompt_tokens == counter_for_model("smollm2-135m").count_messages(
            session.messages[:-1]
        )
        roles += ["user", "assistant"]
    assert [m.role for m in session.messages] == roles
    assert (openai_reply.provider, anthropic_reply.provider) == ("openai", "anthropic")
