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

A reader refuses a ``version`` it does not know (a newer one with a message saying to upgrade, rather
than guessing). An import checks every line before it writes anything: each record must be an event
as :meth:`SessionEvent.to_record` writes it, with an id of its own, and must read back equal once
stored. All records go in one append (all or nothing on every backend), and a session that then does
not load is deleted again, so a failed import leaves nothing behind.

:func:`export_sessions` exports many sessions and skips, with a warning, one that cannot be read,
rather than failing the whole export.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from ..core.events import TOKENS_KEY, EventType, SessionEvent
from ..errors import (
    MessageFormatError,
    SessionAlreadyExists,
    SessionforgeError,
    SessionNotFound,
    StorageError,
    StoreUnavailableError,
)
from ..storage.base import Store, StoredRecord, check_session_id
from ..storage.config import resolve_store
from ..storage.lineage import fork_origin, inherited_records
from ..storage.session import Session

__all__ = [
    "FORMAT",
    "VERSION",
    "ExportHeader",
    "MigrationReport",
    "export_records",
    "export_session",
    "export_sessions",
    "import_session",
    "migrate",
]

FORMAT = "sessionforge.session"
VERSION = 1
KNOWN_VERSIONS = frozenset({1})
"""Export versions this sessionforge reads (and writes: :data:`VERSION`)."""
_EVENT_KEYS = frozenset({*SessionEvent.model_fields, "chat", TOKENS_KEY}) - {"seq"}

logger = logging.getLogger("sessionforge.interop.portable")


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


async def export_sessions(
    session_ids: Iterable[str],
    store: Store | None = None,
    *,
    inline_forks: bool = False,
    on_skip: Callable[[str, SessionforgeError], None] | None = None,
) -> AsyncIterator[tuple[str, str]]:
    """``(session_id, export text)`` for each session that can be read, in order.

    A session that cannot be read (a corrupt record, gone meanwhile) is skipped: ``on_skip(session_id,
    error)`` is called, or a warning is logged, and the export goes on with the next one. An outage
    of the store is not skipped: it ends the export with :class:`StoreUnavailableError`.
    """
    for session_id in session_ids:
        try:
            text = await export_session(session_id, store, inline_forks=inline_forks)
        except StoreUnavailableError:
            raise
        except (StorageError, SessionNotFound) as exc:
            if on_skip is not None:
                on_skip(session_id, exc)
            else:
                logger.warning("export skipped session %r: %s", session_id, exc)
            continue
        yield session_id, text


def _lines(data: str | bytes | Iterable[str]) -> list[tuple[int, str]]:
    """(line number, text) of the non-blank lines of an export."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageFormatError(f"an export is UTF-8 text; byte {exc.start} is not", field=None) from exc
    lines = data.splitlines() if isinstance(data, str) else list(data)
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if isinstance(line, str) and line.strip()]
    if len(numbered) != len([line for line in lines if not isinstance(line, str) or line.strip()]):
        raise MessageFormatError("an export is made of lines of text", field=None)
    if not numbered:
        raise MessageFormatError("an export needs at least its header line", field=None)
    return numbered


def _header(line: str) -> ExportHeader:
    try:
        raw = from_json(line)  # bounded nesting: a hostile file is an error, not a RecursionError
    except ValueError as exc:
        raise MessageFormatError(f"line 1 of the export is not JSON: {exc}", field="format") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise MessageFormatError(
            f"not a {FORMAT} export: the first line has no matching 'format'", field="format"
        )
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in KNOWN_VERSIONS:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        raise MessageFormatError(
            f"export version {version!r} is newer than this sessionforge reads ({VERSION}); upgrade "
            f"sessionforge to import it"
            if newer
            else f"export version {version!r} is not one sessionforge writes (it reads version "
            f"{', '.join(map(str, sorted(KNOWN_VERSIONS)))}): the file was not written by sessionforge",
            field="version",
        )
    try:
        return ExportHeader.model_validate(raw)
    except ValidationError as exc:
        raise MessageFormatError(
            f"malformed {FORMAT} header: {exc.errors()[0]['msg']}", field="header"
        ) from exc


def _record(number: int, line: str) -> _Line:
    """One body line, checked to be an event record as a store holds it."""
    try:
        body = _Line.model_validate_json(line)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        raise MessageFormatError(
            f"line {number} of the export is not a record line ({where}: {first['msg']})", field=where
        ) from exc
    record = body.record
    unknown = sorted(set(record) - _EVENT_KEYS)
    if unknown or not isinstance(record.get("id"), str) or "type" not in record:
        why = f"unknown keys {unknown}" if unknown else "it has no string 'id' and 'type'"
        raise MessageFormatError(
            f"line {number}: record {body.seq} is not a session event ({why})", field="record"
        )
    try:
        SessionEvent.from_record(record, seq=body.seq)
    except (ValidationError, SessionforgeError, TypeError, ValueError) as exc:
        raise MessageFormatError(
            f"line {number}: record {body.seq} is not a session event: {exc}", field="record"
        ) from exc
    # Stored token counts are a cache the writer vouches for; a file may have been edited since, so
    # an imported event is counted afresh when it is read.
    record.pop(TOKENS_KEY, None)
    return body


def _parse(data: str | bytes | Iterable[str]) -> tuple[ExportHeader, list[dict[str, Any]]]:
    lines = _lines(data)
    header = _header(lines[0][1])
    body = [_record(number, line) for number, line in lines[1:]]
    if [line.seq for line in body] != list(range(1, len(body) + 1)) or len(body) != header.records:
        raise MessageFormatError(
            f"the export of {header.session_id!r} announces {header.records} records numbered from 1 "
            f"but holds {len(body)} (truncated or edited?)",
            field="seq",
        )
    seen: dict[str, int] = {}
    for line in body:
        record_id = str(line.record["id"])
        if record_id in seen:
            raise MessageFormatError(
                f"records {seen[record_id]} and {line.seq} of the export share the id {record_id!r}",
                field="id",
            )
        seen[record_id] = line.seq
    return header, [line.record for line in body]


async def import_session(
    data: str | bytes | Iterable[str], store: Store | None = None, new_session_id: str | None = None
) -> str:
    """Write an export into ``store`` (under ``new_session_id`` or its own id); returns the id.

    Every line is checked before anything is written, the records go in one append, and a session
    that then does not load is removed (see the module doc). Raises :class:`SessionAlreadyExists`
    rather than merging into a session that is already there, :class:`MessageFormatError` naming the
    line for a file that is not a valid export.
    """
    header, records = _parse(data)
    backend = resolve_store(store)
    session_id = check_session_id(header.session_id if new_session_id is None else new_session_id)
    if await backend.load(session_id, limit=1):
        raise SessionAlreadyExists(f"a session with id {session_id!r} already exists")
    try:
        last = await backend.append(session_id, records)
        if last != len(records):
            raise StorageError(
                f"imported {last} of {len(records)} records into {session_id!r} (another writer?)",
                session_id=session_id,
            )
        if header.fork_of is None:  # a fork by reference reads once its parent is imported too
            await _loads(session_id, backend)
    except BaseException:
        with contextlib.suppress(Exception):
            await backend.delete(session_id)
        raise
    return session_id


async def _loads(session_id: str, store: Store) -> None:
    """Load the session just imported; a log that does not fold into a session is a format error."""
    try:
        await Session.load(session_id, store)
    except StoreUnavailableError:
        raise
    except StorageError as exc:
        raise MessageFormatError(
            f"the imported records do not make a session: {exc}", field="record"
        ) from exc


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
