"""Local servers that speak the OpenAI and Anthropic wire protocols, for tests with the real SDKs."""

from .httpd import GOOD_KEY, Recorded, WireServer
from .protocols import AnthropicServer, OpenAIServer

__all__ = ["GOOD_KEY", "AnthropicServer", "OpenAIServer", "Recorded", "WireServer"]
