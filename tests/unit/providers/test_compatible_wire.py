"""What OpenAI-compatible servers and Anthropic need of the wire mapping, one defect at a time, no I/O."""

from __future__ import annotations

import itertools
import json
import re

import anthropic
import httpx
import openai
import pytest

from sessionforge.core.messages import ChatMessage, ToolCall
from sessionforge.errors import (
    ConfigurationError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
)
from sessionforge.providers import anthropic as anthropic_wire
from sessionforge.providers import create_provider
from sessionforge.providers import openai as openai_wire
from sessionforge.providers.openai import OpenAIProvider, StreamAssembler, max_tokens_field_for
from sessionforge.providers.pricing import FREE
from sessionforge.providers.sdk import LOCAL_PLACEHOLDER_KEY
from sessionforge.providers.types import ChatRequest
from sessionforge.tools.registry import ToolSchema

ADD = ToolSchema("add", "Add two integers.", {"type": "object", "properties": {}})
ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


# ---- 1. the output cap goes in the field the server honours ---------------------------------------


@pytest.mark.parametrize(
    ("base_url", "field"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("https://my-team.openai.azure.com/openai/v1", "max_completion_tokens"),
        ("http://127.0.0.1:8080/v1", "max_tokens"),
        ("https://openrouter.ai/api/v1", "max_tokens"),
        ("http://gpu-box:8000/v1", "max_tokens"),
    ],
)
def test_the_cap_field_follows_the_base_url(base_url: str | None, field: str) -> None:
    assert max_tokens_field_for(base_url) == field
    provider = OpenAIProvider(api_key="k", base_url=base_url)
    assert provider.max_tokens_field == field
    body = openai_wire.to_wire(
        ChatRequest(model="m", messages=[ChatMessage.user("hi")], max_tokens=8),
        max_tokens_field=provider.max_tokens_field,
    )
    assert body[field] == 8
    assert set(body) & {"max_tokens", "max_completion_tokens"} == {field}


@pytest.mark.parametrize("preset", ["ollama", "llamacpp", "lmstudio", "vllm", "openrouter"])
def test_presets_send_max_tokens_unless_told_otherwise(preset: str) -> None:
    provider = create_provider(preset, api_key="k")
    assert isinstance(provider, OpenAIProvider)
    assert provider.max_tokens_field == "max_tokens"
    chosen = create_provider(preset, api_key="k", max_tokens_field="max_completion_tokens")
    assert isinstance(chosen, OpenAIProvider)
    assert chosen.max_tokens_field == "max_completion_tokens"


def test_a_self_hosted_server_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert OpenAIProvider(base_url="http://127.0.0.1:8080/v1").api_key == LOCAL_PLACEHOLDER_KEY
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIProvider(base_url="https://api.openai.com/v1")
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIProvider()


# ---- 5. no null content beside tool calls ----------------------------------------------------------


def test_a_tool_call_message_goes_out_with_an_empty_string_content() -> None:
    call = ToolCall(id="call_1", name="add", arguments={"a": 1, "b": 2})
    wire = openai_wire.message_to_wire(ChatMessage.assistant(None, tool_calls=[call]))
    assert wire["content"] == ""
    assert wire["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a":1,"b":2}'}
    body = openai_wire.to_wire(
        ChatRequest(
            model="m", messages=[ChatMessage.user("x"), ChatMessage.assistant(None, tool_calls=[call])]
        )
    )
    assert all(m["content"] is not None for m in body["messages"])


# ---- 6. streamed tool calls whose chunks repeat the name ------------------------------------------


def _llamacpp_chunks(name: str, pieces: list[str]) -> list[dict[str, object]]:
    """Chunks as llama-cpp-python's server streams a tool call: id and whole name in every chunk."""
    call_id = "call__0_add_cmpl-1"
    chunks: list[dict[str, object]] = [{"model": "m", "choices": [{"delta": {"role": "assistant"}}]}]
    for piece in pieces:
        delta = {
            "index": 0,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": piece},
        }
        chunks.append({"choices": [{"delta": {"content": None, "tool_calls": [delta]}}]})
    chunks.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    return chunks


def test_a_name_repeated_in_every_chunk_is_not_concatenated() -> None:
    assembler = StreamAssembler(price=FREE)
    for chunk in _llamacpp_chunks("add", ["{", ' "a": 2,', ' "b": 40', " }", ""]):
        assembler.feed(chunk)
    response = assembler.result()
    assert response.tool_calls == [ToolCall(id="call__0_add_cmpl-1", name="add", arguments={"a": 2, "b": 40})]


def test_a_name_sent_in_fragments_is_still_joined() -> None:
    assembler = StreamAssembler()
    for delta in (
        {"index": 0, "id": "c1", "function": {"name": "get_", "arguments": ""}},
        {"index": 0, "function": {"name": "weather", "arguments": '{"city":'}},
        {"index": 0, "function": {"arguments": '"Oslo"}'}},
    ):
        assembler.feed({"choices": [{"delta": {"tool_calls": [delta]}}]})
    assert assembler.result().tool_calls == [
        ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    ]


# ---- 7. toward Anthropic: ids, missing ids, whitespace --------------------------------------------


def test_foreign_tool_ids_are_mapped_the_same_way_on_the_call_and_its_result() -> None:
    messages = [
        ChatMessage.user("add"),
        ChatMessage.assistant(
            None, tool_calls=[ToolCall(id="functions.add:0", name="add", arguments={"a": 1})]
        ),
        ChatMessage.tool("1", "functions.add:0", name="add"),
        ChatMessage.assistant("It is 1."),
    ]
    body = anthropic_wire.to_wire(
        ChatRequest(model="claude-3-haiku-20240307", messages=list(messages), tools=[ADD])
    )
    use = body["messages"][1]["content"][0]
    result = body["messages"][2]["content"][0]
    assert use["type"] == "tool_use" and result["type"] == "tool_result"
    assert ANTHROPIC_ID.match(use["id"])
    assert use["id"].startswith("functions_add_0_")
    assert result["tool_use_id"] == use["id"]
    again = anthropic_wire.to_wire(
        ChatRequest(model="claude-3-haiku-20240307", messages=list(messages), tools=[ADD])
    )
    assert again == body  # deterministic: the same session maps the same way on every call
    assert messages[1].tool_calls[0].id == "functions.add:0"  # the session keeps its ids


def test_repeated_ids_in_one_conversation_become_distinct() -> None:
    messages = [ChatMessage.user("add twice")]
    for answer in ("1", "2"):
        messages.append(
            ChatMessage.assistant(None, tool_calls=[ToolCall(id="call_0", name="add", arguments={})])
        )
        messages.append(ChatMessage.tool(answer, "call_0", name="add"))
    body = anthropic_wire.to_wire(ChatRequest(model="m", messages=list(messages), tools=[ADD]))
    uses = [b for t in body["messages"] for b in t["content"] if b["type"] == "tool_use"]
    results = [b for t in body["messages"] for b in t["content"] if b["type"] == "tool_result"]
    assert len({u["id"] for u in uses}) == 2
    assert uses[0]["id"] == "call_0"
    assert [r["tool_use_id"] for r in results] == [u["id"] for u in uses]
    assert all(ANTHROPIC_ID.match(u["id"]) for u in uses)


def test_replies_without_ids_get_unique_ids() -> None:
    raw = {
        "model": "m",
        "choices": [
            {
                "message": {
                    "content": None,
                    "tool_calls": [
                        {"type": "function", "function": {"name": "add", "arguments": "{}"}},
                        {"type": "function", "function": {"name": "add", "arguments": "{}"}},
                    ],
                }
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    first = openai_wire.from_wire(raw, price=FREE, provider="llamacpp")
    second = openai_wire.from_wire(raw, price=FREE, provider="llamacpp")
    ids = [c.id for c in first.tool_calls + second.tool_calls]
    assert len(set(ids)) == 4 and all(ANTHROPIC_ID.match(i) for i in ids)
    block = {"type": "tool_use", "name": "add", "input": {}}
    reply = anthropic_wire.from_wire({"model": "m", "content": [block, block], "usage": {}}, price=FREE)
    assert len({c.id for c in reply.tool_calls}) == 2


def test_whitespace_only_text_becomes_no_block() -> None:
    call = ToolCall(id="toolu_1", name="add", arguments={})
    messages = [
        ChatMessage.system("  \n"),
        ChatMessage.user("go"),
        ChatMessage.assistant("\n\n ", tool_calls=[call]),
        ChatMessage.tool("3", "toolu_1", name="add"),
        ChatMessage.assistant("   "),
        ChatMessage.user("and?"),
    ]
    body = anthropic_wire.to_wire(ChatRequest(model="m", messages=list(messages), tools=[ADD]))
    assert "system" not in body
    blocks = [b for t in body["messages"] for b in t["content"]]
    assert all(b.get("text", "x").strip() for b in blocks if b["type"] == "text")
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}],
    }
    roles = [t["role"] for t in body["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles))  # still alternating


# ---- request options on the wire ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "openai_form", "anthropic_form"),
    [
        ("auto", "auto", {"type": "auto"}),
        ("none", "none", {"type": "none"}),
        ("required", "required", {"type": "any"}),
        ("add", {"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
        (
            {"type": "function", "function": {"name": "add"}},
            {"type": "function", "function": {"name": "add"}},
            {"type": "tool", "name": "add"},
        ),
    ],
)
def test_a_neutral_tool_choice_is_spelled_per_api(
    choice: object, openai_form: object, anthropic_form: object
) -> None:
    messages = [ChatMessage.user("add")]
    options = {"tool_choice": choice, "top_p": 0.5}
    assert (
        openai_wire.to_wire(ChatRequest(model="m", messages=list(messages), tools=[ADD]), options=options)[
            "tool_choice"
        ]
        == openai_form
    )
    body = anthropic_wire.to_wire(
        ChatRequest(model="m", messages=list(messages), tools=[ADD]), options=options
    )
    assert body["tool_choice"] == anthropic_form and body["top_p"] == 0.5


def test_tool_settings_are_dropped_when_no_tools_are_offered() -> None:
    options = {"tool_choice": "required", "parallel_tool_calls": False, "seed": 7}
    body = openai_wire.to_wire(ChatRequest(model="m", messages=[ChatMessage.user("hi")]), options=options)
    assert "tool_choice" not in body and "parallel_tool_calls" not in body and body["seed"] == 7
    assert "tool_choice" not in anthropic_wire.to_wire(
        ChatRequest(model="m", messages=[ChatMessage.user("hi")]), options=options
    )


# ---- 8. a stream that breaks after it started ----------------------------------------------------


def _dropped() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("peer closed connection without sending complete message body")


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_a_connection_lost_mid_stream_is_reported_as_a_broken_stream(sdk: str) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    module = openai if sdk == "openai" else anthropic
    map_errors = openai_wire.map_errors if sdk == "openai" else anthropic_wire.map_errors

    def lost() -> Exception:
        error = module.APIConnectionError(request=request)
        error.__cause__ = _dropped()
        return error

    with pytest.raises(ProviderConnectionError) as before, map_errors(sdk):
        raise lost()
    assert "could not reach" in str(before.value)
    with pytest.raises(ProviderConnectionError) as midway, map_errors(sdk, midstream=True):
        raise lost()
    message = str(midway.value)
    assert f"the stream from {sdk} broke off in the middle of the reply" in message
    assert "RemoteProtocolError" in message and "could not reach" not in message
    with pytest.raises(ProviderTimeoutError, match="stopped sending"), map_errors(sdk, midstream=True):
        raise module.APITimeoutError(request=request)


def test_an_error_event_inside_a_stream_is_ours() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    event = openai.APIError("the model crashed", request, body={"message": "the model crashed"})
    with (
        pytest.raises(ProviderError, match="the model crashed") as caught,
        openai_wire.map_errors("vllm", midstream=True),
    ):
        raise event
    assert caught.value.__cause__ is event


def test_a_tool_call_message_round_trips_through_json() -> None:
    # The wire body is posted as JSON: nothing in it may be a Python-only value.
    call = ToolCall(id="functions.add:0", name="add", arguments={"a": 1})
    messages = [
        ChatMessage.user("x"),
        ChatMessage.assistant(" ", tool_calls=[call]),
        ChatMessage.tool("1", call.id),
    ]
    for body in (
        openai_wire.to_wire(
            ChatRequest(model="m", messages=list(messages), tools=[ADD]), options={"tool_choice": "add"}
        ),
        anthropic_wire.to_wire(
            ChatRequest(model="m", messages=list(messages), tools=[ADD]), options={"tool_choice": "add"}
        ),
    ):
        assert json.loads(json.dumps(body)) == body
