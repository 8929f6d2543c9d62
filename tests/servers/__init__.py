"""Real servers for the tests, started and stopped by the tests themselves.

Wire-protocol servers for OpenAI and Anthropic (the real SDKs talk to them over HTTP on 127.0.0.1),
llama-cpp-python's real OpenAI-compatible server with the embedded SmolLM2 weights, and real Redis,
Redis Cluster and PostgreSQL servers on loopback ports.
"""

from .databases import PostgresServer, RedisCluster, RedisServer, ServerMissing, free_port, start_or_fail
from .httpd import GOOD_KEY, Recorded, WireServer
from .llamacpp import LlamaCppServer
from .protocols import AnthropicServer, OpenAIServer

__all__ = [
    "GOOD_KEY",
    "AnthropicServer",
    "LlamaCppServer",
    "OpenAIServer",
    "PostgresServer",
    "Recorded",
    "RedisCluster",
    "RedisServer",
    "ServerMissing",
    "WireServer",
    "free_port",
    "start_or_fail",
]
