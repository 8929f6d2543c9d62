"""A writer process for the multi-process and crash tests (run as a script, not collected).

``writer.py URL NAMESPACE SESSION PREFIX COUNT`` appends COUNT records, one per append, with ids
``PREFIX-0``, ``PREFIX-1``, ...; after each append returns it prints ``<seq> <id>`` and flushes, so
the parent knows exactly which appends were acknowledged before it kills the process. With a sixth
argument ``pause`` it then sleeps instead of exiting, to be killed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))

from sessionforge.storage.config import open_store


async def main(url: str, namespace: str, session_id: str, prefix: str, count: int) -> None:
    store = open_store(url, namespace=namespace)
    try:
        for i in range(count):
            record_id = f"{prefix}-{i}"
            seq = await store.append(session_id, [{"id": record_id, "n": i, "pad": "x" * 200}])
            sys.stdout.write(f"{seq} {record_id}\n")
            sys.stdout.flush()
    finally:
        await store.aclose()


if __name__ == "__main__":
    url, namespace, session_id, prefix, count = sys.argv[1:6]
    asyncio.run(main(url, namespace, session_id, prefix, int(count)))
    if sys.argv[6:] == ["pause"]:
        time.sleep(60)
