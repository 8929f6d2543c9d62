"""Chat Completions mapping, both ways, with no I/O."""

from __future__ import annotations

from sessionforge.core.messages import ChatMessage, ImagePart, TextPart, ToolCall
from sessionforge.providers.base import RAW_ARGUMENTS_KEY
from sessionforge.providers.openai import StreamAssembler, from_wire, to_wire
from sessionforge.providers.types import ChatRequest
from sessionforge.tools.registry import ToolSchema

CALL = ToolCall(id="call_1", name="add", arguments={"a": 2, "b": 3})


def test_messages_map_to_chat_completions() -> None:
    messages = [
        ChatMessage.system("Be brief."),
        ChatMessage.user([TextPart(text="Look:"), ImagePart(url="https://x/cat.png", detail="low")]),
        ChatMessage.assistant(None, tool_calls=[CALL]),
        ChatMessage.tool("5", "call_1", name="add"),
        ChatMessage.assistant("It is 5."),
    ]
    tools = [ToolSchema("add", "Add two numbers.", {"type": "object", "properties": {}})]
    body = to_wire(
        ChatRequest(
            model="gpt-4o-mini", messages=list(messages), tools=list(tools), max_tokens=50, temperature=0.0
        )
    )
    assert body["model"] == "gpt-4o-mini"
    assert body["max_completion_tokens"] == 50
    assert body["temperature"] == 0.0
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look:"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "low"}},
            ],
        },
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a":2,"b":3}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "5"},
        {"role": "assistant", "content": "It is 5."},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two numbers.",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]


def test_no_tools_no_limit_means_no_fields() -> None:
    body = to_wire(ChatRequest(model="m", messages=[ChatMessage.user("hi")]))
    assert set(body) == {"model", "messages"}


def test_response_with_tool_calls_is_read() -> None:
    raw = {
        "model": "gpt-4o-mini",
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "add", "arguments": '{"a":1}'},
                        },
                        {
                            "id": "call_10",
                            "type": "function",
                            "function": {"name": "add", "arguments": "{oops"},
                        },
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }
    response = from_wire(raw)
    assert response.content == ""
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0] == ToolCall(id="call_9", name="add", arguments={"a": 1})
    assert response.tool_calls[1].arguments == {RAW_ARGUMENTS_KEY: "{oops"}
    assert response.message.role == "assistant"
    assert response.message.tool_calls == response.tool_calls
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (100, 20)
    assert response.usage.estimated_cost_usd is not None
    assert response.usage.estimated_cost_usd > 0
    # Unparseable arguments go back on the wire exactly as the model sent them.
    again = to_wire(ChatRequest(model="m", messages=[response.message]))["messages"][0]
    assert again["tool_calls"][1]["function"]["arguments"] == "{oops"


def test_text_response_round_trips() -> None:
    raw = {
        "model": "gpt-4o-mini",
        "choices": [{"message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1},
    }
    response = from_wire(raw)
    assert (response.content, response.finish_reason, response.provider) == ("Hi!", "length", "openai")
    assert to_wire(ChatRequest(model="m", messages=[response.message]))["messages"] == [
        {"role": "assistant", "content": "Hi!"}
    ]


def test_stream_assembles_text_tool_calls_and_usage() -> None:
    assembler = StreamAssembler()
    chunks = [
        {"model": "gpt-4o-mini", "choices": [{"delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"delta": {"content": "Hel"}}]},
        {"choices": [{"delta": {"content": "lo"}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "add"}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "4}"}}]}}]},
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}},
    ]
    texts = [assembler.feed(c) for c in chunks]
    assert [t for t in texts if t] == ["Hel", "lo"]
    response = assembler.result()
    assert response.content == "Hello"
    assert response.tool_calls == [ToolCall(id="c1", name="add", arguments={"a": 4})]
    assert response.finish_reason == "tool_calls"
    assert response.usage.total_tokens == 10
