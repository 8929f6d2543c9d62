"""forge_llm's tools, exceptions, compactors, prompts and plugin registry through the mirror."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sessionforge
from sessionforge.compat.forge_llm import (
    ChatMessage,
    ToolCall,
    ToolDefinition,
    ToolRegistry,
    ToolResult,
    TruncateCompactor,
)
from sessionforge.compat.forge_llm.application import ForgeLLMRegistry, get_registry, reset_registry
from sessionforge.compat.forge_llm.application.ports import IToolPort
from sessionforge.compat.forge_llm.application.session import SessionCompactor
from sessionforge.compat.forge_llm.application.tools import CallableTool
from sessionforge.compat.forge_llm.domain import (
    AuthenticationError,
    ContextOverflowError,
    ForgeLLMError,
    InvalidMessageError,
    ProviderError,
    ProviderNotConfiguredError,
    RequestTimeoutError,
    SessionNotFoundError,
    ToolError,
    ToolNotFoundError,
    ToolValidationError,
    UnsupportedProviderError,
)
from sessionforge.compat.forge_llm.domain.exceptions import translating
from sessionforge.compat.forge_llm.prompts import (
    DEFAULT_PROMPTS,
    get_default_prompt,
    list_prompts,
    load_prompt,
    load_prompt_from_file,
)
from sessionforge.core.tokens import counter_for_model
from sessionforge.faces.chat_session import ChatSession as NativeSession

# ---- tools ------------------------------------------------------------------------------------------


def test_registry_of_functions_and_tool_objects() -> None:
    registry = ToolRegistry()

    @registry.tool
    def get_weather(location: str, unit: str = "C") -> str:
        """Get the weather for a location.

        Args:
            location: the city
        """
        return f"Sunny in {location} ({unit})"

    def add(a: int, b: int) -> dict[str, int]:
        """Add two integers."""
        return {"sum": a + b}

    registry.register_callable(add)

    class Echo:
        @property
        def definition(self) -> ToolDefinition:
            return ToolDefinition("echo", "Say it back.")

        def execute(self, call: ToolCall) -> ToolResult:
            return ToolResult(call.id, str(call.arguments.get("text")))

    echo = Echo()
    assert isinstance(echo, IToolPort)
    registry.register(echo)

    assert registry.list_tools() == ["get_weather", "add", "echo"]
    assert registry.has("add") and not registry.has("nope") and registry.get("nope") is None
    weather = registry.get_definitions()[0]
    assert weather.description == "Get the weather for a location."
    assert weather.parameters["required"] == ["location"]
    assert weather.parameters["properties"]["location"]["description"] == "the city"
    assert registry.get_definitions()[2].to_openai_format()["function"]["parameters"] == {
        "type": "object",
        "properties": {},
    }

    assert registry.execute(ToolCall("1", "get_weather", {"location": "Oslo"})) == ToolResult(
        "1", "Sunny in Oslo (C)"
    )
    assert registry.execute(ToolCall("2", "add", {"a": 2, "b": 3})) == ToolResult("2", '{"sum": 5}')
    assert registry.execute(ToolCall("3", "echo", {"text": "hi"})) == ToolResult("3", "hi")
    missing = registry.execute(ToolCall("4", "nope", {}))
    assert missing.is_error and "Tool not found: nope" in missing.content
    invalid = registry.execute(ToolCall("5", "add", {"a": "two"}))
    assert invalid.is_error and invalid.tool_call_id == "5"
    registry.clear()
    assert registry.list_tools() == []


def test_callable_tool_validates_before_running() -> None:
    calls: list[int] = []

    def square(x: int) -> int:
        """Square a number."""
        calls.append(x)
        return x * x

    tool = CallableTool(square)
    assert tool.definition.name == "square"
    assert tool.validate_arguments({"x": 3}) == []
    assert tool.validate_arguments({}) == ["x: Field required"]
    assert tool.validate_arguments({"x": 1, "y": 2}) == ["y: Extra inputs are not permitted"]
    assert tool.execute(ToolCall("c", "square", {"x": 4})) == ToolResult("c", "16")
    assert tool.execute(ToolCall("d", "square", {"x": "four"})).is_error
    assert calls == [4]


def test_a_failing_tool_becomes_an_error_result() -> None:
    registry = ToolRegistry()

    @registry.tool
    def boom() -> str:
        """Fail."""
        raise RuntimeError("kaput")

    result = registry.execute(ToolCall("c", "boom", {}))
    assert result.is_error and "kaput" in result.content


def test_tool_entities_in_both_wire_formats() -> None:
    definition = ToolDefinition.from_callable(lambda_free_add)
    assert definition.to_anthropic_format()["input_schema"]["required"] == ["a", "b"]
    assert definition.to_openai_format()["type"] == "function"
    call = ToolCall.from_openai({"id": "c1", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}})
    assert call == ToolCall("c1", "add", {"a": 1, "b": 2})
    assert (
        ToolCall.from_openai({"id": "c2", "function": {"name": "add", "arguments": "{bad"}}).arguments == {}
    )
    assert ToolCall.from_anthropic({"id": "t1", "name": "add", "input": {"a": 1}}).to_dict() == {
        "id": "t1",
        "name": "add",
        "arguments": {"a": 1},
    }
    failed = ToolResult.from_exception("c1", ValueError("bad input"))
    assert failed == ToolResult("c1", "Error: bad input", is_error=True)
    assert failed.to_openai_message() == {"role": "tool", "tool_call_id": "c1", "content": "Error: bad input"}
    assert failed.to_anthropic_block() == {
        "type": "tool_result",
        "tool_use_id": "c1",
        "content": "Error: bad input",
        "is_error": True,
    }


def lambda_free_add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# ---- exceptions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "native"),
    [
        (ProviderNotConfiguredError("openai"), "PROVIDER_NOT_CONFIGURED", sessionforge.MissingAPIKeyError),
        (UnsupportedProviderError("acme"), "UNSUPPORTED_PROVIDER", sessionforge.UnknownProviderError),
        (AuthenticationError("openai", "bad key"), "AUTHENTICATION_ERROR", sessionforge.AuthenticationError),
        (InvalidMessageError("empty"), "INVALID_MESSAGE", sessionforge.MessageFormatError),
        (RequestTimeoutError("openai", 30.0), "REQUEST_TIMEOUT", sessionforge.ProviderTimeoutError),
        (SessionNotFoundError("s1"), "SESSION_NOT_FOUND", sessionforge.SessionNotFound),
        (ContextOverflowError(2100, 2000), "CONTEXT_OVERFLOW", sessionforge.ContextOverflowError),
        (ToolNotFoundError("add"), "TOOL_NOT_FOUND", sessionforge.ToolProcessingError),
        (
            ToolValidationError("add", ["a: required"]),
            "TOOL_VALIDATION_ERROR",
            sessionforge.ToolProcessingError,
        ),
    ],
)
def test_each_exception_is_in_both_trees(error: ForgeLLMError, code: str, native: type[Exception]) -> None:
    assert error.code == code
    assert error.message == str(error)
    assert isinstance(error, ForgeLLMError)
    assert isinstance(error, native)
    assert isinstance(error, sessionforge.SessionforgeError)


def test_exception_arguments_become_attributes() -> None:
    overflow = ContextOverflowError(2100, 2000)
    assert (overflow.current_tokens, overflow.max_tokens, overflow.limit, overflow.actual) == (
        2100,
        2000,
        2000,
        2100,
    )
    assert str(overflow) == "Context overflow: 2100 tokens exceeds limit of 2000"
    timeout = RequestTimeoutError("anthropic", 12.5)
    assert (timeout.provider, timeout.timeout) == ("anthropic", 12.5)
    not_configured = ProviderNotConfiguredError("openai", "no key")
    assert not_configured.provider == "openai" and not_configured.status is None
    assert str(not_configured) == "Provider 'openai' is not configured: no key"
    validation = ToolValidationError("add", ["a missing", "b missing"])
    assert validation.errors == ["a missing", "b missing"] and validation.tool_name == "add"
    assert isinstance(ToolError("x"), sessionforge.ToolProcessingError)


def test_a_class_s_code_stands_unless_one_is_given() -> None:
    assert (ForgeLLMError("x").code, ForgeLLMError("x", "MINE").code) == (None, "MINE")
    assert (ProviderError("x").code, ProviderError("x", "MINE").code) == ("PROVIDER_ERROR", "MINE")
    assert (ToolError("x").code, ToolError("x", "MINE").code) == ("TOOL_ERROR", "MINE")
    missing = SessionNotFoundError("s1")
    assert (missing.session_id, missing.args, missing.message) == (
        "s1",
        ("Session 's1' not found.",),
        str(missing),
    )
    unknown = UnsupportedProviderError("acme")
    assert (unknown.provider, str(unknown)) == ("acme", "Provider 'acme' is not supported.")


def test_translating_turns_our_errors_into_forge_llms() -> None:
    with pytest.raises(ContextOverflowError) as overflow, translating():
        raise sessionforge.ContextOverflowError("too long", limit=100, needed=120)
    assert (overflow.value.current_tokens, overflow.value.max_tokens) == (120, 100)
    assert isinstance(overflow.value.__cause__, sessionforge.ContextOverflowError)
    with pytest.raises(ProviderNotConfiguredError) as missing, translating():
        raise sessionforge.MissingAPIKeyError("no key", provider="anthropic", env_var="ANTHROPIC_API_KEY")
    assert missing.value.provider == "anthropic"
    with pytest.raises(RequestTimeoutError) as timeout, translating(timeout=5.0):
        raise sessionforge.ProviderTimeoutError("slow", provider="openai")
    assert timeout.value.timeout == 5.0
    with pytest.raises(ProviderError) as limited, translating():
        raise sessionforge.RateLimitError("slow down", provider="openai", status=429, retry_after=2.0)
    assert (limited.value.status, limited.value.retry_after) == (429, 2.0)
    # Nothing in forge_llm stands for a storage failure: it passes through unchanged.
    with pytest.raises(sessionforge.StorageError), translating():
        raise sessionforge.StorageError("disk full")


# ---- compactors -------------------------------------------------------------------------------------


def conversation(turns: int) -> list[ChatMessage]:
    messages = [ChatMessage.system("You are terse.")]
    for i in range(turns):
        messages.append(ChatMessage.user(f"Question {i}: what do you make of topic number {i}?"))
        messages.append(ChatMessage.assistant(f"Answer {i}: topic {i} is fine."))
    return messages


def test_truncate_compact_fits_the_target_and_keeps_the_same_objects() -> None:
    messages = conversation(30)
    kept = TruncateCompactor().compact(messages, 150)
    counter = counter_for_model(None)
    assert counter.count_messages([m.to_native() for m in kept]) <= 150
    assert kept[0] is messages[0]
    assert kept[-1] is messages[-1]
    assert all(any(k is m for m in messages) for k in kept)
    assert [m.role for m in kept[1:3]] in (["user", "assistant"], ["assistant", "user"])
    assert TruncateCompactor().compact(messages, 10_000) == messages


def test_truncate_refuses_a_target_the_pinned_messages_cannot_fit() -> None:
    with pytest.raises(ContextOverflowError) as caught:
        TruncateCompactor().compact(conversation(3), 5)
    assert caught.value.max_tokens == 5


def test_a_mirror_compactor_is_a_sessionforge_compactor() -> None:
    session = NativeSession(system_prompt="You are terse.", max_tokens=200, compactor=TruncateCompactor())
    for message in conversation(20)[1:]:
        session.add_message(message.to_native())
    assert session.compactions
    assert session.estimate_tokens() <= 200


def test_session_compactor_is_an_abstract_interface() -> None:
    with pytest.raises(TypeError):
        SessionCompactor()  # type: ignore[abstract]

    class KeepLast(SessionCompactor):
        def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
            return messages[-1:]

    assert KeepLast().compact(conversation(1), 10)[0].role == "assistant"


# ---- prompts and the plugin registry ----------------------------------------------------------------


def test_prompts_from_files_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "system").mkdir()
    (tmp_path / "summarization.md").write_text("# Summary\n\n```text\nSum up: {messages}\n```\n")
    (tmp_path / "system" / "coder.md").write_text("# Coder\n\nWrite code.\n")
    (tmp_path / "README.md").write_text("# Prompts\n")
    monkeypatch.setenv("FORGE_LLM_PROMPTS", str(tmp_path))
    assert load_prompt("summarization") == "Sum up: {messages}"
    assert load_prompt("system/coder") == "Write code."
    assert load_prompt("system/coder", extract_code_block=False).startswith("# Coder")
    assert list_prompts() == ["summarization", "system/coder"]
    assert load_prompt_from_file(tmp_path / "summarization.md") == "Sum up: {messages}"
    with pytest.raises(FileNotFoundError):
        load_prompt("missing")
    assert "{messages}" in DEFAULT_PROMPTS["summarization"]
    assert get_default_prompt("summarization") == DEFAULT_PROMPTS["summarization"]
    assert get_default_prompt("nope") is None


def test_plugin_registry_resolves_each_plugin_once() -> None:
    registry = ForgeLLMRegistry()
    built: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> dict[str, Any]:
        built.append(kwargs)
        return {"made": kwargs}

    registry.register("storage", "memory", factory)
    assert registry.has_plugin("storage", "memory") and not registry.has_plugin("storage", "disk")
    first = registry.resolve("storage", "memory", size=3)
    assert registry.resolve("storage", "memory") is first
    assert built == [{"size": 3}]
    assert registry.list_plugins() == {"storage": ["memory"]}
    assert registry.list_plugins("provider") == {"provider": []}
    with pytest.raises(KeyError):
        registry.resolve("provider", "openai")
    registry.clear()
    assert registry.list_plugins() == {}
    reset_registry()
    assert get_registry() is get_registry()
    reset_registry()
