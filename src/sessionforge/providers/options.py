"""Request options: the fields of a model call that the agent does not decide itself.

``ChatAgent(..., request_options={...})`` and ``chat(..., request_options={...})`` carry fields such as
``tool_choice``, ``temperature``, ``top_p``, ``seed``, ``stop``, ``response_format`` or
``extra_body`` into every request (the per-call dict wins key by key). They are sent as they are,
with three exceptions that keep one setting meaning the same on every provider:

* ``tool_choice`` may be neutral: ``"auto"``, ``"none"``, ``"required"`` or a tool's name, spelled on
  the wire as each API wants it (a dict is sent unchanged). A request without tools sends none, and
  a choice that forces a tool applies to the first call of a turn only: once the tool has run, the
  model is asked again without it (as openai-agents' ``reset_tool_choice``), or it would call the
  tool forever.
* ``extra_body`` is merged into the JSON body; ``extra_headers``, ``extra_query`` and ``timeout``
  go to the SDK's per-request options, as with the SDKs' own ``create``.
* The fields the agent owns are refused with the argument to use instead (``model``, ``messages``,
  ``tools``, ``stream``, and the output cap, which a session budget must know).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UsageError

__all__ = [
    "SDK_OPTIONS",
    "anthropic_tool_choice",
    "apply_options",
    "merge_options",
    "openai_tool_choice",
    "split_sdk_options",
    "without_forced_choice",
]

_OWNED = {
    "model": "pass model= to the agent",
    "messages": "the session is the conversation",
    "tools": "pass tools= (a ToolRegistry) to the agent",
    "stream": "use stream_chat() to stream",
    "stream_options": "streams always ask for usage",
    "max_tokens": "pass max_output_tokens= to the agent (a session budget checks with it)",
    "max_completion_tokens": "pass max_output_tokens= to the agent (a session budget checks with it)",
}

SDK_OPTIONS = {"extra_headers": "headers", "extra_query": "params", "timeout": "timeout"}
"""Request options that are not body fields: the SDKs' per-request options they map to."""


def merge_options(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options of one call: later layers win key by key; each layer is checked."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer is None:
            continue
        if not isinstance(layer, Mapping):
            raise UsageError(f"request_options must be a dict, got {type(layer).__name__}")
        for key, value in layer.items():
            if not isinstance(key, str):
                raise UsageError(f"request_options keys must be strings, got {key!r}")
            if key in _OWNED:
                raise UsageError(f"request_options cannot set {key!r}: {_OWNED[key]}")
            if key == "extra_body" and not isinstance(value, Mapping):
                raise UsageError("request_options['extra_body'] must be a dict of body fields")
            merged[key] = value
    return merged


def _forces(choice: Any) -> bool:
    if choice is None or choice in ("auto", "none"):
        return False
    return not (isinstance(choice, Mapping) and choice.get("type") in ("auto", "none"))


def without_forced_choice(options: dict[str, Any]) -> dict[str, Any]:
    """The options for the calls after a tool round: a forcing ``tool_choice`` is dropped."""
    if not _forces(options.get("tool_choice")):
        return options
    return {k: v for k, v in options.items() if k != "tool_choice"}


def openai_tool_choice(choice: Any) -> Any:
    """A neutral ``tool_choice`` as Chat Completions spells it."""
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        return {"type": "function", "function": {"name": choice}}
    return choice


def anthropic_tool_choice(choice: Any) -> Any:
    """A neutral (or Chat Completions) ``tool_choice`` as the Messages API spells it."""
    if isinstance(choice, str):
        named = {"auto": "auto", "none": "none", "required": "any", "any": "any"}
        return {"type": named[choice]} if choice in named else {"type": "tool", "name": choice}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return choice


def apply_options(
    body: dict[str, Any],
    options: Mapping[str, Any] | None,
    *,
    has_tools: bool,
    tool_choice: Callable[[Any], Any],
    tool_fields: tuple[str, ...] = ("tool_choice",),
    temperature: float | None = None,
) -> dict[str, Any]:
    """``body`` with ``temperature`` (when set) and the extra fields ``options``: ``tool_choice``
    spelled by the wire format's ``tool_choice``, and the ``tool_fields`` dropped when the request
    offers no tools (the APIs refuse them then)."""
    if temperature is not None:
        body["temperature"] = temperature
    for key, value in (options or {}).items():
        if key in tool_fields and not has_tools:
            continue
        body[key] = tool_choice(value) if key == "tool_choice" else value
    return body


def split_sdk_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(body fields, SDK request options)``: ``extra_body`` is flattened into the body fields."""
    body: dict[str, Any] = {}
    sdk: dict[str, Any] = {}
    for key, value in options.items():
        if key in SDK_OPTIONS:
            sdk[SDK_OPTIONS[key]] = value
        elif key != "extra_body":
            body[key] = value
    body.update(options.get("extra_body") or {})
    return body, sdk
