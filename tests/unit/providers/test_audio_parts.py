"""Audio parts: counted by duration, sent to OpenAI as ``input_audio``, refused for Anthropic before sending."""

from __future__ import annotations

import base64
import io
import wave

import pytest

from sessionforge.core.messages import AudioPart, ChatMessage, TextPart
from sessionforge.core.tokens import audio_seconds, counter_for_model
from sessionforge.errors import UnsupportedFeatureError, UsageError
from sessionforge.providers import anthropic, openai
from sessionforge.providers.types import ChatRequest


def wav_base64(seconds: float, rate: int = 16_000) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(rate)
        recording.writeframes(b"\0\0" * int(rate * seconds))
    return base64.b64encode(buffer.getvalue()).decode()


def test_audio_part_round_trips_through_the_message_dict() -> None:
    message = ChatMessage.user([TextPart(text="Transcribe:"), AudioPart(data=wav_base64(0.5), format="wav")])
    again = ChatMessage.from_dict(message.to_dict())
    assert again == message
    assert again.text == "Transcribe:"


def test_wav_duration_is_read_from_the_header_and_mp3_is_estimated_from_its_size() -> None:
    assert audio_seconds(AudioPart(data=wav_base64(2.0), format="wav")) == pytest.approx(2.0)
    mp3 = AudioPart(data=base64.b64encode(b"\xff" * 32_000).decode(), format="mp3")
    assert audio_seconds(mp3) == pytest.approx(2.0)  # 128 kbit/s


def test_audio_costs_ten_tokens_a_second_on_top_of_the_text() -> None:
    counter = counter_for_model("gpt-4o-mini")
    text_only = ChatMessage.user([TextPart(text="Transcribe:")])
    with_audio = ChatMessage.user(
        [TextPart(text="Transcribe:"), AudioPart(data=wav_base64(3.0), format="wav")]
    )
    assert counter.count_message(with_audio) - counter.count_message(text_only) == 30


def test_openai_gets_input_audio() -> None:
    data = wav_base64(0.1)
    message = ChatMessage.user([TextPart(text="What is said?"), AudioPart(data=data, format="wav")])
    body = openai.to_wire(ChatRequest(model="gpt-4o-audio-preview", messages=[message]))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "What is said?"},
        {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
    ]


def test_anthropic_refuses_audio_before_sending() -> None:
    message = ChatMessage.user(
        [TextPart(text="What is said?"), AudioPart(data=wav_base64(0.1), format="mp3")]
    )
    with pytest.raises(UnsupportedFeatureError) as caught:
        anthropic.to_wire(ChatRequest(model="claude-3-haiku-20240307", messages=[message]))
    assert caught.value.feature == "audio input"
    assert caught.value.provider == "anthropic"
    assert isinstance(caught.value, UsageError)


def test_a_bad_audio_format_names_the_field() -> None:
    with pytest.raises(UsageError) as caught:
        ChatMessage.from_dict(
            {"role": "user", "content": [{"kind": "audio", "data": "AAAA", "format": "ogg"}]}
        )
    assert getattr(caught.value, "field", "").startswith("content")
