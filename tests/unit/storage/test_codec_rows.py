"""RecordCodec.decode_rows: the batch read gives what decode gives, record by record, and refuses alike."""

from __future__ import annotations

import pytest

from sessionforge.errors import CorruptRecordError
from sessionforge.storage.codec import RecordCodec

RECORDS = [{"id": "a", "type": "message", "message": "héllo"}, {"id": "b", "n": [1, 2.5, None]}]


def _rows(codec: RecordCodec) -> list[tuple[int, str | bytes]]:
    texts = [codec.encode(r, namespace="ns", session_id="s") for r in RECORDS]
    return [
        (1, texts[0].encode()),
        (2, texts[1]),  # as text, as some backends return it
        (3, b'{"f":1,"r":{"id":"old"}}'),  # format 1, no checksum
    ]


def test_rows_decode_as_each_record_does() -> None:
    codec = RecordCodec()
    rows = _rows(codec)
    decoded = codec.decode_rows(rows, session_id="s", namespace="ns")
    assert [(r.seq, r.record) for r in decoded] == [
        (seq, codec.decode(text, session_id="s", seq=seq, namespace="ns")) for seq, text in rows
    ]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.replace("héllo".encode(), b"hallo"),  # checksum no longer matches
        lambda b: b[:-1],  # truncated
        lambda b: b.replace(b'"c":"', b'"c":"z'),  # unreadable checksum
        lambda b: b[:12] + b"00000000" + b[20:],  # a checksum that is not this body's
    ],
)
def test_a_damaged_row_is_refused_naming_session_and_seq(damage: object) -> None:
    codec = RecordCodec()
    _, good = _rows(codec)[0]
    assert isinstance(good, bytes) and callable(damage)
    with pytest.raises(CorruptRecordError) as info:
        codec.decode_rows([(7, good), (8, damage(good))], session_id="s", namespace="ns")
    assert (info.value.session_id, info.value.seq) == ("s", 8)
