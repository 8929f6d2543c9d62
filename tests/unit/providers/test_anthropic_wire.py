"""Messages API mapping, both ways: system field, tool_use/tool_result, merging, user first."""

from __future__ import annotations

from sessionforge.core.messages import ChatMessage, ImagePart, TextPart, ToolCall
from sessionforge.providers.anthropic import (
    DEFAULT_MAX_TOKENS,
    OPENING_USER_TEXT,
    StreamAssembler,
    from_wire,
    to_wire,
)
from sessionforge.providers.types import ChatRequest
from sessionforge.tools.registry import ToolSchema

CALL = ToolCall(id="toolu_1", name="add", arguments={"a": 2, "b": 3})


def test_system_becomes_its_own_field() -> None:
    body = to_wire(
        ChatRequest(
            model="claude-3-haiku-20240307",
            messages=[ChatMessage.system("Be brief."), ChatMessage.user("hi")],
        )
    )
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS


def test_tool_calls_and_results_become_blocks() -> None:
    messages = [
        ChatMessage.user("add please"),
        ChatMessage.assistant("Let me add.", tool_calls=[CALL]),
        ChatMessage.tool("5", "toolu_1", name="add"),
        ChatMessage.tool("Error: boom", "toolu_2", name="add", metadata={"is_error": True}),
        ChatMessage.user("thanks"),
    ]
    tools = [ToolSchema("add", "Add.", {"type": "object"})]
    body = to_wire(ChatRequest(model="m", messages=list(messages), tools=list(tools), max_tokens=10))
    assert body["max_tokens"] == 10
    assert body["tools"] == [{"name": "add", "description": "Add.", "input_schema": {"type": "object"}}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "add please"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me add."},
                {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 2, "b": 3}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "5"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "Error: boom", "is_error": True},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]


def test_conversation_must_open_with_the_user() -> None:
    body = to_wire(
        ChatRequest(model="m", messages=[ChatMessage.system("s"), ChatMessage.assistant("Hello!")])
    )
    assert body["messages"][0] == {"role": "user", "content": [{"type": "text", "text": OPENING_USER_TEXT}]}
    assert body["messages"][1]["role"] == "assistant"


def test_images_become_sources() -> None:
    message = ChatMessage.user(
        [
            TextPart(text="two images"),
            ImagePart(url="https://x/cat.png"),
            ImagePart(url="data:image/png;base64,AAAA"),
        ]
    )
    blocks = to_wire(ChatRequest(model="m", messages=[message]))["messages"][0]["content"]
    assert blocks[1] == {"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}}
    assert blocks[2] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"},
    }


def test_response_is_read_with_tool_use() -> None:
    raw = {
        "id": "msg_1",
        "model": "claude-3-haiku-20240307",
        "content": [
            {"type": "text", "text": "Adding."},
            {"type": "tool_use", "id": "toolu_7", "name": "add", "input": {"a": 1}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 30, "output_tokens": 12, "cache_read_input_tokens": 10},
    }
    response = from_wire(raw)
    assert response.content == "Adding."
    assert response.tool_calls == [ToolCall(id="toolu_7", name="add", arguments={"a": 1})]
    assert response.finish_reason == "tool_calls"
    assert response.usage.prompt_tokens == 40
    assert response.usage.completion_tokens == 12
    assert response.provider == "anthropic"
    # and back: the assistant message maps to the same blocks
    assert (
        to_wire(ChatRequest(model="m", messages=[ChatMessage.user("x"), response.message]))["messages"][1][
            "content"
        ]
        == raw["content"]
    )


def test_openai_style_history_maps_to_anthropic() -> None:
    """A session built with OpenAI (call ids ``call_*``) continues on Anthropic unchanged."""
    messages = [
        ChatMessage.system("s"),
        ChatMessage.user("q"),
        ChatMessage.assistant(None, tool_calls=[ToolCall(id="call_abc", name="add", arguments={})]),
        ChatMessage.tool("1", "call_abc"),
        ChatMessage.assistant("one"),
        ChatMessage.user("next"),
    ]
    turns = to_wire(ChatRequest(model="m", messages=list(messages)))["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant", "user"]
    assert turns[1]["content"] == [{"type": "tool_use", "id": "call_abc", "name": "add", "input": {}}]
    assert turns[2]["content"] == [{"type": "tool_result", "tool_use_id": "call_abc", "content": "1"}]


def test_stream_assembles_text_and_tool_use() -> None:
    events = [
        {
            "type": "message_start",
            "message": {"model": "claude-3-haiku-20240307", "usage": {"input_tokens": 9, "output_tokens": 1}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "there"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"a"'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ": 3}"},
        },
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 15}},
        {"type": "message_stop"},
    ]
    assembler = StreamAssembler()
    assert [t for t in (assembler.feed(e) for e in events) if t] == ["Hi ", "there"]
    response = assembler.result()
    assert response.content == "Hi there"
    assert response.tool_calls == [ToolCall(id="toolu_1", name="add", arguments={"a": 3})]
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (9, 15)
    assert response.finish_reason == "tool_calls"
