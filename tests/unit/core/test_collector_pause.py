"""Decoding a batch holds the cyclic garbage collector and always gives it back as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sessionforge.core.construct import collector_paused
from sessionforge.core.records import StoredRecord
from sessionforge.core.session import decode_records
from sessionforge.errors import CorruptRecordError


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_pauses_resume_the_collector_once_at_the_end() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_gives_the_collector_back() -> None:
    with pytest.raises(CorruptRecordError):
        decode_records("s", [StoredRecord(1, {"id": "e1", "type": "no such type"})])
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_resume_when_the_last_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still decoding
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_decoding_runs_with_the_collector_held() -> None:
    records = [
        StoredRecord(i, {"id": f"e{i}", "type": "message", "message": {"n": i}}) for i in range(1, 3000)
    ]
    seen: list[str] = []
    callback = lambda phase, info: seen.append(phase)  # noqa: E731
    gc.collect()  # the allocation counts start from nothing, whatever ran before in this process
    gc.callbacks.append(callback)
    try:
        events = decode_records("s", records)
    finally:
        gc.callbacks.remove(callback)
    assert [e.seq for e in events] == list(range(1, 3000))
    assert gc.isenabled()
    assert seen.count("start") <= 1  # thousands of objects made: one collection, once the batch is in
