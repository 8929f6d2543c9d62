"""Turns per second through SessionManager on SQLite, and whether a turn slows as a session grows.

A turn is ``user_says`` + ``ai_responds`` (two appends, each one durable SQLite transaction). The
ratio compares the last 100 turns' time with the first 100's: append-only storage and running
totals should keep it near 1.0 (target: at most 1.2) however long the conversation gets.

The second table runs the same turns with infinite context (a new segment every 50 turns, summarized
by the extractive summarizer), where each user message first reads what other writers appended: the
cost of segmentation and of that read must not grow with the conversation either.

What remains of a rise at 10,000 turns in one session is Python's cyclic garbage collector walking
the session's events, which a ``Session`` keeps in memory (run with ``gc.disable()`` and the median
turn ratio is 1.0); infinite context keeps one segment in memory and stays flat.

    PYTHONPATH=src .venv/bin/python bench/manager_throughput.py [turns ...]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sessionforge import SessionManager
from sessionforge.core.tokens import counter_for_model
from sessionforge.core.usage import estimate_cost
from sessionforge.storage.sqlite import SQLiteStore

WINDOW = 100
SEGMENT_TURNS = 50
"""With infinite context, a segment holds this many turns (its limit counts messages, user and
assistant, as chuk-ai-session-manager counts them: twice as many)."""
REPEATS = 3
"""Each figure is the median of this many sessions, each in a new database."""
TARGET = 1.2
"""Issue 20: the last 100 turns cost at most this many times the first 100 (flat to 10,000 turns)."""


async def run(
    turns: int, directory: Path, infinite: bool = False
) -> tuple[float, float, float, float, float]:
    """Turns per second, first and last window's seconds, their ratio, and the ratio of the windows'
    median turns (a WAL checkpoint or a garbage collection landing in one window moves the sum of
    100 turns of ~0.6 ms by tens of percent; the median shows whether a typical turn got slower)."""
    store = SQLiteStore(directory / f"bench-{turns}-{infinite}-{uuid.uuid4().hex[:8]}.db")
    sm = SessionManager(
        system_prompt="You are a benchmark.",
        store=store,
        infinite_context=infinite,
        max_turns_per_segment=2 * SEGMENT_TURNS,
        token_threshold=10**9,
    )
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
    expected = (turns - 1) % SEGMENT_TURNS + 1 if infinite else turns
    assert stats["user_messages"] == expected, stats
    await store.aclose()
    first, last = sum(durations[:WINDOW]), sum(durations[-WINDOW:])
    typical = statistics.median(durations[-WINDOW:]) / statistics.median(durations[:WINDOW])
    return turns / elapsed, first, last, last / first, typical


async def main(sizes: list[int]) -> None:
    estimate_cost("gpt-4o", 1, 1, "openai")  # load the price registry and encoders before timing
    for model in ("gpt-3.5-turbo", "gpt-4o"):
        counter_for_model(model).load()
    with tempfile.TemporaryDirectory() as tmp:
        for infinite in (False, True):
            print("infinite context, a segment every 50 turns" if infinite else "one session")
            print(
                f"{'turns':>8} {'turns/s':>9} {'first 100 (s)':>14} {'last 100 (s)':>13} {'last/first':>11} "
                f"{'median turn last/first':>23} {f'target <= {TARGET}':>15}"
            )
            for turns in sizes:
                runs = [await run(turns, Path(tmp), infinite) for _ in range(REPEATS)]
                rate, first, last, ratio, typical = (
                    statistics.median(column) for column in zip(*runs, strict=True)
                )
                met = "met" if ratio <= TARGET else "not met"
                print(
                    f"{turns:>8} {rate:>9.0f} {first:>14.3f} {last:>13.3f} {ratio:>11.2f} {typical:>23.2f} {met:>15}"
                )
            print()


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1_000, 10_000]))
