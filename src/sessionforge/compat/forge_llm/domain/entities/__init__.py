"""``forge_llm.domain.entities``: messages, request options, stream chunks, provider settings, tools."""

from .chat_chunk import ChatChunk
from .chat_config import ChatConfig
from .chat_message import ChatMessage
from .provider_config import ProviderConfig
from .tool_entities import ToolCall, ToolDefinition, ToolResult

__all__ = [
    "ChatChunk",
    "ChatConfig",
    "ChatMessage",
    "ProviderConfig",
    "ToolCall",
    "ToolDefinition",
    "ToolResult",
]
