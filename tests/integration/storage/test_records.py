"""A record is written only if it reads back equal, on every backend; a refused append writes nothing.

What the reader would not give back unchanged is refused before the backend sees it, with a
RecordFormatError (a UsageError) naming the field, and the session goes on as if nothing happened.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sessionforge.core.jsonvalue import MAX_DEPTH
from sessionforge.errors import RecordFormatError, UsageError
from sessionforge.storage.base import BaseStore
from sessionforge.storage.codec import MAX_RECORD_BYTES


def nested(depth: int) -> dict[str, Any]:
    """A record ``depth`` levels deep (the record itself is level 1)."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


REFUSED: list[tuple[Any, str | None, str]] = [
    ({"text": "bad \ud800 half"}, "text", "lone surrogate"),
    ({"meta": {"tags": ["ok", "\udfff"]}}, "meta.tags.1", "lone surrogate"),
    ({"\ud83d": 1}, "'\\ud83d'", "key: text cannot be encoded"),
    ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "when", "datetime is not a JSON value"),
    ({"tags": {"a", "b"}}, "tags", "set is not a JSON value"),
    ({"pair": (1, 2)}, "pair", "tuple would read back as a list"),
    ({"counts": {1: "one"}}, "counts.1", "JSON keys are text"),
    ({"score": float("nan")}, "score", "not a JSON number"),
    ({"score": float("inf")}, "score", "not a JSON number"),
    ({"blob": b"bytes"}, "blob", "bytes is not a JSON value"),
    (nested(MAX_DEPTH + 1), None, f"nested deeper than {MAX_DEPTH} levels"),
    (nested(5000), None, f"nested deeper than {MAX_DEPTH} levels"),
    (["not", "an", "object"], None, "is a list, not a JSON object"),
    ("text", None, "is a str, not a JSON object"),
]


async def test_what_would_not_read_back_is_refused_and_nothing_changes(store: BaseStore) -> None:
    for n, (record, field, reason) in enumerate(REFUSED):
        session_id = f"s{n}"
        await store.append(session_id, [{"id": "before", "n": n}])
        with pytest.raises(RecordFormatError, match=reason) as info:
            await store.append(session_id, [{"id": "good"}, record])
        error = info.value
        assert isinstance(error, UsageError)
        assert (error.index, error.session_id) == (1, session_id)
        if field is not None:
            assert error.field is not None and error.field.endswith(field), (reason, error.field)
            assert repr(error.field) in str(error)
        assert "nothing was written" in str(error)
        # Not even the good record before it: an append is all or nothing.
        assert [r.record for r in await store.load(session_id)] == [{"id": "before", "n": n}]
        assert await store.append(session_id, [{"id": "after"}]) == 2
        assert [r.record["id"] for r in await store.load(session_id)] == ["before", "after"]


async def test_a_refused_first_append_creates_no_session(store: BaseStore) -> None:
    with pytest.raises(RecordFormatError):
        await store.append("fresh", [{"text": "\ud800"}])
    assert await store.load("fresh") == []
    assert await store.list_sessions() == []


async def test_the_edges_of_what_is_allowed_read_back_equal(store: BaseStore) -> None:
    records = [
        nested(MAX_DEPTH),
        {"id": "big-int", "n": 2**200, "neg": -(2**70)},
        # Just past 64 bits, where some JSON readers (orjson's) give a float back instead of failing.
        {"id": "int-edges", "v": [-(2**63) - 1, -(2**63), 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(10**19)]},
        {"id": "floats", "x": [0.1, -0.0, 1e308, 5e-324, 1.7976931348623157e308]},
        {"id": "text", "s": '\x00 nul, \u2028 separators, 🎉 astral, \\ backslash, " quote, 東京'},
        {"id": "empty", "": "", "list": [], "dict": {}},
    ]
    assert await store.append("edge", records) == len(records)
    loaded = [r.record for r in await store.load("edge")]
    assert loaded == records
    assert repr(loaded) == repr(records)  # and of the same types: 2**64 == 2.0**64, but not as JSON


async def test_a_record_at_the_size_limit_is_refused_above_it(store: BaseStore) -> None:
    overhead = len('{"id":"big","s":""}')
    with pytest.raises(RecordFormatError, match="above the limit"):
        await store.append("big", [{"id": "big", "s": "x" * (MAX_RECORD_BYTES - overhead + 1)}])
    assert await store.load("big") == []


async def test_append_takes_a_list_of_records(store: BaseStore) -> None:
    for records in ({"id": "a"}, "abc", b"abc", 42, None):
        with pytest.raises(RecordFormatError, match="append takes a list of records"):
            await store.append("s", records)  # type: ignore[arg-type]
    assert await store.list_sessions() == []


async def test_load_refuses_a_bad_window(store: BaseStore) -> None:
    for after_seq, limit in [(-1, None), (0, -1), ("1", None), (0, 1.5), (True, None), (None, None)]:
        with pytest.raises(UsageError, match=r"after_seq|limit"):
            await store.load("s", after_seq=after_seq, limit=limit)  # type: ignore[arg-type]


async def test_list_refuses_a_prefix_that_is_not_text(store: BaseStore) -> None:
    with pytest.raises(UsageError, match="prefix must be text"):
        await store.list_sessions(None)  # type: ignore[arg-type]
