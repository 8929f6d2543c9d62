"""forge_llm's tool entities: a tool's definition, a call the model made, and its result.

Definitions built from a function use sessionforge's schema builder (types through pydantic, the
docstring's ``Args:`` section for argument descriptions), and all three put themselves on the wire
through sessionforge's provider mappings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.messages import ToolCall as NativeCall
from sessionforge.providers import openai
from sessionforge.tools.registry import ToolRegistry as NativeRegistry
from sessionforge.tools.registry import ToolSchema

__all__ = ["ToolCall", "ToolDefinition", "ToolResult"]

_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass
class ToolDefinition:
    """What a model is told about a tool: its name, description and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> ToolSchema:
        """sessionforge's schema record of this definition."""
        return ToolSchema(self.name, self.description, self.parameters or dict(_EMPTY_PARAMETERS))

    def to_openai_format(self) -> dict[str, Any]:
        return openai.tools_to_wire([self.to_schema()])[0]

    def to_anthropic_format(self) -> dict[str, Any]:
        schema = self.to_schema()
        return {"name": schema.name, "description": schema.description, "input_schema": schema.parameters}

    @classmethod
    def from_schema(cls, schema: ToolSchema) -> ToolDefinition:
        return cls(name=schema.name, description=schema.description, parameters=dict(schema.parameters))

    @classmethod
    def from_callable(cls, func: Callable[..., Any]) -> ToolDefinition:
        """The definition of ``func``: its name, docstring summary and typed parameters."""
        return cls.from_schema(NativeRegistry().register(func).schema)


@dataclass
class ToolCall:
    """A tool call requested by the model; ``arguments`` is the decoded JSON object."""

    id: str
    name: str
    arguments: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_openai(cls, tool_call: dict[str, Any]) -> ToolCall:
        """From an OpenAI ``tool_calls`` entry; arguments that are not a JSON object read as ``{}``."""
        function = tool_call.get("function", {})
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except (TypeError, json.JSONDecodeError):
            arguments = {}
        return cls(
            id=tool_call.get("id", ""),
            name=function.get("name", ""),
            arguments=arguments if isinstance(arguments, dict) else {},
        )

    @classmethod
    def from_anthropic(cls, tool_use: dict[str, Any]) -> ToolCall:
        """From an Anthropic ``tool_use`` block."""
        return cls(
            id=tool_use.get("id", ""), name=tool_use.get("name", ""), arguments=tool_use.get("input", {})
        )

    @classmethod
    def from_native(cls, call: NativeCall) -> ToolCall:
        return cls(id=call.id, name=call.name, arguments=dict(call.arguments))

    def to_native(self) -> NativeCall:
        return NativeCall(id=self.id, name=self.name, arguments=self.arguments)


@dataclass
class ToolResult:
    """The outcome of one tool call, as text for the model; ``is_error`` marks a failure."""

    tool_call_id: str
    content: str
    is_error: bool = False

    def to_native_message(self) -> NativeMessage:
        """The tool message sessionforge keeps in a session for this result."""
        metadata = {"is_error": True} if self.is_error else {}
        return NativeMessage.tool(self.content, self.tool_call_id, metadata=metadata)

    def to_openai_message(self) -> dict[str, Any]:
        wire = openai.message_to_wire(self.to_native_message())
        return {"role": wire["role"], "tool_call_id": wire["tool_call_id"], "content": wire["content"]}

    def to_anthropic_block(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": self.tool_call_id,
            "content": self.content,
        }
        if self.is_error:
            block["is_error"] = True
        return block

    @classmethod
    def from_exception(cls, tool_call_id: str, exception: Exception) -> ToolResult:
        return cls(tool_call_id=tool_call_id, content=f"Error: {exception}", is_error=True)
