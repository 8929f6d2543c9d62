"""pytest fixtures: servers started once per test session (the wire servers reset before each test).

Import these names into a ``conftest.py`` (or a test module) to use them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sessionforge.providers.pricing import PRICE_ENV

from .databases import start_or_fail
from .httpd import GOOD_KEY
from .llamacpp import LlamaCppServer
from .protocols import AnthropicServer, OpenAIServer

__all__ = ["anthropic_server", "llamacpp_server", "openai_server", "provider_env", "wire_servers"]


@pytest.fixture(scope="session")
def llamacpp_server() -> Iterator[LlamaCppServer]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2, shared by the whole run."""
    server: LlamaCppServer = start_or_fail(LlamaCppServer)
    yield server
    server.close()


@pytest.fixture(scope="session")
def wire_servers() -> Iterator[tuple[OpenAIServer, AnthropicServer]]:
    openai = OpenAIServer().start()
    anthropic = AnthropicServer().start()
    yield openai, anthropic
    openai.stop()
    anthropic.stop()


@pytest.fixture
def openai_server(wire_servers: tuple[OpenAIServer, AnthropicServer]) -> OpenAIServer:
    server = wire_servers[0]
    server.reset()
    return server


@pytest.fixture
def anthropic_server(wire_servers: tuple[OpenAIServer, AnthropicServer]) -> AnthropicServer:
    server = wire_servers[1]
    server.reset()
    return server


@pytest.fixture
def provider_env(
    openai_server: OpenAIServer, anthropic_server: AnthropicServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point both SDKs at the local servers through the environment, as a user's shell would.

    The servers stand in for OpenAI's and Anthropic's clouds, so their models are priced from the
    registry, as a user would ask for a local gateway to a cloud API; without this, a server on
    127.0.0.1 is a self-hosted one and costs nothing.
    """
    monkeypatch.setenv(PRICE_ENV, "registry")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", GOOD_KEY)
