"""``forge_llm.domain.value_objects.content``: text, image and audio blocks of multimodal messages."""

from .._blocks import AudioContent, ContentBlock, ImageContent, TextContent

__all__ = ["AudioContent", "ContentBlock", "ImageContent", "TextContent"]
