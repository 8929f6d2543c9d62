"""The sync faces' driver: a loop per thread, kept between calls, and what it must still do as
``asyncio.run`` did (unwind an interrupted call, work inside a running loop, in a forked child)."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time

import pytest

from sessionforge._sync import run_sync


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_calls_of_one_thread_share_its_loop_and_other_threads_get_their_own() -> None:
    first = run_sync(_running_loop())
    assert run_sync(_running_loop()) is first
    assert not first.is_running() and not first.is_closed()

    seen: list[asyncio.AbstractEventLoop] = []
    worker = threading.Thread(
        target=lambda: seen.extend([run_sync(_running_loop()), run_sync(_running_loop())])
    )
    worker.start()
    worker.join()
    assert seen[0] is seen[1] and seen[0] is not first
    del worker
    gc.collect()
    assert seen[0].is_closed()  # closed with its thread


def test_each_call_runs_in_a_copy_of_the_callers_context() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")

    async def change() -> str:
        seen = var.get()
        var.set("inside")
        return seen

    var.set("caller")
    assert run_sync(change()) == "caller"
    assert var.get() == "caller"  # the call's change stays in its copy


def test_an_interrupted_call_unwinds_at_once_and_the_next_call_runs() -> None:
    unwound: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    async def long_call() -> None:
        asyncio.get_running_loop().call_soon(interrupt)  # as Ctrl-C arriving mid-call
        try:
            await asyncio.sleep(30)
        finally:
            unwound.append("finally")

    with pytest.raises(KeyboardInterrupt):
        run_sync(long_call())
    assert unwound == ["finally"]
    loop = run_sync(_running_loop())
    assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []


async def test_inside_a_running_loop_the_call_runs_on_a_worker_thread() -> None:
    async def where() -> tuple[asyncio.AbstractEventLoop, str]:
        return asyncio.get_running_loop(), threading.current_thread().name

    loop, thread = run_sync(where())
    assert loop is not asyncio.get_running_loop()
    assert thread.startswith("sessionforge-sync")


def _slow_seven() -> int:
    time.sleep(0.2)  # the loop is waiting in its selector by then
    return 7


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_makes_its_own_loop_and_leaves_the_parents_alone() -> None:
    parent = run_sync(_running_loop())
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 if its blocking calls work on a loop of its own
        try:
            os._exit(0 if run_sync(_running_loop()) is not parent and run_sync(asyncio.sleep(0, "ok")) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert run_sync(_running_loop()) is parent
    # A wake-up from another thread still reaches the parent's loop (its selector was left alone):
    # with nothing else due, the loop would otherwise sleep until the timeout.
    began = time.monotonic()
    assert run_sync(asyncio.wait_for(asyncio.to_thread(_slow_seven), 10)) == 7
    assert time.monotonic() - began < 5
