"""Concurrent writers lose nothing and leave contiguous seqs: tasks, processes, and a killed writer."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from servers.backends import SHARED_BACKENDS, Backend
from sessionforge.storage.base import BaseStore

WRITER = Path(__file__).with_name("writer.py")


def _check_log(loaded: list[tuple[int, dict[str, object]]], expected_ids: set[str]) -> None:
    assert [seq for seq, _ in loaded] == list(range(1, len(loaded) + 1)), "seqs have a gap"
    ids = [str(record["id"]) for _, record in loaded]
    assert len(ids) == len(set(ids)), "a record was stored twice"
    assert set(ids) == expected_ids


async def test_many_tasks_one_session(make_store: Callable[..., BaseStore]) -> None:
    stores = [make_store(), make_store()]  # two clients/connections where the backend has them
    n = 60

    async def one(i: int) -> int:
        return await stores[i % 2].append("hot", [{"id": f"t{i}"}])

    seqs = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), timeout=60)
    assert sorted(seqs) == list(range(1, n + 1))
    _check_log(await stores[0].load("hot"), {f"t{i}" for i in range(n)})


def _writer(backend: Backend, prefix: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), backend.store_url, "conformance", "shared", prefix, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("backend", SHARED_BACKENDS, indirect=True)
async def test_many_processes_one_session(backend: Backend, make_store: Callable[..., BaseStore]) -> None:
    procs, per = 4, 25
    writers = [_writer(backend, f"p{k}", per) for k in range(procs)]
    acknowledged: list[int] = []
    for proc in writers:
        out, err = await asyncio.to_thread(proc.communicate, timeout=60)
        assert proc.returncode == 0, err
        acknowledged += [int(line.split()[0]) for line in out.splitlines()]
    assert sorted(acknowledged) == list(range(1, procs * per + 1))
    _check_log(await make_store().load("shared"), {f"p{k}-{i}" for k in range(procs) for i in range(per)})


@pytest.mark.parametrize("backend", SHARED_BACKENDS, indirect=True)
async def test_writer_killed_mid_stream(backend: Backend, make_store: Callable[..., BaseStore]) -> None:
    proc = _writer(backend, "k", 100_000)
    assert proc.stdout is not None
    acknowledged: dict[int, str] = {}
    deadline = time.monotonic() + 20
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        line = await asyncio.to_thread(proc.stdout.readline)
        if not line:
            break
        seq, record_id = line.split()
        acknowledged[int(seq)] = record_id
    os.kill(proc.pid, signal.SIGKILL)
    rest, err = await asyncio.to_thread(proc.communicate, timeout=20)
    for line in rest.splitlines():  # acknowledged before the kill, still in the pipe
        seq, record_id = line.split()
        acknowledged[int(seq)] = record_id
    assert len(acknowledged) >= 40, f"writer made too little progress: {err}"

    store = make_store()
    loaded = await store.load("shared")
    stored = {seq: str(record["id"]) for seq, record in loaded}
    assert [seq for seq, _ in loaded] == list(range(1, len(loaded) + 1))
    assert all(stored.get(seq) == rid for seq, rid in acknowledged.items()), "an acknowledged append is lost"
    assert len(loaded) <= max(acknowledged) + 1  # at most the append in flight beyond the last ack
    assert await store.append("shared", [{"id": "after-crash"}]) == len(loaded) + 1
