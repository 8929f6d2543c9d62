"""forge_llm 0.5.0, mirrored over sessionforge: ``from sessionforge.compat.forge_llm import ...``.

The values (messages, content blocks, tool entities, responses, ``TokenUsage``) keep forge_llm's
shapes and convert to sessionforge's one model; compactors and the tool registry are sessionforge's,
behind forge_llm's methods. Where behaviour differs (exact token counts where forge_llm estimated
characters / 4, for one), ``MIGRATING.md`` says how and why.
"""

from .application.agents import AsyncChatAgent, ChatAgent
from .application.session import AsyncSummarizeCompactor, ChatSession, SummarizeCompactor, TruncateCompactor
from .application.tools import ToolRegistry
from .domain.entities import ChatChunk, ChatConfig, ChatMessage, ToolCall, ToolDefinition, ToolResult
from .domain.value_objects import (
    AudioContent,
    ChatResponse,
    ContentBlock,
    ImageContent,
    ResponseMetadata,
    TextContent,
    TokenUsage,
)

__version__ = "0.5.0"
"""The forge_llm release whose public API this mirrors."""

__all__ = [
    "AsyncChatAgent",
    "AsyncSummarizeCompactor",
    "AudioContent",
    "ChatAgent",
    "ChatChunk",
    "ChatConfig",
    "ChatMessage",
    "ChatResponse",
    "ChatSession",
    "ContentBlock",
    "ImageContent",
    "ResponseMetadata",
    "SummarizeCompactor",
    "TextContent",
    "TokenUsage",
    "ToolCall",
    "ToolDefinition",
    "ToolRegistry",
    "ToolResult",
    "TruncateCompactor",
    "__version__",
]
