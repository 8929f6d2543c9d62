"""Portable sessions: one versioned JSON Lines format, and copying every session between stores.

The format (``sessionforge.session`` version 1) is the session's log as stored, so nothing is lost or
reinterpreted on the way::

    {"format": "sessionforge.session", "version": 1, "session_id": "...", "records": 3,
     "fork_of": null, "exported_at": "2026-01-01T00:00:00+00:00"}
    {"seq": 1, "record": {"type": "session_meta", "message": {"op": "create", ...}, ...}}
    {"seq": 2, "record": {"type": "message", "chat": {"role": "user", ...}, ...}}
    {"seq": 3, "record": {"type": "compaction", "message": {"action": "compact", ...}, ...}}

The first line is the header; then one line per record in ``seq`` order (``record`` is exactly what
the store holds: ``SessionEvent.to_record()`` or a ``SESSION_META`` record). A fork is exported **by
reference** by default: its create record and ``fork_of`` name the parent and position, and the
parent must be imported under its own id for the fork to read. ``inline_forks=True`` exports it
self-contained instead: the shared records are written into the file and the reference is dropped,
so it imports as a standalone session with the same events.

A reader refuses a newer ``version`` with a message saying to upgrade, rather than guessing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..core.events import EventType
from ..errors import MessageFormatError, SessionAlreadyExists, SessionNotFound, StorageError
from ..storage.base import Store, StoredRecord, check_session_id
from ..storage.config import resolve_store
from ..storage.lineage import fork_origin, inherited_records

__all__ = [
    "FORMAT",
    "VERSION",
    "ExportHeader",
    "MigrationReport",
    "export_records",
    "export_session",
    "import_session",
    "migrate",
]

FORMAT = "sessionforge.session"
VERSION = 1


class ExportHeader(BaseModel):
    """The first line of an export."""

    format: Literal["sessionforge.session"] = "sessionforge.session"
    version: int = VERSION
    session_id: str
    records: int
    fork_of: dict[str, Any] | None = None
    exported_at: str = ""


class _Line(BaseModel):
    seq: int
    record: dict[str, Any]


async def export_records(
    session_id: str, store: Store | None = None, *, inline_forks: bool = False
) -> tuple[ExportHeader, list[StoredRecord]]:
    """The header and records an export of ``session_id`` consists of (see the module docstring)."""
    backend = resolve_store(store)
    records = await backend.load(session_id)
    if not records:
        raise SessionNotFound(session_id)
    origin = fork_origin(records[0].record)
    if origin is not None and inline_forks:
        records = _inline(
            records,
            [
                r
                for part in await inherited_records(backend, session_id, records[0].record)
                for r in part.records
            ],
        )
        origin = None
    header = ExportHeader(
        session_id=session_id,
        records=len(records),
        fork_of=None if origin is None else origin._asdict(),
        exported_at=datetime.now(UTC).isoformat(),
    )
    return header, records


def _inline(own: list[StoredRecord], shared: list[StoredRecord]) -> list[StoredRecord]:
    """A fork's log made standalone: its create record (reference dropped, the shared properties and
    state folded in), the shared dialogue records, then its own records; renumbered from 1."""
    create = dict(own[0].record)
    body = dict(create["message"])
    body.pop("fork", None)
    properties: dict[str, Any] = {}
    state: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for stored in shared:
        meta = stored.record.get("message")
        if stored.record.get("type") == EventType.SESSION_META.value and isinstance(meta, dict):
            properties.update(meta.get("properties") or {})
            state.update(meta.get("state") or {})
        else:
            events.append(stored.record)
    body["properties"] = {**properties, **(body.get("properties") or {})}
    body["state"] = {**state, **(body.get("state") or {})}
    create["message"] = body
    ordered = [create, *events, *(r.record for r in own[1:])]
    return [StoredRecord(seq, record) for seq, record in enumerate(ordered, start=1)]


async def export_session(session_id: str, store: Store | None = None, *, inline_forks: bool = False) -> str:
    """The session as ``sessionforge.session`` JSON Lines (one string; write it to a ``.jsonl`` file)."""
    header, records = await export_records(session_id, store, inline_forks=inline_forks)
    lines = [header.model_dump_json()]
    lines.extend(json.dumps({"seq": r.seq, "record": r.record}, ensure_ascii=False) for r in records)
    return "\n".join(lines) + "\n"


def _parse(data: str | bytes | Iterable[str]) -> tuple[ExportHeader, list[dict[str, Any]]]:
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    lines = data.splitlines() if isinstance(data, str) else list(data)
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise MessageFormatError("an export needs at least its header line", field=None)
    try:
        raw = json.loads(lines[0])
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise MessageFormatError(
                f"not a {FORMAT} export: the first line has no matching 'format'", field="format"
            )
        if not isinstance(raw.get("version"), int) or raw["version"] > VERSION:
            raise MessageFormatError(
                f"export version {raw.get('version')!r} is newer than this sessionforge reads ({VERSION}); "
                "upgrade sessionforge to import it",
                field="version",
            )
        header = ExportHeader.model_validate(raw)
        body = [_Line.model_validate_json(line) for line in lines[1:]]
    except (ValidationError, json.JSONDecodeError) as exc:
        raise MessageFormatError(f"malformed {FORMAT} export: {exc}", field=None) from exc
    if [line.seq for line in body] != list(range(1, len(body) + 1)) or len(body) != header.records:
        raise MessageFormatError(
            f"the export of {header.session_id!r} announces {header.records} records numbered from 1 "
            f"but holds {len(body)} (truncated or edited?)",
            field="seq",
        )
    return header, [line.record for line in body]


async def import_session(
    data: str | bytes | Iterable[str], store: Store | None = None, new_session_id: str | None = None
) -> str:
    """Write an export into ``store`` (under ``new_session_id`` or its own id); returns the id.

    Raises :class:`SessionAlreadyExists` rather than merging into a session that is already there.
    """
    header, records = _parse(data)
    backend = resolve_store(store)
    session_id = check_session_id(new_session_id or header.session_id)
    if await backend.load(session_id, limit=1):
        raise SessionAlreadyExists(f"a session with id {session_id!r} already exists")
    last = await backend.append(session_id, records)
    if last != len(records):
        raise StorageError(
            f"imported {last} of {len(records)} records into {session_id!r} (duplicate record ids?)",
            session_id=session_id,
        )
    return session_id


@dataclass(frozen=True)
class MigrationReport:
    """What :func:`migrate` copied: sessions and records, and the sessions that were already there."""

    sessions: int
    records: int
    skipped: list[str]


ProgressCallback = Callable[[int, int, str], None]
"""``progress(done, total, session_id)``, called after each session is copied and verified."""


async def migrate(
    from_url: str | Store,
    to_url: str | Store,
    progress: ProgressCallback | None = None,
    *,
    namespace: str = "default",
    prefix: str = "",
) -> MigrationReport:
    """Copy every session of ``namespace`` from one store to another, verifying record counts.

    Each session's log is appended as is (same ids, same order), so forks keep pointing at their
    parents and running it again is harmless: records already copied are skipped by id. A target
    that ends up with a different number of records than the source raises :class:`StorageError`.
    Stores given by URL are opened in ``namespace`` and closed afterwards; stores passed in are not.
    """
    from ..storage.config import open_store

    source = open_store(from_url, namespace=namespace) if isinstance(from_url, str) else from_url
    target = open_store(to_url, namespace=namespace) if isinstance(to_url, str) else to_url
    try:
        ids = await source.list_sessions(prefix)
        copied = 0
        skipped: list[str] = []
        for done, session_id in enumerate(ids, start=1):
            records = await source.load(session_id)
            existing = await target.load(session_id)
            if [r.record for r in existing] == [r.record for r in records]:
                skipped.append(session_id)
            else:
                last = await target.append(session_id, [r.record for r in records])
                if last != len(records):
                    raise StorageError(
                        f"session {session_id!r}: the target holds {last} records after copying "
                        f"{len(records)} (it had a different session under that id?)",
                        session_id=session_id,
                    )
                copied += len(records)
            if progress is not None:
                progress(done, len(ids), session_id)
        return MigrationReport(sessions=len(ids), records=copied, skipped=skipped)
    finally:
        if isinstance(from_url, str):
            await source.aclose()
        if isinstance(to_url, str):
            await target.aclose()
