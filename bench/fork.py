"""Fork time at 10 and at 10,000 messages, on the memory and SQLite stores.

A fork appends one record to the parent and one create record for the child, and reads nothing of
the shared history, so its cost must not grow with the parent's length (target ratio <= 1.5). Each
figure is the median over repeated forks of the same parent.

    .venv/bin/python bench/fork.py [--large 10000] [--repeats 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sessionforge.core.events import EventSource, SessionEvent
from sessionforge.storage.base import Store
from sessionforge.storage.forks import fork
from sessionforge.storage.memory import MemoryStore
from sessionforge.storage.session import Session
from sessionforge.storage.sqlite import SQLiteStore


async def parent_of(store: Store, messages: int) -> str:
    session = await Session.create(store=store)
    for i in range(messages):
        source = EventSource.USER if i % 2 == 0 else EventSource.LLM
        await session.add_event(SessionEvent(source=source, message=f"message {i}"))
    await session.save()
    return session.id


async def fork_times(store: Store, messages: int, repeats: int) -> float:
    parent = await parent_of(store, messages)
    await fork(parent, store=store)  # warm-up
    times: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        await fork(parent, store=store)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, Store] = {
            "memory": MemoryStore(),
            "sqlite": SQLiteStore(str(Path(tmp) / "bench.db")),
        }
        for name, store in stores.items():
            small = await fork_times(store, args.small, args.repeats)
            large = await fork_times(store, args.large, args.repeats)
            print(
                f"{name:7s} fork at {args.small:>6} messages: {small * 1e3:7.3f} ms   "
                f"at {args.large:>6}: {large * 1e3:7.3f} ms   ratio {large / small:.2f} (target <= 1.5)"
            )
            await store.aclose()


if __name__ == "__main__":
    asyncio.run(main())
