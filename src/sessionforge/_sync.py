"""The one place that drives an event loop for sync callers.

The async core is written once; sync faces call :func:`run_sync`. It refuses to run inside a running
event loop (which would deadlock or nest loops) and names the async call to use instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from .errors import SyncInAsyncError

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T], *, async_name: str) -> T:
    """Run ``coro`` to completion from sync code.

    Raises :class:`SyncInAsyncError` inside a running loop, telling the caller to ``await``
    ``async_name`` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise SyncInAsyncError(
        f"this is a blocking call and an event loop is already running: use `await {async_name}` instead"
    )
