"""``forge_llm.domain.value_objects``: token usage, response metadata and content blocks."""

from .chat_response import ChatResponse
from .content import AudioContent, ContentBlock, ImageContent, TextContent
from .response_metadata import ResponseMetadata
from .token_usage import TokenUsage

__all__ = [
    "AudioContent",
    "ChatResponse",
    "ContentBlock",
    "ImageContent",
    "ResponseMetadata",
    "TextContent",
    "TokenUsage",
]
