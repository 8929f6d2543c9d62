"""Storage throughput: each backend next to the raw ceiling of the same engine, in the same run.

For every backend: appends per second (one event per append, the session growing as it would in a
conversation) and the time to load a 1,000-event session, each beside what the bare driver does on
the same server with no sessionforge in between:

- SQLite: a plain INSERT in its own transaction (same WAL and ``synchronous`` settings);
- Redis: RPUSH awaited one by one, and RPUSH pipelined (the server's ceiling, no round trips);
- PostgreSQL: a plain INSERT per transaction (autocommit) into a table with a primary key.

Each backend's appends and its raw driver's are timed in turns (best of a few rounds each), so a burst
of load from elsewhere on a shared machine slows both sides of the ratio alike. Raw loads return the
stored strings without decoding, so the load ratio includes JSON decoding.
Servers are started here with the test helper (PostgreSQL with its default durable settings).
Absolute numbers depend on the machine; read the ratios. Run: ``.venv/bin/python bench/storage.py``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
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
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from servers import PostgresServer, RedisServer  # noqa: E402
from sessionforge.storage.base import BaseStore  # noqa: E402
from sessionforge.storage.memory import MemoryStore  # noqa: E402
from sessionforge.storage.postgres import PostgresStore  # noqa: E402
from sessionforge.storage.redis import RedisStore  # noqa: E402
from sessionforge.storage.sqlite import SQLiteStore  # noqa: E402

APPENDS = 250
ROUNDS = 10
LOAD_SIZE = 1000
LOAD_REPEATS = 5
TARGET = 0.8
"""Issue 20: durable appends reach at least this share of the raw single-statement rate."""


def event(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "schema_version": 1,
        "type": "message",
        "seq_hint": i,
        "message": {"role": "user" if i % 2 else "assistant", "content": f"turn {i}: " + "lorem " * 40},
    }


async def rate(step: Callable[[int], Awaitable[Any]], n: int = APPENDS, rounds: int = ROUNDS) -> float:
    """Best of a few rounds of ``n`` calls: this machine is shared, and noise only ever slows a round."""
    return (await paired_rates([step], n, rounds))[0]


async def paired_rates(
    steps: Sequence[Callable[[int], Awaitable[Any]]], n: int = APPENDS, rounds: int = ROUNDS
) -> list[float]:
    """Best of ``rounds`` rounds of ``n`` calls for each step, the steps' rounds taking turns, so a
    burst of load from elsewhere on a shared machine slows both sides of a ratio alike."""
    best = [0.0] * len(steps)
    for r in range(rounds):
        for k, step in enumerate(steps):
            began = time.perf_counter()
            for i in range(r * n, (r + 1) * n):
                await step(i)
            best[k] = max(best[k], n / (time.perf_counter() - began))
    return best


async def best_ms(call: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(LOAD_REPEATS):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def store_figures(
    store: BaseStore, raw_step: Callable[[int], Awaitable[Any]] | None = None
) -> tuple[float, float, float]:
    """The store's appends/s and 1,000-event load ms, and ``raw_step``'s calls/s timed in turns
    with the store's appends (0 without one)."""
    steps: list[Callable[[int], Awaitable[Any]]] = [lambda i: store.append("bench-append", [event(i)])]
    if raw_step is not None:
        steps.append(raw_step)
    rates = await paired_rates(steps)
    appends, raw = rates[0], (rates[1] if raw_step is not None else 0.0)
    for i in range(0, LOAD_SIZE, 100):
        await store.append("bench-load", [event(j) for j in range(i, i + 100)])
    assert len(await store.load("bench-load")) == LOAD_SIZE
    load = await best_ms(lambda: store.load("bench-load"))
    await store.aclose()
    return appends, load, raw


@dataclass
class Raw:
    """The bare driver on the same engine: one append (``step``), a load of 1,000, and clean-up."""

    step: Callable[[int], Awaitable[Any]]
    load: Callable[[], Awaitable[Any]]
    close: Callable[[], Awaitable[Any]]


async def sqlite_raw(path: Path) -> Raw:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (sid TEXT, seq INTEGER, body TEXT, PRIMARY KEY (sid, seq)) WITHOUT ROWID")

    async def insert(i: int) -> None:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw VALUES (?, ?, ?)", ("a", i, json.dumps(event(i))))
        conn.execute("COMMIT")

    async def load() -> list[Any]:
        return conn.execute(
            "SELECT seq, body FROM raw WHERE sid=? ORDER BY seq LIMIT ?", ("a", LOAD_SIZE)
        ).fetchall()

    async def close() -> None:
        conn.close()

    return Raw(insert, load, close)


async def redis_raw(url: str) -> tuple[Raw, Callable[[], Awaitable[float]]]:
    """RPUSH awaited one by one, and the pipelined ceiling (calls/s)."""
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(url)

    async def pipelined() -> float:
        began = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for i in range(APPENDS * ROUNDS):
            pipe.rpush("raw:b", json.dumps(event(i)))
        await pipe.execute()
        return APPENDS * ROUNDS / (time.perf_counter() - began)

    raw = Raw(
        lambda i: client.rpush("raw:a", json.dumps(event(i))),
        lambda: client.lrange("raw:a", 0, LOAD_SIZE - 1),
        client.aclose,
    )
    return raw, pipelined


async def postgres_raw(url: str) -> Raw:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("CREATE TABLE raw (sid text, seq bigint, body text, PRIMARY KEY (sid, seq))")

    async def load() -> list[Any]:
        cur = await conn.execute(
            "SELECT seq, body FROM raw WHERE sid = %s ORDER BY seq LIMIT %s", ("a", LOAD_SIZE)
        )
        return await cur.fetchall()

    return Raw(
        lambda i: conn.execute("INSERT INTO raw VALUES (%s, %s, %s)", ("a", i, json.dumps(event(i)))),
        load,
        conn.close,
    )


async def side_by_side(store: BaseStore, raw: Raw) -> tuple[tuple[float, float], tuple[float, float]]:
    """(appends/s, load ms) of the store and of the raw driver, appends timed in turns."""
    appends, load, raw_appends = await store_figures(store, raw.step)
    raw_load = await best_ms(raw.load)
    await raw.close()
    return (appends, load), (raw_appends, raw_load)


def row(name: str, store: tuple[float, float], raw: tuple[float, float] | None, note: str = "") -> str:
    if raw is None:
        return (
            f"| {name:<10} | {store[0]:>9,.0f} | {'—':>11} | {'—':>6} "
            f"| {store[1]:>8.2f} | {'—':>8} | {'—':>6} | {note}"
        )
    return (
        f"| {name:<10} | {store[0]:>9,.0f} | {raw[0]:>11,.0f} | {store[0] / raw[0]:>6.2f} "
        f"| {store[1]:>8.2f} | {raw[1]:>8.2f} | {store[1] / raw[1]:>6.2f} | {note}"
    )


async def main() -> None:
    redis_server, pg_server = RedisServer().start(), PostgresServer(fast=False).start()
    tmp = Path(tempfile.mkdtemp(prefix="sf-bench-"))
    try:
        rows = [
            "| backend    | appends/s | raw appends/s | ratio | load 1k ms | raw ms | ratio | raw baseline",
            "|------------|----------:|--------------:|------:|-----------:|-------:|------:|---",
        ]
        memory = await store_figures(MemoryStore())
        rows.append(row("memory", memory[:2], None, "no engine underneath"))
        sqlite_store, sqlite = await side_by_side(
            SQLiteStore(tmp / "store.db"), await sqlite_raw(tmp / "raw.db")
        )
        rows.append(row("sqlite", sqlite_store, sqlite, "INSERT + COMMIT each"))
        redis, pipelined = await redis_raw(redis_server.url)
        ceiling = await pipelined()
        redis_store, one_by_one = await side_by_side(RedisStore.from_url(redis_server.url), redis)
        rows.append(row("redis", redis_store, one_by_one, "RPUSH awaited each"))
        rows.append(row("redis", redis_store, (ceiling, one_by_one[1]), "RPUSH pipelined (ceiling)"))
        pg_store, pg = await side_by_side(
            PostgresStore.from_url(pg_server.create_database()),
            await postgres_raw(pg_server.create_database()),
        )
        rows.append(row("postgres", pg_store, pg, "INSERT per transaction"))
        print(
            f"sessionforge storage bench: appends of one event to a growing session (best of {ROUNDS} "
            f"rounds of {APPENDS}, the store's and the raw driver's rounds taking turns); load of a {LOAD_SIZE}-event session (median of {LOAD_REPEATS}). "
            "ratio = sessionforge / raw (appends: higher is better; load: lower is better)"
        )
        print(
            f"target: append ratio >= {TARGET} against the raw single statement on SQLite, Redis (RPUSH "
            "awaited each) and PostgreSQL"
        )
        print("\n".join(rows))
    finally:
        redis_server.close()
        pg_server.close()


if __name__ == "__main__":
    asyncio.run(main())
