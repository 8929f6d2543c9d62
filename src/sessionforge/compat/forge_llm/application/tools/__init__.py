"""``forge_llm.application.tools``: the tool registry."""

from .registry import CallableTool, ToolRegistry

__all__ = ["CallableTool", "ToolRegistry"]
