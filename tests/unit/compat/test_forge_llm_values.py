"""forge_llm's value types through the mirror: shapes, conversions to sessionforge, wire formats."""

from __future__ import annotations

import base64
import io
import wave
from pathlib import Path

import pytest
from anthropic.types import Message, RawContentBlockDeltaEvent, RawMessageStopEvent
from anthropic.types import Usage as AnthropicUsage
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import sessionforge
from sessionforge.compat.forge_llm import (
    AudioContent,
    ChatChunk,
    ChatConfig,
    ChatMessage,
    ChatResponse,
    ImageContent,
    ResponseMetadata,
    TextContent,
    TokenUsage,
)
from sessionforge.compat.forge_llm.domain import ForgeLLMError, InvalidMessageError, UnsupportedFeatureError
from sessionforge.compat.forge_llm.domain.entities import ProviderConfig
from sessionforge.core.messages import AudioPart, ImagePart, TextPart


def wav_bytes(seconds: float = 0.2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


# ---- content blocks ---------------------------------------------------------------------------------


def test_text_block_formats() -> None:
    block = TextContent(text="hi")
    assert (
        block.to_openai_format()
        == block.to_anthropic_format()
        == block.to_dict()
        == {"type": "text", "text": "hi"}
    )


def test_image_by_url_and_by_base64_in_both_wire_formats() -> None:
    url = ImageContent.from_url("https://example.com/cat.png", detail="high")
    assert url.to_openai_format() == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png", "detail": "high"},
    }
    assert url.to_anthropic_format() == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/cat.png"},
    }
    assert url.to_dict() == {
        "type": "image",
        "source_type": "url",
        "url": "https://example.com/cat.png",
        "detail": "high",
    }
    data = ImageContent.from_base64("aGVsbG8=", "image/png")
    assert data.to_openai_format()["image_url"]["url"] == "data:image/png;base64,aGVsbG8="
    assert data.to_anthropic_format() == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="},
    }
    assert ImageContent.from_part(data.to_part()) == data
    assert ImageContent.from_part(url.to_part()) == url


@pytest.mark.parametrize(
    "build",
    [
        lambda: ImageContent(source_type="url"),
        lambda: ImageContent(source_type="base64", data="AAAA"),
        lambda: ImageContent(source_type="base64", media_type="image/png"),
        lambda: AudioContent(data="", format="wav"),
        lambda: AudioContent(data="AAAA", format="ogg"),  # type: ignore[arg-type]
    ],
)
def test_incomplete_blocks_are_refused_as_value_errors(build: object) -> None:
    with pytest.raises(ValueError, match=r"required|format"):
        build()  # type: ignore[operator]


def test_audio_from_file_and_base64(tmp_path: Path) -> None:
    path = tmp_path / "note.wav"
    path.write_bytes(wav_bytes())
    audio = AudioContent.from_file(str(path))
    assert audio.format == "wav"
    assert base64.b64decode(audio.data) == wav_bytes()
    assert audio.to_openai_format() == {
        "type": "input_audio",
        "input_audio": {"data": audio.data, "format": "wav"},
    }
    assert audio.to_dict() == {"type": "audio", "data": audio.data, "format": "wav"}
    assert AudioContent.from_base64(audio.data, "wav") == audio
    (tmp_path / "note.ogg").write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.wav or \.mp3"):
        AudioContent.from_file(tmp_path / "note.ogg")


def test_audio_to_anthropic_raises_forge_llms_error_which_is_also_ours() -> None:
    with pytest.raises(UnsupportedFeatureError) as caught:
        AudioContent.from_base64("AAAA", "mp3").to_anthropic_format()
    error = caught.value
    assert (error.feature, error.provider, error.code) == ("audio input", "anthropic", "UNSUPPORTED_FEATURE")
    assert isinstance(error, ForgeLLMError)
    assert isinstance(error, sessionforge.UnsupportedFeatureError)


# ---- messages ---------------------------------------------------------------------------------------


def test_to_dict_writes_only_what_is_set() -> None:
    assert ChatMessage.user("Hello").to_dict() == {"role": "user", "content": "Hello"}
    assert ChatMessage.user("Hello", name="ann").to_dict() == {
        "role": "user",
        "content": "Hello",
        "name": "ann",
    }
    assert ChatMessage.tool("42", "call_1").to_dict() == {
        "role": "tool",
        "content": "42",
        "tool_call_id": "call_1",
    }
    calls = [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}]
    assert ChatMessage.assistant(None, tool_calls=calls).to_dict() == {
        "role": "assistant",
        "tool_calls": calls,
    }
    assert ChatMessage.system("Be brief.").to_dict() == {"role": "system", "content": "Be brief."}


def test_multimodal_message_round_trips_through_its_dict() -> None:
    message = ChatMessage.user_with_images(
        "Compare", [ImageContent.from_url("https://x/1.png"), ImageContent.from_base64("AAAA", "image/jpeg")]
    )
    data = message.to_dict()
    assert data["content"][0] == {"type": "text", "text": "Compare"}
    assert ChatMessage.from_dict(data) == message
    assert message.has_images and not message.has_audio
    assert message.text_content == "Compare"
    voiced = ChatMessage.user_with_audios("Transcribe", [AudioContent.from_base64("AAAA", "wav")])
    assert voiced.has_audio and ChatMessage.from_dict(voiced.to_dict()) == voiced


def test_an_unknown_block_type_is_an_invalid_message() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        ChatMessage.from_dict({"role": "user", "content": [{"type": "video", "url": "x"}]})
    assert caught.value.code == "INVALID_MESSAGE"
    assert caught.value.field == "content.0"


def test_conversion_to_sessionforge_and_back() -> None:
    calls = [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a":1,"b":2}'}}]
    messages = [
        ChatMessage.system("Be brief."),
        ChatMessage.user_with_audio("Listen", AudioContent.from_base64("AAAA", "mp3")),
        ChatMessage.user_with_image("Look", ImageContent.from_base64("AAAA", "image/png")),
        ChatMessage.assistant(None, tool_calls=calls),
        ChatMessage.tool("3", "call_1"),
        ChatMessage.assistant("It is 3."),
    ]
    natives = [m.to_native() for m in messages]
    assert natives[1].content == [TextPart(text="Listen"), AudioPart(data="AAAA", format="mp3")]
    assert natives[2].content == [
        TextPart(text="Look"),
        ImagePart(url="data:image/png;base64,AAAA", media_type="image/png"),
    ]
    assert natives[3].tool_calls[0].name == "add" and natives[3].tool_calls[0].arguments == {"a": 1, "b": 2}
    assert [ChatMessage.from_native(n) for n in natives] == messages


def test_arguments_that_are_not_json_survive_the_round_trip() -> None:
    calls = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "not json"}}]
    message = ChatMessage.assistant(None, tool_calls=calls)
    assert ChatMessage.from_native(message.to_native()) == message


def test_a_tool_message_without_its_call_id_is_refused_when_it_enters_sessionforge() -> None:
    with pytest.raises(InvalidMessageError):
        ChatMessage(role="tool", content="3").to_native()


# ---- token usage, responses, chunks ------------------------------------------------------------------


def test_token_usage_is_positional_and_frozen() -> None:
    usage = TokenUsage(5, 3, 8)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)
    assert TokenUsage.zero() == TokenUsage(0, 0, 0)
    with pytest.raises(AttributeError):
        usage.prompt_tokens = 1  # type: ignore[misc]
    assert TokenUsage.from_openai(
        CompletionUsage(prompt_tokens=7, completion_tokens=2, total_tokens=9)
    ) == TokenUsage(7, 2, 9)
    assert TokenUsage.from_anthropic(AnthropicUsage(input_tokens=4, output_tokens=6)) == TokenUsage(4, 6, 10)
    native = usage.to_native(model="gpt-4o-mini")
    assert (native.prompt_tokens, native.completion_tokens, native.total_tokens) == (5, 3, 8)
    assert native.estimated_cost_usd is not None and native.estimated_cost_usd > 0
    assert TokenUsage.from_native(native) == usage


def test_response_from_an_openai_completion() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "add", "arguments": '{"a":1}'},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )
    response = ChatResponse.from_openai(completion)
    assert response.content is None
    assert response.tool_calls == [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a":1}'}}
    ]
    assert (response.model, response.provider, response.role) == ("gpt-4o-mini", "openai", "assistant")
    assert response.metadata.finish_reason == "tool_calls"
    assert response.metadata.raw_response is completion
    assert response.token_usage == TokenUsage(10, 5, 15)


def test_response_from_an_anthropic_message() -> None:
    message = Message.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-haiku-20240307",
            "content": [{"type": "text", "text": "Paris."}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 3},
        }
    )
    response = ChatResponse.from_anthropic(message)
    assert response.content == "Paris."
    assert response.token_usage == TokenUsage(12, 3, 15)
    assert response.metadata == ResponseMetadata("claude-3-haiku-20240307", "anthropic", "end_turn", message)


def test_chunks_from_both_sdks() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}
            ],
        }
    )
    assert ChatChunk.from_openai(chunk) == ChatChunk(content="Hel")
    delta = RawContentBlockDeltaEvent.model_validate(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}
    )
    assert ChatChunk.from_anthropic(delta) == ChatChunk(content="lo")
    stop = ChatChunk.from_anthropic(RawMessageStopEvent(type="message_stop"))
    assert stop.is_final and stop.finish_reason == "stop"


def test_chat_config_sets_only_what_is_given() -> None:
    config = ChatConfig(temperature=0.2, max_tokens=100)
    assert config.to_dict() == {"temperature": 0.2, "max_tokens": 100}
    assert ChatConfig(stream=True).to_dict() == {"stream": True}
    assert config.merge_with({"temperature": 1.0, "top_p": 0.5}) == {
        "temperature": 0.2,
        "top_p": 0.5,
        "max_tokens": 100,
    }


def test_provider_config_reads_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config = ProviderConfig(provider="anthropic")
    assert config.env_key == "ANTHROPIC_API_KEY"
    assert not config.is_configured
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert config.is_configured
    assert ProviderConfig(provider="ollama").is_configured
    assert ProviderConfig(provider="openai", api_key="sk").is_configured
