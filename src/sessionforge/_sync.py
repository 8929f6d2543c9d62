"""The one place that drives an event loop for sync callers.

The async core is written once; sync faces call :func:`run_sync`. Outside an event loop it runs the
coroutine in the calling thread's own loop, made on the thread's first blocking call and kept for
the next ones: ``asyncio.run`` would make and tear down a loop per call (a selector, a wake-up socket
pair, the SIGINT handler, the executor's shutdown), which cost more than a SQLite save itself.
Inside a running loop (a notebook cell, an async web handler calling sync code) it cannot block
that loop's own thread on a nested loop, so it runs the coroutine in a fresh loop on a worker thread
and waits for it: the sync face works wherever a user calls it. The calling loop is blocked for that
time, as any blocking call blocks it; ``await`` the async twin to avoid that.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


class _KeptLoop:
    """A thread's loop for blocking calls, closed when the thread ends (its thread-local slot is
    dropped). Only in the process that made it: a child process after ``fork`` shares the loop's
    selector with its parent, and closing it there would unregister the parent's wake-up socket,
    so the child makes its own and leaves this one alone."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()

    def ours(self) -> bool:
        """Whether this process made the loop (not a child after ``fork``)."""
        return self.pid == os.getpid()

    def close(self) -> None:
        if self.ours() and not self.loop.is_running():
            self.loop.close()

    __del__ = close


class _Kept(threading.local):
    held: _KeptLoop | None = None


_kept = _Kept()


def _thread_loop() -> asyncio.AbstractEventLoop:
    held = _kept.held
    if held is None or not held.ours() or held.loop.is_closed():
        held = _kept.held = _KeptLoop()
    return held.loop


@atexit.register
def _close_main_loop() -> None:
    """The main thread's loop is closed at exit, while the interpreter is whole (its slot would
    otherwise be dropped during shutdown)."""
    held = _kept.held
    if held is not None:
        held.close()


def run_sync(coro: Coroutine[Any, Any, T], *, async_name: str = "") -> T:
    """Run ``coro`` to completion from sync code and return its result.

    ``async_name`` names the awaitable twin, for the docs and for callers that want to avoid
    blocking a running loop; it does not change what happens.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_in_thread_loop(coro)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sessionforge-sync") as pool:
        return pool.submit(context.run, asyncio.run, coro).result()


def _run_in_thread_loop(coro: Coroutine[Any, Any, T]) -> T:
    loop = _thread_loop()
    # A task of its own, in a copy of the caller's context, as asyncio.run gives it.
    task = loop.create_task(coro)
    try:
        return loop.run_until_complete(task)
    except BaseException:
        if not task.done():
            # Interrupted (Ctrl-C): the call is abandoned and unwinds now (its finally blocks, a
            # transaction's rollback), not when the thread's next blocking call runs the loop again.
            task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(task)
        raise
