"""Turns per second through SessionManager on SQLite, and whether a turn slows as a session grows.

A turn is ``user_says`` + ``ai_responds`` (two appends, each one durable SQLite transaction). The
ratio compares the last 100 turns' time with the first 100's: append-only storage and running
totals should keep it near 1.0 (target: at most 1.2) however long the conversation gets.

    PYTHONPATH=src .venv/bin/python bench/manager_throughput.py [turns ...]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sessionforge import SessionManager
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.usage import estimate_cost
from sessionforge.storage.sqlite import SQLiteStore

WINDOW = 100


async def run(turns: int, directory: Path) -> tuple[float, float, float, float]:
    """(turns per second, first-window seconds, last-window seconds, ratio) for one session."""
    store = SQLiteStore(directory / f"bench-{turns}.db")
    sm = SessionManager(system_prompt="You are a benchmark.", store=store)
    await sm.get_stats()  # create the session outside the timed loop
    durations: list[float] = []
    started = time.perf_counter()
    for i in range(turns):
        t0 = time.perf_counter()
        await sm.user_says(f"Question {i}: how do lists, tuples and sets differ in Python?")
        await sm.ai_responds(
            f"Answer {i}: lists are mutable and ordered, tuples are immutable, sets are unordered "
            "collections of unique items.",
            model="gpt-4o",
            provider="openai",
        )
        durations.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    stats = await sm.get_stats()
    assert stats["user_messages"] == turns, stats
    await store.aclose()
    first, last = sum(durations[:WINDOW]), sum(durations[-WINDOW:])
    return turns / elapsed, first, last, last / first


async def main(sizes: list[int]) -> None:
    estimate_cost("gpt-4o", 1, 1, "openai")  # load the price registry and encoders before timing
    for model in ("gpt-3.5-turbo", "gpt-4o"):
        counter_for_model(model).count_text("warm up")
    print(f"{'turns':>8} {'turns/s':>9} {'first 100 (s)':>14} {'last 100 (s)':>13} {'last/first':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for turns in sizes:
            rate, first, last, ratio = await run(turns, Path(tmp))
            print(f"{turns:>8} {rate:>9.0f} {first:>14.3f} {last:>13.3f} {ratio:>11.2f}")


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1_000, 10_000]))
