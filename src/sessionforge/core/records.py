"""The stored shape of a session: records, metadata patches, and the origin of a fork.

A session is stored as an append-only log of JSON records. Its first record is a ``SESSION_META``
``create`` record (creation time, parent, properties, and for a fork its origin); later changes to the
metadata are ``SESSION_META`` ``patch`` records carrying only what changed; every other record is an
event's :meth:`~sessionforge.core.events.SessionEvent.to_record`. This module holds the pure parts of
that format (diffing a metadata view into a patch, folding patches back, reading a fork's origin), so
that the in-memory model and every store agree on them without either doing I/O for the other.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .events import EventSource, EventType, SessionEvent

__all__ = [
    "ForkOrigin",
    "StoredRecord",
    "diff_meta",
    "fold_meta",
    "fork_origin",
    "meta_record",
]


class StoredRecord(NamedTuple):
    """A record as read back: its sequence number and the decoded JSON object."""

    seq: int
    record: dict[str, Any]


class ForkOrigin(NamedTuple):
    """The session a fork branched from and the last record of it the fork shares."""

    session_id: str
    seq: int


def fork_origin(record: dict[str, Any]) -> ForkOrigin | None:
    """The origin named by a session's first record, or ``None`` if the session is not a fork."""
    if record.get("type") != EventType.SESSION_META.value:
        return None
    body = record.get("message")
    if not isinstance(body, dict) or body.get("op") != "create":
        return None
    fork = body.get("fork")
    if not isinstance(fork, dict):
        return None
    return ForkOrigin(str(fork["session_id"]), int(fork["seq"]))


def meta_record(body: dict[str, Any]) -> dict[str, Any]:
    """A ``SESSION_META`` record with ``body`` (a create or a patch), ready to append."""
    return SessionEvent(source=EventSource.SYSTEM, type=EventType.SESSION_META, message=body).to_record()


def diff_meta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The patch that turns meta view ``old`` into ``new``: changed scalars, per-key map changes."""
    patch: dict[str, Any] = {}
    for key in ("parent_id", "created_at"):
        if old.get(key) != new[key]:
            patch[key] = new[key]
    for key in ("properties", "state", "runs"):
        before, after = old.get(key, {}), new[key]
        changed = {k: v for k, v in after.items() if before.get(k, object()) != v}
        removed = [k for k in before if k not in after]
        if changed:
            patch[key] = changed
        if removed:
            patch[f"{key}_removed"] = removed
    added = [c for c in new["child_ids"] if c not in old.get("child_ids", [])]
    if added:
        patch["child_ids_added"] = added
    if patch:  # an event alone moves updated_at without a patch: loading takes the newest event's time
        patch["updated_at"] = new["updated_at"]
    return patch


def fold_meta(view: dict[str, Any], body: dict[str, Any]) -> None:
    """Apply one ``SESSION_META`` record body (create or patch) to a meta view, in place."""
    for key in ("parent_id", "created_at", "updated_at"):
        if key in body:
            view[key] = body[key]
    for key in ("properties", "state", "runs"):
        target = view.setdefault(key, {})
        target.update(body.get(key) or {})
        for removed in body.get(f"{key}_removed") or []:
            target.pop(removed, None)
    children = view.setdefault("child_ids", [])
    for child in list(body.get("child_ids") or []) + list(body.get("child_ids_added") or []):
        if child not in children:
            children.append(child)
