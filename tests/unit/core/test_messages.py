from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionforge import ChatMessage, ImagePart, MessageFormatError, TextPart, ToolCall


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
