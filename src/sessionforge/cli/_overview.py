"""The rows of ``sessions list``: the most recently active sessions, chosen by their store heads.

Kept apart from :mod:`._digest` so that a listing with nothing to show (an empty namespace, a prefix
that matches no id) never imports what reading a session takes.
"""

from __future__ import annotations

from typing import Any

from ..errors import SessionNotFound, StorageError, UsageError
from ..storage.base import Store, session_heads

__all__ = ["overview"]


async def overview(store: Store, prefix: str = "", count: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The summary rows of the ``count`` (0: all) most recently active sessions of the store, and
    how many sessions it holds.

    The sessions are chosen by their store heads (one query, no session read); only the chosen
    ones are read. Rows are ordered most recently updated first; a session that cannot be read (a
    fork whose parent was deleted, a corrupt record) gets a row with ``kind="unreadable"`` and the
    reason in ``error``, after the readable ones.
    """
    heads = await session_heads(store, prefix)
    chosen = sorted(heads, key=lambda h: (h.updated_at, h.session_id), reverse=True)
    chosen = chosen[:count] if count else chosen
    if not chosen:
        return [], len(heads)
    from ._digest import broken_row, digest, row_of

    rows = []
    for head in chosen:
        try:
            rows.append(row_of(await digest(head.session_id, store)))
        except SessionNotFound:
            continue  # deleted or expired between listing and reading
        except (StorageError, UsageError) as exc:
            rows.append(broken_row(head.session_id, exc))
    rows.sort(key=lambda r: (r["error"] is None, r["updated_at"] or ""), reverse=True)
    return rows, len(heads)
