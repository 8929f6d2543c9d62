"""The one place that drives an event loop for sync callers.

The async core is written once; sync faces call :func:`run_sync`. Outside an event loop it runs the
coroutine in a fresh loop. Inside one (a notebook cell, an async web handler calling sync code) it
cannot block that loop's own thread on a nested loop, so it runs the coroutine in a fresh loop on a
worker thread and waits for it: the sync face works wherever a user calls it. The calling loop is
blocked for that time, as any blocking call blocks it; ``await`` the async twin to avoid that.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T], *, async_name: str = "") -> T:
    """Run ``coro`` to completion from sync code and return its result.

    ``async_name`` names the awaitable twin, for the docs and for callers that want to avoid
    blocking a running loop; it does not change what happens.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sessionforge-sync") as pool:
        return pool.submit(context.run, asyncio.run, coro).result()
