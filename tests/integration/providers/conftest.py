"""Wire-protocol servers for the provider tests."""

from servers.fixtures import anthropic_server, openai_server, provider_env, wire_servers

__all__ = ["anthropic_server", "openai_server", "provider_env", "wire_servers"]
