"""Storage throughput: each backend next to the raw ceiling of the same engine, in the same run.

For every backend: appends per second (one event per append, the session growing as it would in a
conversation) and the time to load a 1,000-event session, each beside what the bare driver does on
the same server with no sessionforge in between:

- SQLite: a plain INSERT in its own transaction (same WAL and ``synchronous`` settings);
- Redis: RPUSH awaited one by one, and RPUSH pipelined (the server's ceiling, no round trips);
- PostgreSQL: a plain INSERT per transaction (autocommit) into a table with a primary key.

Raw loads return the stored strings without decoding, so the load ratio includes JSON decoding.
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
from collections.abc import Awaitable, Callable
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

APPENDS = 500
ROUNDS = 3
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
    best = 0.0
    for r in range(rounds):
        began = time.perf_counter()
        for i in range(r * n, (r + 1) * n):
            await step(i)
        best = max(best, n / (time.perf_counter() - began))
    return best


async def best_ms(call: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(LOAD_REPEATS):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def store_figures(store: BaseStore) -> tuple[float, float]:
    appends = await rate(lambda i: store.append("bench-append", [event(i)]))
    for i in range(0, LOAD_SIZE, 100):
        await store.append("bench-load", [event(j) for j in range(i, i + 100)])
    assert len(await store.load("bench-load")) == LOAD_SIZE
    load = await best_ms(lambda: store.load("bench-load"))
    await store.aclose()
    return appends, load


async def sqlite_raw(path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (sid TEXT, seq INTEGER, body TEXT, PRIMARY KEY (sid, seq)) WITHOUT ROWID")

    async def insert(i: int) -> None:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw VALUES (?, ?, ?)", ("a", i, json.dumps(event(i))))
        conn.execute("COMMIT")

    appends = await rate(insert)

    async def load() -> list[Any]:
        return conn.execute(
            "SELECT seq, body FROM raw WHERE sid=? ORDER BY seq LIMIT ?", ("a", LOAD_SIZE)
        ).fetchall()

    load_ms = await best_ms(load)
    conn.close()
    return appends, load_ms


async def redis_raw(url: str) -> tuple[float, float, float]:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(url)
    one_by_one = await rate(lambda i: client.rpush("raw:a", json.dumps(event(i))))
    began = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i in range(APPENDS * ROUNDS):
        pipe.rpush("raw:b", json.dumps(event(i)))
    await pipe.execute()
    pipelined = APPENDS * ROUNDS / (time.perf_counter() - began)
    load_ms = await best_ms(lambda: client.lrange("raw:a", 0, LOAD_SIZE - 1))
    await client.aclose()
    return one_by_one, pipelined, load_ms


async def postgres_raw(url: str) -> tuple[float, float]:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("CREATE TABLE raw (sid text, seq bigint, body text, PRIMARY KEY (sid, seq))")
    appends = await rate(
        lambda i: conn.execute("INSERT INTO raw VALUES (%s, %s, %s)", ("a", i, json.dumps(event(i))))
    )

    async def load() -> list[Any]:
        cur = await conn.execute(
            "SELECT seq, body FROM raw WHERE sid = %s ORDER BY seq LIMIT %s", ("a", LOAD_SIZE)
        )
        return await cur.fetchall()

    load_ms = await best_ms(load)
    await conn.close()
    return appends, load_ms


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
        rows.append(row("memory", await store_figures(MemoryStore()), None, "no engine underneath"))
        sqlite_store = await store_figures(SQLiteStore(tmp / "store.db"))
        rows.append(row("sqlite", sqlite_store, await sqlite_raw(tmp / "raw.db"), "INSERT + COMMIT each"))
        redis_store = await store_figures(RedisStore.from_url(redis_server.url))
        one_by_one, pipelined, redis_load = await redis_raw(redis_server.url)
        rows.append(row("redis", redis_store, (one_by_one, redis_load), "RPUSH awaited each"))
        rows.append(row("redis", redis_store, (pipelined, redis_load), "RPUSH pipelined (ceiling)"))
        pg_store = await store_figures(PostgresStore.from_url(pg_server.create_database()))
        rows.append(
            row(
                "postgres",
                pg_store,
                await postgres_raw(pg_server.create_database()),
                "INSERT per transaction",
            )
        )
        print(
            f"sessionforge storage bench: appends of one event to a growing session (best of {ROUNDS} "
            f"rounds of {APPENDS}); load of a {LOAD_SIZE}-event session (median of {LOAD_REPEATS}). "
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
