"""The OpenAI Chat Completions and Anthropic Messages wire protocols, over :mod:`.brain`.

The model ``tiny-context`` has a 40-token window, so a long conversation draws the provider's real
"context length exceeded" 400; ``no-such-model`` draws a 404.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .brain import Reply, Turn, think
from .httpd import Answer, WireServer

_ids = itertools.count(1)
TINY_CONTEXT = 40


def _chunks(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if p.get("type") == "text")


class OpenAIServer(WireServer):
    """``POST /v1/chat/completions``: JSON or SSE chunks with ``stream_options.include_usage``."""

    protocol = "openai"

    def api_key(self, headers: dict[str, str]) -> str | None:
        return headers.get("authorization", "").removeprefix("Bearer ").strip() or None

    def error_body(self, status: int, kind: str | None) -> dict[str, Any]:
        types = {401: "invalid_request_error", 429: "rate_limit_exceeded", 404: "invalid_request_error"}
        if kind == "context_length":
            return {
                "error": {
                    "message": "This model's maximum context length is 40 tokens. However, your "
                    "messages resulted in 57 tokens. Please reduce the length of the messages.",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            }
        messages = {
            401: "Incorrect API key provided.",
            429: "Rate limit reached for requests.",
            404: "The model does not exist or you do not have access to it.",
            400: "Invalid request.",
            500: "The server had an error while processing your request.",
        }
        return {
            "error": {
                "message": messages.get(status, "error"),
                "type": types.get(status, "server_error"),
                "param": None,
                "code": None,
            }
        }

    def answer(self, path: str, body: dict[str, Any]) -> Answer:
        if not path.endswith("/chat/completions"):
            return Answer(404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}})
        turns: list[Turn] = []
        for m in body.get("messages", []):
            if m["role"] == "tool":
                if turns and turns[-1].tool_results:
                    turns[-1].tool_results.append(m.get("content") or "")
                else:
                    turns.append(Turn("tool", tool_results=[m.get("content") or ""]))
            else:
                calls = [c["function"]["name"] for c in m.get("tool_calls") or []]
                turns.append(Turn(m["role"], _text_of(m.get("content")), tool_calls=calls))
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        model = body.get("model", "")
        reply = think(turns, tools, self.padding)
        if model == "no-such-model":
            return Answer(404, self.error_body(404, None))
        if model == "tiny-context" and reply.prompt_tokens > TINY_CONTEXT:
            return Answer(400, self.error_body(400, "context_length"))
        completion_id = f"chatcmpl-{next(_ids)}"
        usage = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        calls = [
            {
                "id": f"call_{next(_ids)}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for name, args in reply.tool_calls
        ]
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if calls:
                message["tool_calls"] = calls
            return Answer(
                body={
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": 1_700_000_000,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                    "usage": usage,
                }
            )
        return Answer(events=self._stream(completion_id, model, reply, calls, finish, usage))

    @staticmethod
    def _stream(
        completion_id: str,
        model: str,
        reply: Reply,
        calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int],
    ) -> list[tuple[str | None, dict[str, Any] | str]]:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> tuple[None, dict[str, Any]]:
            return None, {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        events: list[tuple[str | None, dict[str, Any] | str]] = [chunk({"role": "assistant", "content": ""})]
        for piece in _chunks(reply.text) if reply.text else []:
            events.append(chunk({"content": piece}))
        for index, call in enumerate(calls):
            arguments = call["function"]["arguments"]
            events.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for start in range(0, len(arguments), 4):
                events.append(
                    chunk(
                        {
                            "tool_calls": [
                                {"index": index, "function": {"arguments": arguments[start : start + 4]}}
                            ]
                        }
                    )
                )
        events.append(chunk({}, finish))
        events.append(
            (
                None,
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": 1_700_000_000,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                },
            )
        )
        events.append((None, "[DONE]"))
        return events


class AnthropicServer(WireServer):
    """``POST /v1/messages``: JSON or the named SSE events of the Messages API."""

    protocol = "anthropic"

    def api_key(self, headers: dict[str, str]) -> str | None:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        return headers.get("x-api-key") or bearer or None

    def error_body(self, status: int, kind: str | None) -> dict[str, Any]:
        if kind == "context_length":
            return {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": "prompt is too long: 57 tokens > 40 maximum",
                },
            }
        types = {
            400: "invalid_request_error",
            401: "authentication_error",
            404: "not_found_error",
            429: "rate_limit_error",
            500: "api_error",
            529: "overloaded_error",
        }
        return {
            "type": "error",
            "error": {"type": types.get(status, "api_error"), "message": f"error {status}"},
        }

    def answer(self, path: str, body: dict[str, Any]) -> Answer:
        if not path.endswith("/messages"):
            return Answer(404, self.error_body(404, None))
        problem = self._validate(body)
        if problem:
            return Answer(
                400, {"type": "error", "error": {"type": "invalid_request_error", "message": problem}}
            )
        turns: list[Turn] = []
        if body.get("system"):
            turns.append(Turn("system", _text_of(body["system"])))
        for m in body["messages"]:
            content = (
                m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
            )
            results = [
                _text_of(b["content"]) if isinstance(b.get("content"), list) else str(b.get("content", ""))
                for b in content
                if b.get("type") == "tool_result"
            ]
            calls = [b["name"] for b in content if b.get("type") == "tool_use"]
            turns.append(Turn(m["role"], _text_of(content), tool_results=results, tool_calls=calls))
        tools = [t["name"] for t in body.get("tools") or []]
        model = body.get("model", "")
        reply = think(turns, tools, self.padding)
        if model == "no-such-model":
            return Answer(404, self.error_body(404, None))
        if model == "tiny-context" and reply.prompt_tokens > TINY_CONTEXT:
            return Answer(400, self.error_body(400, "context_length"))
        message_id = f"msg_{next(_ids)}"
        blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
        for name, args in reply.tool_calls:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(_ids)}",
                    "name": name,
                    "input": args if isinstance(args, dict) else {},
                }
            )
        stop = "tool_use" if reply.tool_calls else "end_turn"
        usage = {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens}
        if not body.get("stream"):
            return Answer(
                body={
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": usage,
                }
            )
        return Answer(events=self._stream(message_id, model, blocks, stop, usage))

    @staticmethod
    def _validate(body: dict[str, Any]) -> str | None:
        """The Messages API's own rules, so a mapping that breaks them fails here as it would there."""
        messages = body.get("messages") or []
        if "max_tokens" not in body:
            return "max_tokens: Field required"
        if not messages or messages[0]["role"] != "user":
            return 'messages: first message must use the "user" role'
        for a, b in itertools.pairwise(messages):
            if a["role"] == b["role"]:
                return 'messages: roles must alternate between "user" and "assistant"'
        if any(m["role"] == "system" for m in messages):
            return 'messages: Unexpected role "system"; use the top-level system parameter'
        return None

    @staticmethod
    def _stream(
        message_id: str, model: str, blocks: list[dict[str, Any]], stop: str, usage: dict[str, int]
    ) -> list[tuple[str | None, dict[str, Any] | str]]:
        events: list[tuple[str | None, dict[str, Any] | str]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1},
                    },
                },
            ),
        ]
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {"type": "text", "text": ""},
                        },
                    )
                )
                for piece in _chunks(block["text"]):
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": index,
                                "delta": {"type": "text_delta", "text": piece},
                            },
                        )
                    )
            else:
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {**block, "input": {}},
                        },
                    )
                )
                arguments = json.dumps(block["input"])
                for start in range(0, len(arguments), 5):
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": index,
                                "delta": {
                                    "type": "input_json_delta",
                                    "partial_json": arguments[start : start + 5],
                                },
                            },
                        )
                    )
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events
