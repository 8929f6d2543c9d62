"""forge_llm's ``ToolRegistry`` and ``CallableTool``, over sessionforge's tool registry.

A function registered here gets sessionforge's schema (types through pydantic, argument descriptions
from the docstring) and its validation; results are rendered as sessionforge renders them (JSON for
structured values), and every failure comes back as an error result, never as an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from sessionforge.errors import ToolProcessingError
from sessionforge.tools.registry import ToolRegistry as NativeRegistry

from ...domain.entities import ToolCall, ToolDefinition, ToolResult
from ..ports import IToolPort

__all__ = ["CallableTool", "ToolRegistry"]

logger = logging.getLogger("sessionforge.compat.forge_llm")


class CallableTool:
    """A typed Python function as a tool (``IToolPort``)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        self._native = NativeRegistry()
        self._tool = self._native.register(func)
        self._definition = ToolDefinition.from_schema(self._tool.schema)

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    @property
    def function(self) -> Callable[..., Any]:
        return self._func

    def validate_arguments(self, arguments: dict[str, Any]) -> list[str]:
        """One line per problem with ``arguments`` (missing, wrong type, unknown); empty when valid."""
        try:
            self._tool.arguments_model.model_validate(arguments)
        except ValidationError as exc:
            return [
                f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
                for error in exc.errors()
            ]
        return []

    def execute(self, call: ToolCall) -> ToolResult:
        """Run the function; bad arguments or an exception come back as an error result."""
        result = self._native.execute(self._tool.name, call.arguments)
        return ToolResult(tool_call_id=call.id, content=result.content, is_error=result.is_error)


class ToolRegistry:
    """Tools by name: functions (``@registry.tool``, :meth:`register_callable`) or ``IToolPort`` objects."""

    def __init__(self) -> None:
        self._tools: dict[str, IToolPort] = {}
        self._native: NativeRegistry | None = None

    def register(self, tool: IToolPort) -> None:
        """Register a tool object under its definition's name (replacing one of the same name)."""
        self._tools[tool.definition.name] = tool
        self._native = None
        logger.debug("tool registered: %s", tool.definition.name)

    def register_callable(self, func: Callable[..., Any]) -> None:
        self.register(CallableTool(func))

    def tool(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: register ``func`` and return it unchanged."""
        self.register_callable(func)
        return func

    def get(self, name: str) -> IToolPort | None:
        return self._tools.get(name)

    def has(self, name: str) -> bool:
        return name in self._tools

    def list_tools(self) -> list[str]:
        return list(self._tools)

    def get_definitions(self) -> list[ToolDefinition]:
        return [tool.definition for tool in self._tools.values()]

    def execute(self, call: ToolCall) -> ToolResult:
        """Run ``call``; an unknown tool or a failure comes back as an error result."""
        tool = self._tools.get(call.name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return ToolResult(
                call.id, f"Tool not found: {call.name} (the tools available are: {known})", True
            )
        try:
            return tool.execute(call)
        except Exception as exc:
            logger.warning("tool %s failed: %s", call.name, exc)
            return ToolResult.from_exception(call.id, exc)

    def clear(self) -> None:
        self._tools.clear()
        self._native = None

    def to_native(self) -> NativeRegistry:
        """The same tools in a sessionforge registry, as an agent runs them: functions with their
        typed schema, other tool objects by their declared schema."""
        if self._native is None:
            native = NativeRegistry()
            for name, tool in self._tools.items():
                if isinstance(tool, CallableTool):
                    native.register(tool.function, name=name, description=tool.definition.description)
                else:
                    definition = tool.definition
                    native.declare(name, definition.description, definition.parameters, _runner(tool, name))
            self._native = native
        return self._native


def _runner(tool: IToolPort, name: str) -> Callable[..., str]:
    """``tool`` as a function of its arguments, for sessionforge's registry (a failure raises)."""

    def run(**arguments: Any) -> str:
        result = tool.execute(ToolCall(id=f"call_{name}", name=name, arguments=arguments))
        if result.is_error:
            raise ToolProcessingError(result.content)
        return result.content

    return run
