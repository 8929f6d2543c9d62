"""Every failure status maps to our exception, carries what the provider said, and leaves the session
exactly as it was; retryable ones are retried by the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from faces import Face

from servers import AnthropicServer, OpenAIServer, WireServer
from sessionforge import ChatAgent, ChatSession
from sessionforge.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)

pytestmark = pytest.mark.usefixtures("provider_env")

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-haiku-20240307"}


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(provider: str, openai_server: OpenAIServer, anthropic_server: AnthropicServer) -> WireServer:
    return openai_server if provider == "openai" else anthropic_server


def state(session: ChatSession) -> tuple[Any, ...]:
    return (
        [m.to_dict() for m in session.messages],
        [m.to_dict() for m in session.history],
        session.estimate_tokens(),
        session.model,
        len(session.compactions),
    )


def started_session(face: Face, provider: str) -> ChatSession:
    session = ChatSession(system_prompt="Be brief.")
    face.chat(face.agent(provider=provider, model=MODELS[provider]), "My name is Alice.", session)
    return session


CASES = [
    pytest.param({"status": 429, "retry_after": 0.01, "times": 2}, RateLimitError, 429, id="429"),
    pytest.param({"status": 500, "retry_after": 0.01, "times": 2}, ServerError, 500, id="500"),
    pytest.param({"status": 404}, ModelNotFoundError, 404, id="404"),
    pytest.param({"status": 400}, BadRequestError, 400, id="400"),
    pytest.param(
        {"status": 400, "kind": "context_length"}, ContextLengthExceededError, 400, id="400-context"
    ),
    pytest.param({"status": 401}, AuthenticationError, 401, id="401"),
]


@pytest.mark.parametrize(("failure", "error", "status"), CASES)
def test_status_is_mapped_and_session_unchanged(
    face: Face,
    provider: str,
    server: WireServer,
    failure: dict[str, Any],
    error: type[ProviderError],
    status: int,
) -> None:
    session = started_session(face, provider)
    before = state(session)
    server.reset()
    server.fail_next(**failure)
    agent = face.agent(provider=provider, model=MODELS[provider], max_retries=1)
    with pytest.raises(error) as raised:
        face.chat(agent, "What's my name?", session)
    exc = raised.value
    assert (exc.provider, exc.status) == (provider, status)
    assert exc.body
    assert exc.__cause__ is not None
    assert state(session) == before
    retried = failure.get("times", 1) == 2
    assert len(server.requests) == (2 if retried else 1)
    if status == 429:
        assert exc.retry_after == pytest.approx(0.01)
        assert "wait" in str(exc)
    # the same call succeeds once the provider is well again: nothing was left half done
    assert face.chat(agent, "What's my name?", session).content == "Your name is Alice."


def test_sdk_retries_recover_a_transient_failure(face: Face, provider: str, server: WireServer) -> None:
    server.fail_next(429, retry_after=0.01)
    server.fail_next(500, retry_after=0.01)
    agent = face.agent(provider=provider, model=MODELS[provider], max_retries=2)
    assert face.chat(agent, "hi").content == "Echo: hi"
    assert len(server.requests) == 3


def test_bad_key_is_an_authentication_error(face: Face, provider: str) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], api_key="bad-key")
    with pytest.raises(AuthenticationError, match="check the API key"):
        face.chat(agent, "hi")


def test_unknown_model_is_model_not_found(face: Face, provider: str) -> None:
    with pytest.raises(ModelNotFoundError, match="check the model name"):
        face.chat(face.agent(provider=provider, model="no-such-model"), "hi")


def test_real_context_window_overflow(face: Face, provider: str) -> None:
    session = ChatSession(system_prompt="Be brief.")
    agent = face.agent(provider=provider, model="tiny-context")
    with pytest.raises(ContextLengthExceededError, match="compact"):
        face.chat(agent, "word " * 60, session)
    assert [m.role for m in session.messages] == ["system"]


def test_timeout(face: Face, provider: str, server: WireServer) -> None:
    session = started_session(face, provider)
    before = state(session)
    server.fail_next(delay=1.0)
    agent = face.agent(provider=provider, model=MODELS[provider], timeout=0.2, max_retries=0)
    with pytest.raises(ProviderTimeoutError):
        face.chat(agent, "What's my name?", session)
    assert state(session) == before


def test_unreachable_server(face: Face, provider: str) -> None:
    agent = face.agent(provider=provider, model=MODELS[provider], base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ProviderConnectionError, match="base URL"):
        face.chat(agent, "hi")


def test_error_during_streaming_rolls_back(provider: str, server: WireServer) -> None:
    session = ChatSession(system_prompt="s")
    server.fail_next(500)
    agent = ChatAgent(provider=provider, model=MODELS[provider], max_retries=0)
    with pytest.raises(ServerError):
        list(agent.stream_chat("hi", session=session))
    assert [m.role for m in session.messages] == ["system"]
