"""The shipped conformance suite (``sessionforge.testing``) passes on our backends and on a foreign one,
and fails, saying why, on stores that break the contract.

The foreign store below is what a third party would write: a dict-backed ``Store`` that does not derive
from ``BaseStore`` and uses nothing of ours but the error types. The broken ones are it with one
property taken away, so each failure the suite reports is the one we expect.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from sessionforge.errors import RecordFormatError, UsageError
from sessionforge.storage.base import BaseStore, StoredRecord
from sessionforge.testing import CHECKS, ConformanceError, assert_conforms, check_store, run_check

_ID = re.compile(r"[A-Za-z0-9._:@\-]{1,200}")


def _valid(session_id: str) -> str:
    if not isinstance(session_id, str) or not _ID.fullmatch(session_id):
        raise UsageError(f"invalid session id {session_id!r}")
    return session_id


def _encode(session_id: str, index: int, record: Any) -> str:
    """JSON text that reads back equal to ``record``, or RecordFormatError."""
    if not isinstance(record, dict):
        raise RecordFormatError("a record is a JSON object", index=index, session_id=session_id)
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError) as error:
        raise RecordFormatError(str(error), index=index, session_id=session_id) from error
    if json.loads(text) != record:
        raise RecordFormatError("would not read back equal", index=index, session_id=session_id)
    return text


class DictStore:
    """A third-party store: sessions in a dict shared by every store made on it, keyed by namespace."""

    capabilities: frozenset[str] = frozenset()

    def __init__(self, data: dict[tuple[str, str], list[str]], namespace: str) -> None:
        self.data, self.namespace = data, namespace

    def _key(self, session_id: str) -> tuple[str, str]:
        return (self.namespace, _valid(session_id))

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        key = self._key(session_id)
        texts = [_encode(session_id, n, record) for n, record in enumerate(records)]
        log = self.data.get(key, [])
        seen = {json.loads(t).get("id") for t in log} - {None}
        for text, record in zip(texts, records, strict=True):
            if record.get("id") is None or record["id"] not in seen:
                log.append(text)
                seen.add(record.get("id"))
        if log:
            self.data[key] = log
        return len(log)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        log = self.data.get(self._key(session_id), [])
        end = None if limit is None else after_seq + limit
        return [StoredRecord(after_seq + n + 1, json.loads(t)) for n, t in enumerate(log[after_seq:end])]

    async def list_sessions(
        self, prefix: str = "", limit: int | None = None, after: str | None = None
    ) -> list[str]:
        ids = sorted(s for ns, s in self.data if ns == self.namespace and s.startswith(prefix))
        ids = [s for s in ids if after is None or s > after]
        return ids if limit is None else ids[:limit]

    async def delete(self, session_id: str) -> bool:
        return self.data.pop(self._key(session_id), None) is not None

    async def aclose(self) -> None:
        return None


class LeakyStore(DictStore):
    """Broken: keys sessions by id alone, so namespaces see each other."""

    def _key(self, session_id: str) -> tuple[str, str]:
        return ("", _valid(session_id))

    async def list_sessions(
        self, prefix: str = "", limit: int | None = None, after: str | None = None
    ) -> list[str]:
        ids = sorted(s for _, s in self.data if s.startswith(prefix) and (after is None or s > after))
        return ids if limit is None else ids[:limit]


class RacyStore(DictStore):
    """Broken: reads the last seq, yields, then writes, so concurrent appends reuse a seq."""

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        before = len(self.data.get(self._key(session_id), []))
        await asyncio.sleep(0)
        just_before = len(self.data.get(self._key(session_id), []))
        return before + await super().append(session_id, records) - just_before


class HangingStore(DictStore):
    """Broken: a load that never returns."""

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        await asyncio.Event().wait()
        return []


def _factory(kind: type[DictStore]) -> Callable[[str], DictStore]:
    data: dict[tuple[str, str], list[str]] = {}
    return lambda namespace: kind(data, namespace)


@pytest.mark.parametrize("check", list(CHECKS))
async def test_our_backends_pass_every_check(make_store: Callable[..., BaseStore], check: str) -> None:
    result = await run_check(check, lambda namespace: make_store(namespace=namespace))
    assert result.outcome == "passed", str(result)


async def test_a_foreign_store_passes_the_whole_suite() -> None:
    report = await assert_conforms(_factory(DictStore))
    assert [r.name for r in report.passed] == list(CHECKS)
    assert str(report).startswith(f"{len(CHECKS)} passed, 0 failed, 0 skipped")


async def test_an_async_factory_is_awaited() -> None:
    data: dict[tuple[str, str], list[str]] = {}

    async def open_store(namespace: str) -> DictStore:
        return DictStore(data, namespace)

    assert (await check_store(open_store, only=["round_trip", "namespace_isolation"])).ok


async def test_a_store_leaking_across_namespaces_fails_by_name() -> None:
    report = await check_store(_factory(LeakyStore))
    failed = {r.name: r.reason for r in report.failed}
    assert "namespace_isolation" in failed
    assert failed["namespace_isolation"] == "a store read a session of another namespace"
    with pytest.raises(ConformanceError, match="FAILED namespace_isolation: a store read a session"):
        await assert_conforms(_factory(LeakyStore))


async def test_a_store_reusing_seqs_fails_the_concurrency_check() -> None:
    report = await check_store(_factory(RacyStore))
    assert [r.name for r in report.failed] == ["concurrent_appends"]
    assert (
        report.failed[0].reason
        == "40 concurrent appends returned seq 1 40 times; missing 2, 3, 4, 5, 6, 7, 8, 9, ... (39 in all)"
    )
    assert not report.ok


async def test_a_hanging_store_fails_instead_of_hanging() -> None:
    report = await check_store(_factory(HangingStore), only=["round_trip"], check_seconds=0.2)
    assert [str(r) for r in report.results] == ["FAILED round_trip: did not finish within 0.2 s"]


async def test_skips_are_reported_with_their_reason() -> None:
    report = await check_store(
        _factory(RacyStore),
        skip={"concurrent_appends": "single writer by design"},
        only=["concurrent_appends"],
    )
    assert report.ok
    assert [str(r) for r in report.skipped] == ["SKIPPED concurrent_appends: single writer by design"]
    assert "SKIPPED concurrent_appends: single writer by design" in str(report)


async def test_a_factory_that_does_not_make_a_store_fails_clearly() -> None:
    report = await check_store(lambda namespace: object(), only=["delete"])  # type: ignore[arg-type,return-value]
    assert report.failed[0].reason == "the factory returned object, not a Store"
    wrong = await check_store(lambda namespace: DictStore({}, "elsewhere"), only=["delete"])
    assert "but the store says 'elsewhere'" in wrong.failed[0].reason


async def test_unknown_check_names_are_refused() -> None:
    with pytest.raises(UsageError, match="no conformance check named"):
        await check_store(_factory(DictStore), only=["nope"])
    with pytest.raises(UsageError, match="no conformance check named"):
        await check_store(_factory(DictStore), skip={"nope": "why"})
    with pytest.raises(UsageError, match="no conformance check named"):
        await run_check("nope", _factory(DictStore))


def test_the_suite_does_not_import_pytest() -> None:
    import subprocess
    import sys

    code = "import sys, sessionforge.testing; assert 'pytest' not in sys.modules, 'pytest imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
