"""Which namespaces a store holds, for ``sessions list --all-namespaces`` and the hint shown when a
namespace is empty.

A store exposes one namespace at a time (the :class:`~sessionforge.storage.base.Store` contract has
no call that lists them), so this asks a backend that offers ``list_namespaces()`` and otherwise
reads an SQLite file's session table read-only. Other backends report only the namespace asked for.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorageError

if TYPE_CHECKING:
    from ..storage.base import Store
    from ._common import StoreSpec

__all__ = ["list_namespaces"]


def _sqlite_namespaces(path: str) -> list[str]:
    if path == ":memory:":  # private to the store just opened: nothing in it, and no file to read
        return []
    try:
        conn = sqlite3.connect(Path(path).expanduser().resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path} to list its namespaces: {exc}") from exc
    try:
        rows = conn.execute("SELECT DISTINCT namespace FROM sessions ORDER BY namespace").fetchall()
    except sqlite3.Error:
        return []  # an empty or foreign file: no namespaces to show
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


async def list_namespaces(spec: StoreSpec, store: Store) -> list[str]:
    """The namespaces with sessions in the store ``spec`` names (always including its own)."""
    lister: Any = getattr(store, "list_namespaces", None)
    if lister is not None:
        found = list(await lister())
    else:
        path = getattr(store, "path", None)
        found = await asyncio.to_thread(_sqlite_namespaces, path) if isinstance(path, str) else []
    if spec.namespace not in found:
        found.append(spec.namespace)
    return sorted(found)
