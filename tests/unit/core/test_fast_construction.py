"""The constructors that skip pydantic's validation pass build what validation builds, and refuse
what validation refuses."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.messages import ChatMessage
from sessionforge.core.usage import TokenUsage, estimate_cost
from sessionforge.errors import MessageFormatError
from sessionforge.storage.codec import RecordCodec


@pytest.mark.parametrize("role", ["system", "user", "assistant"])
@pytest.mark.parametrize("text", ["hello", "", "héllo wörld ✓", "x" * 5000])
def test_of_text_equals_the_validated_message(role: str, text: str) -> None:
    fast = ChatMessage.of_text(role, text)  # type: ignore[arg-type]
    slow = ChatMessage(role=role, content=text, created_at=fast.created_at)
    assert fast == slow
    assert fast.to_dict() == slow.to_dict()
    assert fast.token_cache == {} and fast.token_cache is not slow.token_cache
    assert ChatMessage.from_dict(fast.to_dict()) == fast
    assert fast.model_fields_set == {"role", "content"}


def test_of_text_refuses_what_validation_refuses() -> None:
    with pytest.raises(MessageFormatError):
        ChatMessage.of_text("user", "lone \ud800 surrogate")
    with pytest.raises(MessageFormatError):
        ChatMessage.of_text("tool", "a tool message needs its call id")
    with pytest.raises(MessageFormatError):
        ChatMessage.of_text("narrator", "no such role")  # type: ignore[arg-type]
    with pytest.raises(MessageFormatError):
        ChatMessage.of_text("user", None)  # type: ignore[arg-type]


def test_of_text_messages_are_frozen_values() -> None:
    message = ChatMessage.of_text("user", "hi")
    with pytest.raises(MessageFormatError):
        message.content = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("prompt", "completion", "model", "provider"),
    [(3, 5, "gpt-4o", "openai"), (12, 0, "", None), (0, 40, "gpt-4o-mini", None), (0, 0, "", None)],
)
def test_of_equals_the_validated_usage(
    prompt: int, completion: int, model: str, provider: str | None
) -> None:
    fast = TokenUsage.of(prompt, completion, model=model, provider=provider, accuracy="estimated")
    cost = estimate_cost(model, prompt, completion, provider) if model else None
    slow = TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        model=model,
        provider=provider,
        estimated_cost_usd=cost,
        accuracy="estimated",
    )
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.total_tokens == prompt + completion
    assert TokenUsage.model_validate(fast.model_dump()) == fast


def test_of_prices_from_the_registry() -> None:
    usage = TokenUsage.of(1_000_000, 1_000_000, model="gpt-4o", provider="openai")
    assert usage.estimated_cost_usd is not None and math.isclose(
        usage.estimated_cost_usd, estimate_cost("gpt-4o", 1_000_000, 1_000_000, "openai") or 0
    )


def test_of_refuses_what_validation_refuses() -> None:
    with pytest.raises(ValidationError):
        TokenUsage.of(-1, 0)
    with pytest.raises(ValidationError):
        TokenUsage.of(0, 1, accuracy="roughly")  # type: ignore[arg-type]


def test_of_parts_equals_the_validated_event() -> None:
    usage = TokenUsage.of(0, 7, model="gpt-4o", provider="openai")
    fast = SessionEvent.of_parts(EventSource.LLM, EventType.MESSAGE, "an answer", {"model": "gpt-4o"}, usage)
    slow = SessionEvent(
        id=fast.id,
        timestamp=fast.timestamp,
        source=EventSource.LLM,
        type=EventType.MESSAGE,
        message="an answer",
        metadata={"model": "gpt-4o"},
        token_usage=usage,
    )
    assert fast == slow
    assert fast.to_record() == slow.to_record()
    assert SessionEvent.from_record(fast.to_record()) == fast
    assert fast.seq is None and fast.projection_cache is None
    assert SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "a", {}).id != fast.id


def test_of_parts_validates_parts_of_another_kind() -> None:
    with pytest.raises(ValidationError):
        SessionEvent.of_parts("nobody", EventType.MESSAGE, "x", {})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "x", {1: "not a text key"})  # type: ignore[dict-item]
    event = SessionEvent.of_parts("user", "message", "x", {})  # type: ignore[arg-type]
    assert event.source is EventSource.USER and event.type is EventType.MESSAGE


@pytest.mark.parametrize(
    "bad",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": -float("inf")},
        {"x": (1, 2)},
        {"x": {1, 2}},
        {1: "int key"},
        {"x": "lone \udc00"},
        {"x": b"bytes"},
        {"x": object()},
    ],
)
def test_the_codec_still_refuses_what_would_not_read_back(bad: dict[object, object]) -> None:
    from sessionforge.errors import RecordFormatError

    with pytest.raises(RecordFormatError):
        RecordCodec().encode(bad, namespace="n", session_id="s")  # type: ignore[arg-type]


def test_the_codec_round_trips_what_it_writes() -> None:
    record = {"a": [1, 2.5, 10**30, None, True], "b": {"c": "ünïcode ✓"}, "d": ""}
    codec = RecordCodec()
    text = codec.encode(record, namespace="n", session_id="s")
    assert codec.decode(text, session_id="s", seq=1) == record


def test_encoded_record_is_to_record_with_its_text() -> None:
    from pydantic_core import from_json

    from sessionforge.core.events import EncodedRecord, tool_call_event

    usage = TokenUsage.of(0, 7, model="gpt-4o", provider="openai")
    events = [
        SessionEvent.of_parts(
            EventSource.LLM, EventType.MESSAGE, "ünï ✓", {"model": "gpt-4o", "n": [1, 2.5]}, usage
        ),
        tool_call_event("calc", {"x": 1}, {"y": [1, None]}, call_id="c1"),
        SessionEvent(message=ChatMessage.user("a chat payload")),
    ]
    for event in events:
        record = event.encoded_record()
        assert record == event.to_record() and list(record) == list(event.to_record())
        if isinstance(record, EncodedRecord):
            assert record.json is not None and from_json(record.json) == record
            codec = RecordCodec()
            assert (
                codec.decode(codec.encode(record, namespace="n", session_id="s"), session_id="s", seq=1)
                == record
            )
            record["id"] = "changed"  # changing it drops the text: the codec writes what the dict says
            assert record.json is None
            stored = codec.decode(codec.encode(record, namespace="n", session_id="s"), session_id="s", seq=1)
            assert stored["id"] == "changed"


def test_encoded_record_refuses_what_to_record_refuses() -> None:
    from sessionforge.errors import RecordFormatError

    for bad in ({"x": float("nan")}, {"x": (1,)}, {"x": "lone \ud800"}):
        event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "hi", bad)
        with pytest.raises(RecordFormatError):
            event.encoded_record()
    event = SessionEvent.of_parts(EventSource.SYSTEM, EventType.TOOL_CALL, {"result": {1, 2}}, {})
    with pytest.raises(RecordFormatError):
        event.encoded_record()
    costly = TokenUsage.of(1, 1)
    costly.estimated_cost_usd = float("inf")
    event = SessionEvent.of_parts(EventSource.LLM, EventType.MESSAGE, "hi", {}, costly)
    with pytest.raises(RecordFormatError):
        RecordCodec().encode(event.encoded_record(), namespace="n", session_id="s")


def test_event_ids_are_time_ordered_uuids() -> None:
    import uuid

    ids = [SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "x", {}).id for _ in range(50)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert uuid.UUID(SessionEvent().id).version == 7


def test_set_field_is_plain_assignment() -> None:
    from sessionforge.core.construct import set_field

    fast = SessionEvent(message="x")
    slow = SessionEvent(message="x", id=fast.id, timestamp=fast.timestamp)
    fast = SessionEvent(message="x", id=fast.id, timestamp=fast.timestamp)
    set_field(fast, "seq", 7)
    slow.seq = 7
    assert fast == slow and fast.model_fields_set == slow.model_fields_set


def test_encoded_records_of_every_kind_of_event_equal_to_record() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sessionforge.core.events import EncodedRecord

    usage = TokenUsage.of(3, 4, model="gpt-4o", provider=None)
    events = [
        SessionEvent(message="plain"),
        SessionEvent(message={"k": [1, {"x": None}]}, type=EventType.SUMMARY, token_usage=usage),
        SessionEvent(message="t", timestamp=datetime(2026, 1, 1, tzinfo=UTC)),
        SessionEvent(
            message="t", timestamp=datetime(2026, 1, 1, 5, 6, 7, 120, tzinfo=timezone(timedelta(hours=2)))
        ),
        SessionEvent(message="t", timestamp=datetime(2026, 1, 1, 5, 6, 7)),  # naive
        SessionEvent(message="t", parent_event_id="p", task_id="r"),
        SessionEvent(message=None, metadata={"a": {"b": [1.5, "ü"]}}),
        SessionEvent(message="t", token_usage=TokenUsage(prompt_tokens=2, estimated_cost_usd=0.5)),
    ]
    codec = RecordCodec()
    for event in events:
        record, expected = event.encoded_record(), event.to_record()
        assert record == expected and list(record) == list(expected)
        text = codec.encode(record, namespace="n", session_id="s")
        assert codec.decode(text, session_id="s", seq=1) == expected
        assert SessionEvent.from_record(codec.decode(text, session_id="s", seq=1)) == event
    assert isinstance(events[0].encoded_record(), EncodedRecord)


def test_a_utc_time_is_written_as_the_model_writes_it() -> None:
    import random
    from datetime import UTC, datetime

    from pydantic_core import to_json

    from sessionforge.core.events import _utc_text

    rng = random.Random(3)
    times = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    for _ in range(20_000):
        stamp = datetime(
            rng.randrange(1, 10_000),
            rng.randrange(1, 13),
            rng.randrange(1, 29),
            rng.randrange(24),
            rng.randrange(60),
            rng.randrange(60),
            rng.choice([0, rng.randrange(1, 10), rng.randrange(1_000_000)]),
            tzinfo=UTC,
        )
        times.append(stamp)
    for stamp in times:
        assert _utc_text(stamp) == to_json(stamp)[1:-1].decode()


def test_a_record_past_what_orjson_writes_is_written_by_pydantic_core() -> None:
    from sessionforge.core.events import EncodedRecord, EventSource, EventType, SessionEvent

    event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "big", {"n": 2**70})
    record = event.encoded_record()
    assert isinstance(record, EncodedRecord) and record.json is not None
    assert record == event.to_record()
    from pydantic_core import from_json

    assert from_json(record.json) == event.to_record()
