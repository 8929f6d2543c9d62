"""What is written reads back equal, or is refused with a UsageError naming the field: on every backend.

Hypothesis draws messages (text with lone surrogates, parts, tool calls with arbitrary arguments,
metadata of any shape) and raw records (sets, tuples, datetimes, bytes, NaN, non-string keys, nesting
far past the limits). For each: either the message or the store refuses it with a
:class:`~sessionforge.errors.UsageError` and nothing stored changes, or it is stored and reads back
equal. A message that constructs always stores. Afterwards the session is still writable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from servers import PostgresServer, RedisServer
from sessionforge.core.events import SessionEvent, chat_message_event
from sessionforge.core.messages import ChatMessage, ImagePart, TextPart, ToolCall
from sessionforge.errors import MessageFormatError, RecordFormatError, UsageError
from sessionforge.storage.base import BaseStore
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.postgres import PostgresStore
from sessionforge.storage.redis import RedisStore
from sessionforge.storage.sqlite import SQLiteStore

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
TEXT = st.text(st.one_of(st.characters(), SURROGATES), max_size=12) | st.sampled_from(
    ["", "plain", "東京 🎉"]
)
KEYS = TEXT | st.integers(-3, 3) | st.none()
NOT_JSON = st.one_of(
    st.sets(st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.datetimes(timezones=st.just(UTC)),
    st.binary(max_size=3),
    st.sampled_from([float("nan"), float("inf"), -float("inf")]),
    st.builds(object),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers() | st.integers(min_value=2**63, max_value=2**90),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)


def nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"k": value} if depth % 2 else [value]
    return value


JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
VALUES = st.recursive(
    SCALARS | NOT_JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
DEEP = st.builds(nest, SCALARS, st.integers(90, 300))
# Mostly JSON (which may still hold a lone surrogate), sometimes anything, now and then very deep.
ANY_VALUE = st.one_of(JSON, JSON, JSON, VALUES, DEEP)
OBJECTS = st.one_of(
    st.dictionaries(TEXT, JSON, max_size=3),
    st.dictionaries(TEXT, JSON, max_size=3),
    st.dictionaries(KEYS, ANY_VALUE, max_size=3),
    st.builds(lambda v: {"deep": v}, DEEP),
)


@st.composite
def message_parts(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments for a ChatMessage, some of which a store could not keep."""
    role = draw(st.sampled_from(["system", "user", "assistant", "tool", "wizard"]))
    content: Any = draw(
        st.one_of(
            TEXT,
            st.none(),
            st.lists(st.builds(lambda t: {"kind": "text", "text": t}, TEXT), min_size=1, max_size=2),
            st.just([{"kind": "image", "url": "data:image/png;base64,AAAA"}]),
        )
    )
    parts: dict[str, Any] = {"role": role, "content": content, "metadata": draw(OBJECTS)}
    if role == "assistant":
        parts["tool_calls"] = [
            {
                "id": draw(TEXT.filter(bool)),
                "name": draw(st.sampled_from(["add", "search"])),
                "arguments": draw(OBJECTS),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    if role == "tool":
        parts["tool_call_id"] = draw(TEXT)
    return parts


class Harness:
    """One store and the one event loop every example of a test runs on."""

    def __init__(self, store: BaseStore) -> None:
        self.store = store
        self.runner = asyncio.Runner()

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    def close(self) -> None:
        self.run(self.store.aclose())
        self.runner.close()


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    store: BaseStore
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "store.db")
    elif request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        store = RedisStore.from_url(server.url, namespace=f"p{uuid.uuid4().hex[:8]}")
    else:
        pg: PostgresServer = request.getfixturevalue("postgres_server")
        store = PostgresStore.from_url(pg.create_database(), connect_timeout=5)
    harness = Harness(store)
    yield harness
    harness.close()


COMMON = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


async def check_round_trip(store: BaseStore, records: list[Any]) -> list[dict[str, Any]]:
    """Append ``records`` to a fresh session after a first record; return what was stored.

    Either all of them read back equal, or the append is refused with a RecordFormatError naming the
    field and the session holds the first record alone; either way it takes one more append.
    """
    session_id = f"s-{uuid.uuid4().hex}"
    first = {"id": "first", "at": "start"}
    await store.append(session_id, [first])
    refused: RecordFormatError | None = None
    try:
        last = await store.append(session_id, records)
    except RecordFormatError as exc:
        refused = exc
    if refused is not None:
        assert isinstance(refused, UsageError)
        assert refused.session_id == session_id
        assert refused.index is not None and 0 <= refused.index < len(records)
        assert "nothing was written" in str(refused)
        event(f"store refused: {str(refused).split(': ', 1)[1][:40]}")
        expected = [first]
    else:
        assert last == 1 + len(records)
        event("stored and read back equal")
        expected = [first, *records]
    assert [r.record for r in await store.load(session_id)] == expected
    assert await store.append(session_id, [{"id": "after"}]) == len(expected) + 1
    return expected[1:]


@COMMON
@given(parts=message_parts())
def test_messages_construct_and_store_or_are_refused(harness: Harness, parts: dict[str, Any]) -> None:
    refused: MessageFormatError | None = None
    try:
        message = ChatMessage(**parts)
    except MessageFormatError as exc:
        refused = exc
    if refused is not None:
        assert isinstance(refused, UsageError) and refused.field
        event(f"message refused: {refused.field.split('.')[0]}")
        return
    stored = harness.run(check_round_trip(harness.store, [chat_message_event(message).to_record()]))
    assert len(stored) == 1, "a message that constructs must store"
    assert SessionEvent.from_record(stored[0]).message == message
    assert ChatMessage.from_dict(message.to_dict()) == message


@COMMON
@given(metadata=OBJECTS, arguments=OBJECTS, extra=st.lists(ANY_VALUE, max_size=2))
def test_raw_records_store_equal_or_are_refused_naming_the_field(
    harness: Harness, metadata: dict[Any, Any], arguments: dict[Any, Any], extra: list[Any]
) -> None:
    records = [
        {"id": "m", "metadata": metadata},
        {"id": "c", "tool_calls": [{"id": "c1", "name": "f", "arguments": arguments}]},
        {"id": "x", "values": extra},
    ]
    harness.run(check_round_trip(harness.store, records))


@COMMON
@given(value=ANY_VALUE, depth=st.integers(1, 3))
def test_tool_calls_built_from_anything_store_or_are_refused(
    harness: Harness, value: Any, depth: int
) -> None:
    try:
        call = ToolCall(id="call-1", name="f", arguments={"v": nest(value, depth)})
        message = ChatMessage.assistant(
            None, tool_calls=[call], metadata={"at": datetime.now(UTC).isoformat()}
        )
        parts = ChatMessage.user([TextPart(text="see"), ImagePart(url="https://example.com/a.png")])
    except MessageFormatError as exc:
        event(f"message refused: {(exc.field or '').split('.')[0]}")
        return
    stored = harness.run(
        check_round_trip(harness.store, [chat_message_event(m).to_record() for m in (parts, message)])
    )
    assert [SessionEvent.from_record(r).message for r in stored] == [parts, message]
