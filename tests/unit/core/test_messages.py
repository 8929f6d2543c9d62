from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sessionforge import ChatMessage, ImagePart, MessageFormatError, SessionforgeError, TextPart, ToolCall
from sessionforge.core.messages import MAX_VALUE_DEPTH


def test_constructors_set_roles() -> None:
    assert ChatMessage.system("s").role == "system"
    assert ChatMessage.user("u").role == "user"
    assert ChatMessage.assistant("a").role == "assistant"
    tool = ChatMessage.tool("42", tool_call_id="call_1", name="calc")
    assert (tool.role, tool.tool_call_id, tool.name) == ("tool", "call_1", "calc")


def test_round_trip_keeps_every_field() -> None:
    original = ChatMessage(
        role="assistant",
        content=[TextPart(text="look: "), ImagePart(url="data:image/png;base64,AAAA", detail="low")],
        tool_calls=[ToolCall(id="c1", name="search", arguments={"q": "東京", "n": 3})],
        name="bot",
        metadata={"trace": [1, 2], "ok": True},
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    data = original.to_dict()
    assert data["schema_version"] == 1
    again = ChatMessage.from_dict(data)
    assert again == original
    assert again.to_dict() == data


def test_from_dict_accepts_plain_provider_dicts() -> None:
    message = ChatMessage.from_dict({"role": "user", "content": "hi"})
    assert message.text == "hi"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "robot", "content": "x"}, "role"),
        ({"role": "user", "content": 5}, "content"),
        ({"role": "assistant", "tool_calls": [{"id": "", "name": "f"}]}, "tool_calls.0.id"),
        ({"role": "user", "content": "x", "colour": "red"}, "colour"),
        ({"role": "user", "content": "x", "schema_version": 99}, "schema_version"),
    ],
)
def test_malformed_dict_names_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(MessageFormatError) as info:
        ChatMessage.from_dict(payload)
    assert info.value.field is not None
    assert info.value.field.startswith(field)
    assert field.split(".")[0] in str(info.value)


def test_tool_message_requires_call_id() -> None:
    with pytest.raises(MessageFormatError, match="tool_call_id"):
        ChatMessage.from_dict({"role": "tool", "content": "x"})


def test_only_assistant_carries_tool_calls() -> None:
    with pytest.raises(MessageFormatError, match="only assistant"):
        ChatMessage.from_dict({"role": "user", "content": "x", "tool_calls": [{"id": "a", "name": "f"}]})


def test_non_dict_is_refused() -> None:
    with pytest.raises(MessageFormatError, match="must be a dict"):
        ChatMessage.from_dict(["user", "hi"])


def test_messages_are_immutable_values() -> None:
    message = ChatMessage.user("hi")
    with pytest.raises(ValueError, match="frozen"):
        message.content = "changed"  # type: ignore[misc]
    assert message == ChatMessage.from_dict(message.to_dict())


def test_text_joins_text_parts() -> None:
    message = ChatMessage.user([TextPart(text="a"), ImagePart(url="https://x/y.png"), TextPart(text="b")])
    assert message.text == "ab"


CONSTRUCTOR_MISUSE = [
    (lambda: ChatMessage(role="wizard", content="x"), "role"),  # type: ignore[arg-type]
    (lambda: ChatMessage.user(None), "content"),  # type: ignore[arg-type]
    (lambda: ChatMessage.system(None), "content"),  # type: ignore[arg-type]
    (lambda: ChatMessage.tool(None, tool_call_id="c"), "content"),  # type: ignore[arg-type]
    (lambda: ChatMessage.user(42), "content"),  # type: ignore[arg-type]
    (lambda: ChatMessage(role="user", content="x", colour="red"), "colour"),  # type: ignore[call-arg]
    (lambda: ChatMessage(role="tool", content="x"), "tool_call_id"),
    (lambda: ChatMessage(role="user", content="x", tool_calls=[ToolCall(id="a", name="f")]), "tool_calls"),
    (lambda: ToolCall(id="", name="f"), "id"),
    (lambda: ToolCall(id="a", name="f", arguments="{}"), "arguments"),  # type: ignore[arg-type]
    (lambda: TextPart(text=None), "text"),  # type: ignore[arg-type]
    (lambda: ImagePart(url="x", detail="huge"), "detail"),  # type: ignore[arg-type]
    (lambda: ChatMessage.model_validate({"role": "wizard"}), "role"),
    (lambda: ChatMessage.model_validate_json('{"role": "user", "content": 1}'), "content"),
]


@pytest.mark.parametrize(("build", "field"), CONSTRUCTOR_MISUSE, ids=[f for _, f in CONSTRUCTOR_MISUSE])
def test_constructors_raise_our_error_naming_the_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(MessageFormatError) as info:
        build()
    assert isinstance(info.value, SessionforgeError)
    assert not isinstance(info.value, ValidationError)
    assert info.value.field == field
    assert f"field {field!r}" in str(info.value)


def test_assigning_to_a_message_raises_our_error() -> None:
    with pytest.raises(MessageFormatError, match="frozen"):
        ChatMessage.user("hi").content = "changed"  # type: ignore[misc]


UNSTORABLE = [
    (lambda: ChatMessage.user("a \ud800 b"), "content", "lone surrogate"),
    (
        lambda: ChatMessage.user([TextPart(text="ok"), {"kind": "text", "text": "\udc00"}]),
        "content.1.text",
        "lone surrogate",
    ),  # type: ignore[list-item]
    (lambda: ChatMessage.user([ImagePart(url="https://x/\udc00")]), "url", "lone surrogate"),
    (lambda: ChatMessage.tool("ok", tool_call_id="c\ud800"), "tool_call_id", "lone surrogate"),
    (lambda: ChatMessage.user("x", name="\ud800"), "name", "lone surrogate"),
    (lambda: ToolCall(id="c", name="f\ud800"), "name", "unicode string"),  # pydantic's own check
    (
        lambda: ToolCall(id="c", name="f", arguments={"when": datetime(2026, 1, 1)}),
        "arguments.when",
        "datetime",
    ),
    (lambda: ToolCall(id="c", name="f", arguments={"x": float("nan")}), "arguments.x", "not a JSON number"),
    (
        lambda: ChatMessage.assistant(
            None, tool_calls=[{"id": "c", "name": "f", "arguments": {"t": (1, 2)}}]
        ),  # type: ignore[list-item]
        "tool_calls.0.arguments.t",
        "tuple",
    ),
    (lambda: ChatMessage.user("x", metadata={"tags": {"a"}}), "metadata.tags", "set is not a JSON value"),
    (lambda: ChatMessage.user("x", metadata={"k": {"\udc00": 1}}), "metadata.k.'\\udc00'", "lone surrogate"),
    (lambda: ChatMessage.user("x", metadata=_deep(MAX_VALUE_DEPTH + 1)), None, "nested deeper than 100"),
    (lambda: ChatMessage.user("x", metadata=_deep(10_000)), None, "nested deeper than 100"),
]


def _deep(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


@pytest.mark.parametrize(("build", "field", "reason"), UNSTORABLE, ids=[f or r for _, f, r in UNSTORABLE])
def test_what_a_store_could_not_keep_is_refused_at_construction(
    build: Callable[[], object], field: str | None, reason: str
) -> None:
    with pytest.raises(MessageFormatError, match=reason) as info:
        build()
    if field is not None:
        assert info.value.field is not None and info.value.field.endswith(field)


def test_metadata_and_arguments_at_the_limits_round_trip() -> None:
    message = ChatMessage.assistant(
        None,
        tool_calls=[ToolCall(id="c", name="f", arguments={"deep": _deep(MAX_VALUE_DEPTH - 1), "n": 2**80})],
        metadata={"deep": _deep(MAX_VALUE_DEPTH - 1), "emoji": "🎉", "x": -0.0, "nul": "\x00"},
    )
    assert ChatMessage.from_dict(message.to_dict()) == message


def test_an_assistant_message_may_have_no_content() -> None:
    assert ChatMessage.assistant(None).content is None
