"""Wire-protocol servers and the two agent faces for the provider tests."""

from __future__ import annotations

import pytest
from faces import Face

from servers.fixtures import anthropic_server, llamacpp_server, openai_server, provider_env, wire_servers

__all__ = ["anthropic_server", "face", "llamacpp_server", "openai_server", "provider_env", "wire_servers"]


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> Face:
    """The sync and the async agent, for tests that must hold for both."""
    return Face(request.param)
