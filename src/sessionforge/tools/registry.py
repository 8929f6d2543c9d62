"""A registry of tools built from typed Python functions.

The JSON schema a model sees is derived from the function's signature (types through pydantic) and its
docstring (the summary describes the tool, a Google-style ``Args:`` section describes each argument),
so a tool is declared once, as ordinary code. Arguments the model sends are validated against the same
pydantic model before the function runs.

The registry knows nothing of providers or sessions: :meth:`ToolRegistry.call` raises
:class:`~sessionforge.errors.ToolProcessingError` (so a processor can retry or log), and
:meth:`ToolRegistry.execute` turns every failure into an error result a model can read, which is what a
tool loop wants: a broken tool should be reported to the model, not crash the conversation.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.fields import FieldInfo

from .._sync import run_sync
from ..core.events import render_tool_result
from ..errors import ToolProcessingError, UsageError

__all__ = ["Tool", "ToolRegistry", "ToolResult", "ToolSchema", "decode_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")


@dataclass(frozen=True)
class ToolSchema:
    """What a model is told about a tool; each wire format wraps it its own way."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """The text sent back to the model for one call, and whether it reports a failure."""

    content: str
    is_error: bool = False


@dataclass(frozen=True)
class Tool:
    """One registered function with its schema and argument model.

    A tool declared with its own JSON schema (:meth:`ToolRegistry.declare`) has ``parameters`` set:
    that schema is what the model sees, and the arguments reach the function as sent.
    """

    name: str
    description: str
    function: Callable[..., Any]
    arguments_model: type[BaseModel]
    is_async: bool
    parameters: dict[str, Any] | None = None

    @property
    def schema(self) -> ToolSchema:
        if self.parameters is not None:
            return ToolSchema(self.name, self.description, dict(self.parameters))
        parameters = self.arguments_model.model_json_schema()
        parameters.pop("title", None)
        return ToolSchema(self.name, self.description, parameters)


def _parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The summary paragraph and the per-argument descriptions of a Google-style docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    current: str | None = None
    in_args = False
    for line in lines:
        if _ARGS_HEADER.match(line):
            in_args, current = True, None
            continue
        if in_args and _SECTION.match(line):
            in_args, current = False, None
            continue
        if in_args:
            match = _ARG_LINE.match(line)
            if match and not line.startswith(" " * 8):
                current = match.group(1).lstrip("*")
                args[current] = match.group(3).strip()
            elif current and line.strip():
                args[current] = f"{args[current]} {line.strip()}".strip()
            continue
        if not args and (line.strip() or summary):
            summary.append(line.strip())
    text = " ".join(" ".join(summary).split())
    return text, args


def _arguments_model(name: str, function: Callable[..., Any], docs: Mapping[str, str]) -> type[BaseModel]:
    hints = get_type_hints(function)
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise UsageError(f"tool {name!r}: *args and **kwargs cannot be described to a model")
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, FieldInfo(default=default, description=docs.get(param.name)))
    config = ConfigDict(extra="forbid")
    model: type[BaseModel] = create_model(f"{name}_arguments", __config__=config, **fields)
    return model


_ANY_ARGUMENTS: type[BaseModel] = create_model("declared_arguments", __config__=ConfigDict(extra="allow"))


def decode_arguments(name: str, raw: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The arguments a model sent for tool ``name`` as a JSON object: the one place they are decoded.

    Missing or empty arguments are ``{}``. Raises :class:`ToolProcessingError`, worded for the model,
    for text that is not JSON or JSON that is not an object.
    """
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            decoded = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ToolProcessingError(
                f"the arguments for tool {name!r} are not valid JSON ({exc.msg}); send a JSON object"
            ) from exc
    elif isinstance(raw, BaseModel):
        decoded = raw.model_dump()
    else:
        decoded = raw
    if not isinstance(decoded, Mapping):
        raise ToolProcessingError(f"the arguments for tool {name!r} must be a JSON object")
    return dict(decoded)


class ToolRegistry:
    """Named tools a model may call.

    Register with ``@registry.tool`` or ``@registry.tool(name=..., description=...)``; sync and
    ``async def`` functions are both accepted. The decorator returns the function unchanged.
    """

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    # ---- registering -------------------------------------------------------------------------

    @overload
    def tool(self, function: F, /) -> F: ...

    @overload
    def tool(
        self, function: None = None, /, *, name: str | None = None, description: str | None = None
    ) -> Callable[[F], F]: ...

    def tool(
        self,
        function: F | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> F | Callable[[F], F]:
        """Register a function as a tool (usable bare or with arguments)."""

        def decorate(fn: F) -> F:
            self.register(fn, name=name, description=description)
            return fn

        return decorate(function) if function is not None else decorate

    def register(
        self, function: Callable[..., Any], *, name: str | None = None, description: str | None = None
    ) -> Tool:
        """Register ``function`` and return its :class:`Tool` record."""
        tool_name = self._free_name(name or function.__name__)
        summary, arg_docs = _parse_docstring(function.__doc__)
        tool = Tool(
            name=tool_name,
            description=description or summary or tool_name,
            function=function,
            arguments_model=_arguments_model(tool_name, function, arg_docs),
            is_async=inspect.iscoroutinefunction(function),
        )
        self._tools[tool_name] = tool
        return tool

    def declare(
        self,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        function: Callable[..., Any] | None = None,
    ) -> Tool:
        """Register a tool by its JSON schema, for tools described elsewhere (another library's tool
        objects, a remote tool). ``function(**arguments)`` runs it with the arguments as sent; a tool
        declared without one is shown to the model but cannot be run here."""
        tool_name = self._free_name(name)

        def unavailable(**_: Any) -> Any:
            raise ToolProcessingError(f"tool {tool_name!r} is declared without an implementation here")

        tool = Tool(
            name=tool_name,
            description=description or tool_name,
            function=function or unavailable,
            arguments_model=_ANY_ARGUMENTS,
            is_async=function is not None and inspect.iscoroutinefunction(function),
            parameters=dict(parameters) or {"type": "object", "properties": {}},
        )
        self._tools[tool_name] = tool
        return tool

    def _free_name(self, tool_name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", tool_name):
            raise UsageError(
                f"tool name {tool_name!r} must be 1-64 letters, digits, '_' or '-' (a provider rule)"
            )
        if tool_name in self._tools:
            raise UsageError(f"a tool named {tool_name!r} is already registered")
        return tool_name

    # ---- reading -----------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(self._tools) or "none"
            raise ToolProcessingError(f"unknown tool {name!r}; the tools available are: {known}") from None

    def schemas(self) -> list[ToolSchema]:
        """Every tool's schema, in registration order, for a provider adapter to put on the wire."""
        return [tool.schema for tool in self._tools.values()]

    # ---- calling -----------------------------------------------------------------------------

    def _prepare(self, name: str, arguments: str | Mapping[str, Any] | None) -> tuple[Tool, dict[str, Any]]:
        tool = self.get(name)
        raw = decode_arguments(name, arguments)
        if tool.parameters is not None:  # its own schema: the arguments go to it as sent
            return tool, raw
        try:
            validated = tool.arguments_model.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
            )
            raise ToolProcessingError(f"invalid arguments for tool {name!r}: {problems}") from exc
        return tool, {key: getattr(validated, key) for key in type(validated).model_fields}

    def bind(
        self, name: str, arguments: str | Mapping[str, Any] | None = None
    ) -> tuple[Tool, dict[str, Any]]:
        """The tool and its validated keyword arguments, without running it.

        For a caller that runs tools its own way (the session-aware processor adds timeouts, retries
        and threads): raises :class:`ToolProcessingError` for an unknown tool or bad arguments.
        """
        return self._prepare(name, arguments)

    def call(self, name: str, arguments: str | Mapping[str, Any] | None = None) -> str:
        """Run a tool and return its result as text.

        ``arguments`` is the JSON object the model sent (as a string or decoded). An async tool is run
        to completion (not from inside a running event loop: use :meth:`acall` there). Raises
        :class:`ToolProcessingError` for an unknown tool, bad arguments or a tool that raised.
        """
        tool, kwargs = self._prepare(name, arguments)
        try:
            if tool.is_async:
                result = run_sync(tool.function(**kwargs), async_name="ToolRegistry.acall")
            else:
                result = tool.function(**kwargs)
        except ToolProcessingError:
            raise
        except Exception as exc:
            raise ToolProcessingError(f"tool {name!r} failed: {type(exc).__name__}: {exc}") from exc
        return self.render(result)

    async def acall(self, name: str, arguments: str | Mapping[str, Any] | None = None) -> str:
        """The async twin of :meth:`call`; a sync tool runs inline."""
        tool, kwargs = self._prepare(name, arguments)
        try:
            result = tool.function(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise ToolProcessingError(f"tool {name!r} failed: {type(exc).__name__}: {exc}") from exc
        return self.render(result)

    @staticmethod
    def render(result: Any) -> str:
        """A tool's result as the model reads it (text as is, anything else as JSON)."""
        return render_tool_result(result)

    def execute(self, name: str, arguments: str | Mapping[str, Any] | None = None) -> ToolResult:
        """:meth:`call`, with any failure turned into an error result for the model."""
        try:
            return ToolResult(self.call(name, arguments))
        except ToolProcessingError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)

    async def aexecute(self, name: str, arguments: str | Mapping[str, Any] | None = None) -> ToolResult:
        """The async twin of :meth:`execute`."""
        try:
            return ToolResult(await self.acall(name, arguments))
        except ToolProcessingError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)
