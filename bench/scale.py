"""A store of many sessions: does listing and loading stay fast as the store grows?

One store per backend (SQLite file, PostgreSQL) grows to each size in turn, N sessions of 20 messages
(N = 1,000, 10,000, 100,000 by default). At each size it times, as medians:

- the first page of the session list (``PAGE`` ids): the store's paged listing where it has one
  (``list_sessions(prefix, limit=...)``), otherwise ``list_sessions()`` cut to the page, which is what
  a caller of the ``Store`` protocol can do;
- one session loaded by id, at random: the raw records (``Store.load``), a ``ChatSession.load`` and a
  ``SessionManager`` on that session building its request (``get_messages_for_llm``).

It then prints each figure's growth from the smallest to the largest store (1.00 = flat) beside the
targets: the first page under 50 ms and one session under 5 ms at 100,000 sessions.

Every session is a copy of one session written through the public API (a ``ChatSession`` of 20
messages of about 60 words, saved). The first ``--api-sessions`` (1,000) are appended with
``Store.append``, fresh event ids each; the rest are bulk copies of those, made with plain SQL on the
store's own tables (``INSERT ... SELECT``, thousands of sessions a statement), so a 100,000-session
store is built in seconds rather than many minutes. Every timed operation goes through the public
faces and the ``Store`` protocol, and is a read. PostgreSQL is started with the test helper, with fsync
off, which changes only the building.

    .venv/bin/python bench/scale.py                        # 1,000, 10,000 and 100,000 sessions
    .venv/bin/python bench/scale.py --sizes 200 1000       # a quick run
    .venv/bin/python bench/scale.py --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "bench")]

import workloads as wl  # noqa: E402

from sessionforge import ChatSession, SessionManager, Store, open_store  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
MESSAGES = 20
PAGE = 50
LOADS = 30
"""Sessions loaded at random per size and face (each figure is their median)."""
LIST_REPEATS = 5
TARGET_LIST_MS = 50.0
TARGET_LOAD_MS = 5.0


async def median_ms(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def paged_listing(store: Store) -> bool:
    """Whether the store lists a page itself (a ``limit`` parameter), not only every id."""
    return "limit" in inspect.signature(store.list_sessions).parameters


async def first_page(store: Store) -> list[str]:
    if paged_listing(store):
        ids: list[str] = await store.list_sessions("", limit=PAGE)  # type: ignore[call-arg]
        return ids
    return (await store.list_sessions())[:PAGE]


@dataclass
class Figures:
    sessions: int
    build_s: float
    list_ms: float
    load_ms: float
    chat_load_ms: float
    manager_ms: float


async def measure_async(store: Store, sample: list[str]) -> tuple[float, float, float]:
    page = await first_page(store)
    assert len(page) == PAGE, len(page)
    list_ms = await median_ms(lambda: first_page(store), LIST_REPEATS)
    load_times, manager_times = [], []
    for session_id in sample:
        began = time.perf_counter()
        records = await store.load(session_id)
        load_times.append((time.perf_counter() - began) * 1000)
        assert len(records) >= MESSAGES, len(records)
        began = time.perf_counter()
        request = await SessionManager(session_id=session_id, store=store).get_messages_for_llm()
        manager_times.append((time.perf_counter() - began) * 1000)
        assert len(request) >= MESSAGES, len(request)
    return list_ms, statistics.median(load_times), statistics.median(manager_times)


def chat_load_ms(store: Store, sample: list[str]) -> float:
    """``ChatSession.load`` is the sync face: timed outside any event loop, as its callers run it."""
    times = []
    for session_id in sample:
        began = time.perf_counter()
        session = ChatSession.load(session_id, store)
        times.append((time.perf_counter() - began) * 1000)
        assert len(session.history) == MESSAGES, len(session.history)
    return statistics.median(times)


COPY_CHUNK = 5_000
"""Sessions copied per bulk statement."""


def bulk_copy(url: str, namespace: str, templates: Sequence[str], count: int) -> list[str]:
    """``count`` new sessions, each a copy of one of ``templates`` (round robin), with plain SQL on
    the store's tables; returns their ids."""
    new = [str(uuid.uuid4()) for _ in range(count)]
    pairs = [(new_id, templates[n % len(templates)]) for n, new_id in enumerate(new)]
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("CREATE TEMP TABLE pairs (new_id TEXT PRIMARY KEY, old_id TEXT) WITHOUT ROWID")
            for begin in range(0, len(pairs), COPY_CHUNK):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM pairs")
                conn.executemany("INSERT INTO pairs VALUES (?, ?)", pairs[begin : begin + COPY_CHUNK])
                # In key order, so each copy lands at the end of the tables' B-trees.
                conn.execute(
                    "INSERT INTO sessions SELECT s.namespace, p.new_id, s.last_seq, s.created_at, "
                    "s.updated_at, s.expires_at FROM pairs p JOIN sessions s "
                    "ON s.namespace = ? AND s.session_id = p.old_id ORDER BY p.new_id",
                    (namespace,),
                )
                conn.execute(
                    "INSERT INTO events SELECT e.namespace, p.new_id, e.seq, e.record_id, e.body "
                    "FROM pairs p JOIN events e ON e.namespace = ? AND e.session_id = p.old_id "
                    "ORDER BY p.new_id, e.seq",
                    (namespace,),
                )
                conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return new
    import psycopg

    copy = """
        WITH pairs AS (SELECT * FROM unnest(%(new)s::text[], %(old)s::text[]) AS p(new_id, old_id))
        INSERT INTO {table} SELECT t.namespace, p.new_id, {columns} FROM {table} t
        JOIN pairs p ON t.session_id = p.old_id WHERE t.namespace = %(ns)s
    """
    with psycopg.connect(url, autocommit=True) as conn:
        for begin in range(0, len(pairs), COPY_CHUNK):
            chunk = pairs[begin : begin + COPY_CHUNK]
            params = {"new": [p[0] for p in chunk], "old": [p[1] for p in chunk], "ns": namespace}
            with conn.transaction():
                for table, columns in (
                    ("sessionforge_sessions", "t.last_seq, t.created_at, t.updated_at, t.expires_at"),
                    ("sessionforge_events", "t.seq, t.record_id, t.body"),
                ):
                    conn.execute(copy.format(table=table, columns=columns), params)
        conn.execute("ANALYZE")
    return new


def run_backend(
    url: str, sizes: Sequence[int], writers: int, api_sessions: int = 1_000
) -> tuple[list[Figures], bool]:
    """Grow one store through ``sizes`` and measure at each; also whether it lists pages itself."""
    records = wl.template_records(MESSAGES)
    store = open_store(url)
    ids: list[str] = []
    rng = random.Random(11)
    out = []
    try:
        for size in sizes:
            began = time.perf_counter()
            asyncio.run(wl.grow(store, ids, min(size, api_sessions), records, writers))
            if size > len(ids):
                ids += bulk_copy(url, store.namespace, ids[:api_sessions], size - len(ids))
            build_s = time.perf_counter() - began
            sample = rng.sample(ids, min(LOADS, len(ids)))
            list_ms, load_ms, manager_ms = asyncio.run(measure_async(store, sample))
            out.append(Figures(size, build_s, list_ms, load_ms, chat_load_ms(store, sample), manager_ms))
            print(f"  {size:,} sessions measured", file=sys.stderr, flush=True)
    finally:
        asyncio.run(store.aclose())
    return out, paged_listing(store)


def report(name: str, figures: list[Figures], paged: bool) -> str:
    listing = "paged listing" if paged else "list_sessions() cut to the page (no paged listing)"
    lines = [
        f"{name}: {MESSAGES} messages a session; first page of {PAGE} ids by {listing}; "
        f"one session = median of {LOADS} at random",
        "",
        "| sessions | build s | first page ms | Store.load ms | ChatSession.load ms | SessionManager ms |",
        "|---------:|--------:|--------------:|--------------:|--------------------:|------------------:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.sessions:>8,} | {f.build_s:>7.1f} | {f.list_ms:>13.2f} | {f.load_ms:>13.2f} "
            f"| {f.chat_load_ms:>19.2f} | {f.manager_ms:>17.2f} |"
        )
    if len(figures) > 1:
        a, b = figures[0], figures[-1]
        lines.append(
            f"| growth {a.sessions:,} -> {b.sessions:,} | | {b.list_ms / a.list_ms:>12.2f}x "
            f"| {b.load_ms / a.load_ms:>12.2f}x | {b.chat_load_ms / a.chat_load_ms:>18.2f}x "
            f"| {b.manager_ms / a.manager_ms:>16.2f}x |"
        )
    last = figures[-1]
    worst_load = max(last.load_ms, last.chat_load_ms, last.manager_ms)
    lines.append(
        f"\ntargets at {last.sessions:,} sessions: first page < {TARGET_LIST_MS:.0f} ms (measured "
        f"{last.list_ms:.2f}), one session < {TARGET_LOAD_MS:.0f} ms through every face (slowest measured "
        f"{worst_load:.2f})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="store sizes, ascending")
    parser.add_argument(
        "--backends", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--api-sessions",
        type=int,
        default=1_000,
        help="sessions appended through Store.append; the rest are bulk SQL copies of them",
    )
    options = parser.parse_args(argv)
    sizes = sorted(options.sizes)
    if sizes[0] < PAGE:
        parser.error(f"the smallest store must hold at least a page ({PAGE} sessions)")
    print(f"sessionforge scale bench: stores of {', '.join(f'{n:,}' for n in sizes)} sessions\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="sf-scale-") as tmp:
        if "sqlite" in options.backends:
            figures, paged = run_backend(
                f"sqlite:///{Path(tmp) / 'scale.db'}", sizes, writers=1, api_sessions=options.api_sessions
            )
            print(report("SQLite file", figures, paged), end="\n\n", flush=True)
        if "postgres" in options.backends:
            from servers import PostgresServer

            server = PostgresServer(fast=True).start()
            try:
                figures, paged = run_backend(
                    server.create_database(), sizes, writers=8, api_sessions=options.api_sessions
                )
                print(report("PostgreSQL", figures, paged), end="\n\n", flush=True)
            finally:
                server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
