"""The storage conformance suite: run the checks our own backends pass against your ``Store``.

A store is only useful to sessionforge if it keeps the contract of :class:`~sessionforge.storage.base.Store`
exactly (contiguous sequence numbers under concurrency, idempotent record ids, keyset paging,
namespace isolation, records that read back equal or are refused whole). Those properties are easy to
get almost right, so we ship the checks instead of a prose description of them::

    from sessionforge.testing import assert_conforms

    async def test_my_store_conforms() -> None:
        await assert_conforms(lambda namespace: MyStore(url, namespace=namespace))

The factory takes a namespace and returns a store (or an awaitable of one) bound to it. Stores made
for the same namespace must share data (the concurrency check writes through two of them); each check
asks for namespaces of its own (``cf-<check>-<random>``), so the suite runs against a shared database
without cleaning it first, and a store that leaks across namespaces is caught rather than excused.
The suite closes every store it gets from the factory.

Each check is a small async function in :data:`CHECKS`; :func:`check_store` runs them all and returns
a :class:`Report` (passed, failed, skipped, each with its reason), :func:`assert_conforms` raises
:class:`ConformanceError` listing every failure, and :func:`run_check` runs one, so a pytest suite
can parametrize over ``CHECKS`` to get one test per check. Nothing here imports pytest.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec

from ..errors import RecordFormatError, UsageError
from ..storage.base import Store

_P = ParamSpec("_P")

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "ConformanceError",
    "Report",
    "StoreFactory",
    "assert_conforms",
    "check_store",
    "run_check",
]

StoreFactory = Callable[[str], Store | Awaitable[Store]]
"""Makes a store bound to the given namespace; stores of one namespace share their data."""

Outcome = Literal["passed", "failed", "skipped"]


class ConformanceError(AssertionError):
    """A store broke the contract. An ``AssertionError`` so test runners show it as a failure."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome and, unless it passed, why."""

    name: str
    outcome: Outcome
    reason: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.outcome.upper()} {self.name}" + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class Report:
    """The outcome of every check that was asked for, in the order they ran."""

    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    def _with(self, outcome: Outcome) -> list[CheckResult]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def passed(self) -> list[CheckResult]:
        return self._with("passed")

    @property
    def failed(self) -> list[CheckResult]:
        return self._with("failed")

    @property
    def skipped(self) -> list[CheckResult]:
        return self._with("skipped")

    @property
    def ok(self) -> bool:
        """No check failed (skipped checks were skipped on purpose, with a reason)."""
        return not self.failed

    def __str__(self) -> str:
        head = f"{len(self.passed)} passed, {len(self.failed)} failed, {len(self.skipped)} skipped"
        return "\n".join([head, *(f"  {r}" for r in self.results if r.outcome != "passed")])


class _Stores:
    """Hands a check fresh stores in namespaces of its own, and closes them all afterwards."""

    def __init__(self, factory: StoreFactory, check: str) -> None:
        self._factory = factory
        self._base = f"cf-{check.replace('_', '-')}-{secrets.token_hex(4)}"
        self._opened: list[Store] = []

    def namespace(self, suffix: str = "") -> str:
        return self._base + suffix

    async def open(self, suffix: str = "") -> Store:
        """A store bound to this check's namespace (plus ``suffix``); same suffix, same data."""
        namespace = self.namespace(suffix)
        made = self._factory(namespace)
        store: Store = await made if inspect.isawaitable(made) else made
        self._opened.append(store)
        _expect(isinstance(store, Store), f"the factory returned {type(store).__name__}, not a Store")
        _expect(
            store.namespace == namespace,
            f"the factory was asked for namespace {namespace!r} but the store says {store.namespace!r}",
        )
        return store

    async def aclose(self) -> None:
        for store in reversed(self._opened):
            await store.aclose()


Check = Callable[[_Stores], Awaitable[None]]
"""One property of the contract, checked against fresh stores; raises ConformanceError if broken."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceError(message)


def _diff(got: Sequence[int], expected: Sequence[int]) -> str:
    """What separates two lists of seqs, short enough to read: repeats, then what is missing."""

    def short(values: list[int]) -> str:
        return ", ".join(map(str, values[:8])) + (f", ... ({len(values)} in all)" if len(values) > 8 else "")

    counts: dict[int, int] = {}
    for seq in got:
        counts[seq] = counts.get(seq, 0) + 1
    repeated = [f"seq {seq} {count} times" for seq, count in sorted(counts.items()) if count > 1]
    missing = sorted(set(expected) - set(got))
    parts = [", ".join(repeated[:8])] if repeated else []
    if missing:
        parts.append(f"missing {short(missing)}")
    extra = sorted(set(got) - set(expected))
    if extra:
        parts.append(f"unexpected {short(extra)}")
    return "; ".join(parts) or "out of order"


def _seqs(loaded: Sequence[Any]) -> list[int]:
    return [int(r.seq) for r in loaded]


async def _refused(exc_type: type[BaseException], what: str, operation: Awaitable[object]) -> None:
    try:
        await operation
    except exc_type:
        return
    except Exception as error:  # the wrong kind of refusal
        raise ConformanceError(
            f"{what}: expected {exc_type.__name__}, got {type(error).__name__}: {error}"
        ) from error
    raise ConformanceError(f"{what}: expected {exc_type.__name__}, nothing was raised")


async def check_round_trip(stores: _Stores) -> None:
    """Records read back equal: text with any character, big integers, exact floats, nesting."""
    store = await stores.open()
    records: list[dict[str, Any]] = [
        {"id": "e1", "text": 'héllo 🌍 \\u0000 "quoted"', "nested": {"list": [1, 2.5, None, True]}},
        {"id": "big-int", "n": 2**200, "neg": -(2**70)},
        {"id": "floats", "x": [0.1, -0.0, 1e308, 5e-324, 1.7976931348623157e308]},
        {"id": "text", "s": '\x00 nul, \u2028 separators, 🎉 astral, \\ backslash, " quote, 東京'},
        {"id": "empty", "": "", "list": [], "dict": {}},
    ]
    await store.append("s", records)
    loaded = [r.record for r in await store.load("s")]
    _expect(loaded == records, f"records did not read back equal: wrote {records!r}, read {loaded!r}")


async def check_contiguous_seqs(stores: _Stores) -> None:
    """append numbers records 1, 2, 3, ... per session and returns the last number."""
    store = await stores.open()
    got = [
        await store.append("s1", [{"n": 1}]),
        await store.append("s1", [{"n": 2}, {"n": 3}]),
        await store.append("s1", []),
        await store.append("s1", [{"n": 4}]),
    ]
    _expect(
        got == [1, 3, 3, 4],
        f"append returned {got}, expected [1, 3, 3, 4] (an empty append returns the last)",
    )
    loaded = await store.load("s1")
    _expect(_seqs(loaded) == [1, 2, 3, 4], f"seqs {_seqs(loaded)}, expected [1, 2, 3, 4]")
    _expect([r.record["n"] for r in loaded] == [1, 2, 3, 4], "records came back out of order")
    first = await store.append("s2", [{"n": 1}])
    _expect(first == 1, f"a second session's first append returned {first}: seqs are per session")


async def check_load_window(stores: _Stores) -> None:
    """load(after_seq, limit) returns the window asked for, and paging reads everything once."""
    store = await stores.open()
    await store.append("s", [{"n": i} for i in range(1, 26)])
    for after_seq, limit, expected in [
        (7, None, list(range(8, 26))),
        (0, 3, [1, 2, 3]),
        (4, 2, [5, 6]),
        (25, None, []),
        (24, 5, [25]),
        (0, 0, []),
    ]:
        got = _seqs(await store.load("s", after_seq=after_seq, limit=limit))
        _expect(
            got == expected,
            f"load(after_seq={after_seq}, limit={limit}) gave seqs {got}, expected {expected}",
        )
    seen: list[int] = []
    for _ in range(10):
        page = await store.load("s", after_seq=seen[-1] if seen else 0, limit=7)
        if not page:
            break
        seen += _seqs(page)
    _expect(seen == list(range(1, 26)), f"paging by 7 read seqs {seen}")


async def check_unknown_session(stores: _Stores) -> None:
    """A session never written loads as [], is not listed, and deleting it returns False."""
    store = await stores.open()
    _expect(await store.load("never-written") == [], "an unknown session did not load as []")
    _expect(await store.list_sessions() == [], "a store never written to lists sessions")
    _expect(await store.delete("never-written") is False, "deleting an unknown session did not return False")


async def check_idempotent_ids(stores: _Stores) -> None:
    """A record whose "id" is already in the session is skipped, so a retried append never duplicates."""
    store = await stores.open()
    _expect(await store.append("s", [{"id": "a", "v": 1}, {"id": "b"}]) == 2, "first append did not return 2")
    last = await store.append("s", [{"id": "a", "v": 2}, {"id": "c"}])
    _expect(last == 3, f"appending a seen id and a new one returned {last}, expected 3")
    loaded = await store.load("s")
    ids = [r.record.get("id") for r in loaded]
    _expect(ids == ["a", "b", "c"], f"ids {ids} after a duplicate, expected ['a', 'b', 'c']")
    _expect(loaded[0].record.get("v") == 1, "the duplicate replaced the record first stored")
    _expect(
        await store.append("s", [{"id": "a"}, {"id": "b"}]) == 3, "retrying a whole batch changed the log"
    )
    within = await store.append("t", [{"id": "x"}, {"id": "x"}, {"v": 1}, {"v": 1}])
    _expect(
        within == 3, f"a batch with one id twice and two records without ids returned {within}, expected 3"
    )
    _expect(await store.append("u", [{"id": "a"}]) == 1, "a record id seen in another session was skipped")


async def check_concurrent_appends(stores: _Stores) -> None:
    """Concurrent appends through two stores of one namespace leave no gap and no duplicate."""
    first, second = await stores.open(), await stores.open()
    n = 40

    async def one(i: int) -> int:
        return await (first, second)[i % 2].append("hot", [{"id": f"t{i}"}])

    acknowledged = sorted(await asyncio.gather(*(one(i) for i in range(n))))
    expected = list(range(1, n + 1))
    _expect(acknowledged == expected, f"{n} concurrent appends returned {_diff(acknowledged, expected)}")
    stored = _seqs(await first.load("hot"))
    _expect(stored == expected, f"after {n} concurrent appends the log holds {_diff(stored, expected)}")
    ids = sorted(str(r.record["id"]) for r in await first.load("hot"))
    _expect(ids == sorted(f"t{i}" for i in range(n)), "concurrent appends lost or duplicated records")


async def check_list_sorted_prefix(stores: _Stores) -> None:
    """list_sessions is sorted by code point and filters by a literal prefix (no wildcards)."""
    store = await stores.open()
    ids = ["user:b", "user:a", "bot:1", "user_c", "user.d", "User:e"]
    for sid in ids:
        await store.append(sid, [{"x": 1}])
    for prefix, expected in [
        ("", sorted(ids)),
        ("user:", ["user:a", "user:b"]),
        ("user_", ["user_c"]),
        ("user%", []),
        ("user.", ["user.d"]),
        ("nobody", []),
    ]:
        got = await store.list_sessions(prefix)
        _expect(got == expected, f"list_sessions({prefix!r}) gave {got}, expected {expected}")


async def check_list_paging(stores: _Stores) -> None:
    """list_sessions(prefix, limit, after) reads keyset pages that follow one another exactly."""
    store = await stores.open()
    ids = [f"s{n:03d}" for n in range(25)] + ["t1", "S0", "s", "a", "b"]
    for sid in ids:
        await store.append(sid, [{"x": 1}])
    await store.delete("b")
    ids.remove("b")
    pages: list[str] = []
    after: str | None = None
    for _ in range(10):
        page = await store.list_sessions("s", limit=10, after=after)
        if not page:
            break
        _expect(len(page) <= 10, f"a page of limit 10 held {len(page)} ids")
        pages += page
        after = page[-1]
    expected_all = sorted(s for s in ids if s.startswith("s"))
    _expect(pages == expected_all, f"pages of 10 read {pages}, expected {expected_all}")
    for (prefix, limit, after_id), expected in [
        (("", 3, None), sorted(ids)[:3]),
        (("s0", None, "s010"), [f"s{n:03d}" for n in range(11, 25)]),
        (("s", 2, "a"), ["s", "s000"]),
        (("", None, "t1"), []),
        (("", 0, None), []),
        (("s02", None, None), [f"s{n:03d}" for n in range(20, 25)]),
        (("", 2, "S0"), ["a", "s"]),
    ]:
        got = await store.list_sessions(prefix, limit=limit, after=after_id)
        _expect(
            got == expected,
            f"list_sessions({prefix!r}, limit={limit}, after={after_id!r}) gave {got}, expected {expected}",
        )


async def check_delete(stores: _Stores) -> None:
    """delete removes a session and all its records, returns True once, and the id starts again at 1."""
    store = await stores.open()
    await store.append("gone", [{"id": "a"}, {"id": "b"}])
    await store.append("kept", [{"id": "a"}])
    _expect(await store.delete("gone") is True, "deleting a session that exists did not return True")
    _expect(await store.load("gone") == [], "a deleted session still loads records")
    listed = await store.list_sessions()
    _expect(listed == ["kept"], f"after a delete the store lists {listed}, expected ['kept']")
    _expect(await store.delete("gone") is False, "deleting a session twice returned True twice")
    _expect(len(await store.load("kept")) == 1, "deleting one session changed another")
    again = await store.append("gone", [{"id": "a"}])
    _expect(
        again == 1, f"a deleted session's first new append returned {again}, expected 1 (ids forgotten too)"
    )


async def check_namespace_isolation(stores: _Stores) -> None:
    """Sessions of one namespace are invisible to a store of another, even when a ':' join collides."""
    a, b = await stores.open("-a"), await stores.open("-b")
    await a.append("shared-id", [{"id": "1", "owner": "a"}])
    _expect(await b.load("shared-id") == [], "a store read a session of another namespace")
    _expect(await b.list_sessions() == [], "a store listed a session of another namespace")
    _expect(await b.delete("shared-id") is False, "a store deleted a session of another namespace")
    _expect(
        await b.append("shared-id", [{"id": "1", "owner": "b"}]) == 1, "namespaces share sequence numbers"
    )
    _expect([r.record["owner"] for r in await a.load("shared-id")] == ["a"], "namespaces share records")
    # ("ns:team", "evil:x") and ("ns:team:evil", "x") join to the same "ns:team:evil:x".
    team, evil = await stores.open(":team"), await stores.open(":team:evil")
    await team.append("evil:x", [{"id": "1", "owner": "team"}])
    _expect(await evil.load("x") == [], "namespace 'team:evil' read session 'evil:x' of namespace 'team'")
    _expect(await evil.delete("x") is False, "namespace 'team:evil' deleted session 'evil:x' of 'team'")
    _expect(await evil.list_sessions() == [], "namespace 'team:evil' listed a session of namespace 'team'")
    _expect(await team.list_sessions() == ["evil:x"], "namespace 'team' lost its session to 'team:evil'")


async def check_refuses_unreadable_records(stores: _Stores) -> None:
    """A record that would not read back equal raises RecordFormatError and the append writes nothing."""
    store = await stores.open()
    refused: list[tuple[object, str]] = [
        ({"text": "bad \ud800 half"}, "a lone surrogate"),
        ({"when": object()}, "an object that is not JSON"),
        ({"tags": {"a", "b"}}, "a set"),
        ({"pair": (1, 2)}, "a tuple (reads back as a list)"),
        ({"counts": {1: "one"}}, "a key that is not text"),
        ({"score": float("nan")}, "NaN"),
        ({"blob": b"bytes"}, "bytes"),
        (["not", "an", "object"], "a list instead of an object"),
    ]
    with_fresh: Any = [{"text": "\ud800"}]
    await _refused(RecordFormatError, "a first append of a lone surrogate", store.append("fresh", with_fresh))
    _expect(await store.load("fresh") == [], "a refused first append wrote records")
    _expect(await store.list_sessions() == [], "a refused first append created a session")
    for n, (record, what) in enumerate(refused):
        sid = f"s{n}"
        await store.append(sid, [{"id": "before"}])
        batch: Any = [{"id": "good"}, record]
        await _refused(RecordFormatError, f"appending {what}", store.append(sid, batch))
        ids = [r.record.get("id") for r in await store.load(sid)]
        _expect(
            ids == ["before"], f"appending {what} was refused but wrote {ids[1:]} (must be all or nothing)"
        )
        last = await store.append(sid, [{"id": "after"}])
        _expect(last == 2, f"after a refused append of {what} the next append returned {last}, expected 2")


_INVALID_IDS = ["a/b", "a%b", "a*", "{a}", "a\n", "a b", "ü", "", "a" * 201]


async def check_refuses_invalid_ids(stores: _Stores) -> None:
    """Ids outside 1-200 of letters, digits and ._:@- raise UsageError on every operation."""
    store = await stores.open()
    valid = ["a:b", ":", "user@example.com", "x.y-z_1", "9" * 200]
    for n, sid in enumerate(valid):
        _expect(await store.append(sid, [{"id": str(n)}]) == 1, f"the valid id {sid!r} was not stored")
    for sid in _INVALID_IDS:
        await _refused(UsageError, f"append({sid!r})", store.append(sid, [{"id": "1"}]))
        await _refused(UsageError, f"load({sid!r})", store.load(sid))
        await _refused(UsageError, f"delete({sid!r})", store.delete(sid))
    listed = await store.list_sessions()
    _expect(listed == sorted(valid), f"after refused ids the store lists {listed}, expected {sorted(valid)}")


CHECKS: Mapping[str, Check] = {
    "round_trip": check_round_trip,
    "contiguous_seqs": check_contiguous_seqs,
    "load_window": check_load_window,
    "unknown_session": check_unknown_session,
    "idempotent_ids": check_idempotent_ids,
    "concurrent_appends": check_concurrent_appends,
    "list_sorted_prefix": check_list_sorted_prefix,
    "list_paging": check_list_paging,
    "delete": check_delete,
    "namespace_isolation": check_namespace_isolation,
    "refuses_unreadable_records": check_refuses_unreadable_records,
    "refuses_invalid_ids": check_refuses_invalid_ids,
}
"""Every check by name, in the order :func:`check_store` runs them."""


async def run_check(name: str, make_store: StoreFactory, *, check_seconds: float = 60.0) -> CheckResult:
    """Run the check ``name`` against fresh stores from ``make_store``; never raises for a broken store.

    A check that raises anything (a broken property, an exception from the store, a hang past
    ``check_seconds``) fails with the reason; the stores it opened are closed either way.
    """
    if name not in CHECKS:
        raise UsageError(f"no conformance check named {name!r}; the checks are {sorted(CHECKS)}")
    stores = _Stores(make_store, name)
    started = time.perf_counter()
    reason = ""
    try:
        await asyncio.wait_for(CHECKS[name](stores), check_seconds)
    except ConformanceError as error:
        reason = str(error)
    except TimeoutError:
        reason = f"did not finish within {check_seconds:g} s"
    except Exception as error:
        reason = f"the store raised {type(error).__name__}: {error}"
    finally:
        try:
            await stores.aclose()
        except Exception as error:
            reason = reason or f"aclose raised {type(error).__name__}: {error}"
    outcome: Outcome = "failed" if reason else "passed"
    return CheckResult(name, outcome, reason, time.perf_counter() - started)


async def check_store(
    make_store: StoreFactory,
    *,
    skip: Mapping[str, str] | None = None,
    only: Sequence[str] | None = None,
    check_seconds: float = 60.0,
) -> Report:
    """Run the checks (all, or ``only`` those) against ``make_store`` and report every outcome.

    ``skip`` maps a check's name to the reason your store does not keep that part of the contract;
    skipped checks are reported with that reason rather than dropped, so a gap stays visible.
    """
    skip = dict(skip or {})
    names = list(CHECKS) if only is None else list(only)
    unknown = sorted((set(names) | set(skip)) - set(CHECKS))
    if unknown:
        raise UsageError(f"no conformance check named {unknown}; the checks are {sorted(CHECKS)}")
    results: list[CheckResult] = []
    for name in names:
        if name in skip:
            results.append(CheckResult(name, "skipped", skip[name] or "skipped without a reason"))
        else:
            results.append(await run_check(name, make_store, check_seconds=check_seconds))
    return Report(tuple(results))


def _asserting(check: Callable[_P, Awaitable[Report]]) -> Callable[_P, Awaitable[Report]]:
    async def assert_conforms(*args: _P.args, **kwargs: _P.kwargs) -> Report:
        """Like :func:`check_store` (same arguments), but raise :class:`ConformanceError` listing
        every failed check."""
        report = await check(*args, **kwargs)
        if not report.ok:
            raise ConformanceError(f"the store does not conform: {report}")
        return report

    return assert_conforms


assert_conforms = _asserting(check_store)
