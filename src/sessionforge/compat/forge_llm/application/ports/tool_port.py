"""forge_llm's tool port: anything with a ``definition`` and an ``execute(call)``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ...domain.entities import ToolCall, ToolDefinition, ToolResult

__all__ = ["IToolPort"]


@runtime_checkable
class IToolPort(Protocol):
    """A tool a registry can hold: it describes itself and runs a call."""

    @property
    def definition(self) -> ToolDefinition: ...

    def execute(self, call: ToolCall) -> ToolResult: ...
