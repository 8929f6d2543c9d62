"""The one-pass check of flat metadata gives exactly what the full walk gives (``find_problem`` takes
it for a top-level dict of plain values, and walks anything else)."""

from __future__ import annotations

import enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionforge.core.events import EventSource, EventType, SessionEvent
from sessionforge.core.jsonvalue import JsonProblem, find_problem
from sessionforge.errors import RecordFormatError

_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)  # lone surrogates too
_VALUES = st.one_of(
    _TEXT,
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.tuples(st.integers()),
    st.binary(max_size=3),
    st.lists(st.integers(), max_size=2),
)
_KEYS = st.one_of(_TEXT, st.integers(), st.booleans())


def _walked(value: dict[Any, Any]) -> JsonProblem | None:
    """What the full walk says of ``value``: nested one level down, where no shortcut applies."""
    problem = find_problem({"w": value})
    return None if problem is None else JsonProblem(problem.path.removeprefix("w."), problem.reason)


@given(st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_flat_dicts_are_judged_as_the_full_walk_judges_them(value: dict[Any, Any]) -> None:
    assert find_problem(value) == _walked(value)


class _Level(enum.IntEnum):
    LOW = 1


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"model": "gpt-4o", "provider": "openai", "n": 3, "ok": True, "none": None},
        {"ünï": "✓ text"},
        {"x": float("nan")},
        {"x": "lone \ud800"},
        {"lone \udc00": 1},
        {1: "int key"},
        {"x": (1,)},
        {"x": _Level.LOW},
        {"x": 1.5},
    ],
)
def test_examples_agree_with_the_full_walk(value: dict[Any, Any]) -> None:
    assert find_problem(value) == _walked(value)


def test_an_event_with_bad_flat_metadata_is_still_refused_by_name() -> None:
    event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "hi", {"ok": "x", "bad": float("inf")})
    with pytest.raises(RecordFormatError) as refused:
        event.encoded_record()
    assert refused.value.field == "metadata.bad"
    event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "lone \ud800", {"ok": "x"})
    with pytest.raises(RecordFormatError) as refused:
        event.encoded_record()
    assert refused.value.field == "message"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_a_turns_record_knows_its_depth_and_the_codec_stores_it() -> None:
    from sessionforge.core.events import EncodedRecord
    from sessionforge.core.projection import event_messages
    from sessionforge.core.tokens import counter_for_model
    from sessionforge.core.usage import TokenUsage
    from sessionforge.storage.codec import RecordCodec

    usage = TokenUsage.of(0, 3, model="gpt-4o", provider="openai")
    event = SessionEvent.of_parts(EventSource.LLM, EventType.MESSAGE, "a reply", {"model": "gpt-4o"}, usage)
    counter = counter_for_model("gpt-4o")
    for message in event_messages(event):  # the counts a turn stores with its record
        counter.count_message_text(message)
    record = event.encoded_record()
    assert isinstance(record, EncodedRecord) and record.depth == _depth(dict(record)) == 3
    codec = RecordCodec()
    assert codec.decode(codec.encode(record, namespace="n", session_id="s"), session_id="s", seq=1) == record


def test_deep_metadata_is_still_measured_and_refused_by_the_codec() -> None:
    from sessionforge.core.events import EncodedRecord
    from sessionforge.core.jsonvalue import MAX_DEPTH
    from sessionforge.storage.codec import RecordCodec

    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(MAX_DEPTH - 1):  # the metadata alone is as deep as a record may be
        inner["k"] = {}
        inner = inner["k"]
    event = SessionEvent.of_parts(EventSource.USER, EventType.MESSAGE, "hi", deep)
    record = event.encoded_record()
    assert isinstance(record, EncodedRecord) and record.depth is None
    with pytest.raises(RecordFormatError):
        RecordCodec().encode(record, namespace="n", session_id="s")
