"""A LangGraph checkpoint saver (sync and async) over any sessionforge store.

``graph = builder.compile(checkpointer=SessionforgeSaver(open_store(url)))`` keeps every thread's
checkpoints in SQLite, Redis or PostgreSQL. Each ``(thread_id, checkpoint_ns)`` is one sessionforge
session (``langgraph.<thread>.<namespace>``, both escaped one-to-one, see :mod:`._keys`; the originals
are in the session's properties), and every ``put`` and ``put_writes`` appends to it (one record per
checkpoint, one per task's writes), so a step costs the same at step 10 and step 10,000, a thread's
whole history stays in the store, and the command line, the inspector and ``export_session`` read it
like any other session.

The events are ``REFERENCE`` events (bookkeeping that shows no message to a model) whose payload says
what it holds (``{"langgraph": "checkpoint" | "writes", ...}``): the checkpoint id, its parent, the
time, the metadata as JSON (filterable and readable), and the values LangGraph's serializer wrote
(``{"type", "data": base64}``), so nothing is lost that the serializer keeps. A channel's value is
stored once, by the checkpoint that introduced its version. A write that LangGraph may retry has an id
derived from its checkpoint, task and index, so a retried ``put_writes`` is never stored twice, in
this process or another.

When a checkpoint's channels hold LangChain messages (a ``MessagesState``), each message is also
appended once, when it first enters the state, as an ordinary message event (LangChain's own message
kept, its ``usage_metadata`` priced), so every face, the command line and the inspector show the thread
as a conversation with its tokens and cost. LangGraph itself reads only the checkpoints.

A saver keeps the threads it used in memory (``cache_size`` of them) and takes in only what other
writers appended since (O(new records)) before each read. ``delete_thread`` deletes the thread's
sessions; ``copy_thread`` copies its events. ``prune`` and ``delete_for_runs`` are not offered: they
would rewrite a log that is append-only by design.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import builtins
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from pydantic_core import PydanticSerializationError, to_jsonable_python

from ..._optional import require

require("langgraph")

from langchain_core.messages import BaseMessage  # noqa: E402
from langchain_core.runnables import RunnableConfig  # noqa: E402
from langgraph.checkpoint.base import (  # noqa: E402
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol  # noqa: E402

from ...core.events import EventSource, EventType, SessionEvent  # noqa: E402
from ...errors import MessageFormatError, SessionforgeError, UsageError  # noqa: E402
from ...storage.base import Store, check_session_id  # noqa: E402
from ...storage.config import resolve_store, run_blocking  # noqa: E402
from ...storage.session import Session  # noqa: E402
from ._keys import key_part  # noqa: E402
from ._viewed import FACE  # noqa: E402
from .langchain import LANGCHAIN_KEY, from_langchain_messages  # noqa: E402

__all__ = ["PAYLOAD_KEY", "SessionforgeSaver"]

PAYLOAD_KEY = "langgraph"
"""Key of an event's payload naming what a LangGraph event holds: ``checkpoint`` or ``writes``."""
THREAD_KEY = "langgraph_thread_id"
NS_KEY = "langgraph_checkpoint_ns"

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
Saver = TypeVar("Saver", bound="SessionforgeSaver")
Typed = dict[str, str]


@dataclass
class _Thread:
    """One ``(thread_id, checkpoint_ns)``: its session and the index folded from its events."""

    session: Session
    thread_id: Any
    ns: str
    indexed: int = 0
    order: list[str] = field(default_factory=list)  # checkpoint ids, ascending
    checkpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[tuple[str, str], Typed | None] = field(default_factory=dict)  # (channel, version) -> value
    writes: dict[str, dict[tuple[str, int], tuple[str, str, Typed, str]]] = field(default_factory=dict)
    mirrored: set[str] = field(default_factory=set)  # ids of the LangChain messages stored as messages
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def fold(self) -> None:
        """Index the events not indexed yet (in log order)."""
        for event in self.session.events[self.indexed :]:
            body = event.message
            original = event.metadata.get(LANGCHAIN_KEY)
            if isinstance(original, dict) and isinstance(original.get("data"), dict):
                self.mirrored.add(str(original["data"].get("id")))
            if event.type != EventType.REFERENCE or not isinstance(body, dict):
                continue
            kind = body.get(PAYLOAD_KEY)
            if kind == "checkpoint":
                checkpoint_id = str(body["checkpoint_id"])
                if checkpoint_id not in self.checkpoints:
                    bisect.insort(self.order, checkpoint_id)
                self.checkpoints[checkpoint_id] = body
                for blob in body.get("blobs") or []:
                    self.blobs[(blob["channel"], _version_key(blob["version"]))] = blob["value"]
            elif kind == "writes":
                stored = self.writes.setdefault(str(body["checkpoint_id"]), {})
                task_id, task_path = str(body["task_id"]), str(body.get("task_path") or "")
                for write in body.get("writes") or []:
                    key = (task_id, int(write["idx"]))
                    if key[1] >= 0 and key in stored:
                        continue
                    stored[key] = (task_id, str(write["channel"]), write["value"], task_path)
        self.indexed = len(self.session.events)


def _mirrors(thread: _Thread, values: dict[str, Any], new_versions: ChannelVersions) -> list[SessionEvent]:
    """Message events for the LangChain messages that entered the thread's state with this
    checkpoint (each once, by id), so the session reads as the conversation, with its usage."""
    fresh: list[BaseMessage] = []
    seen = set(thread.mirrored)  # the index takes the new ids in once they are stored
    for channel in new_versions:
        value = values.get(channel)
        if not isinstance(value, list):
            continue
        for item in value:
            if isinstance(item, BaseMessage) and item.id and item.id not in seen:
                fresh.append(item)
                seen.add(item.id)
    events: list[SessionEvent] = []
    for message in fresh:
        try:
            events.extend(from_langchain_messages([message]))
        except MessageFormatError:  # a kind no chat model reads (a removal marker): the checkpoint has it
            continue
    return events


def _version_key(version: Any) -> str:
    return json.dumps(version)


def _event(body: dict[str, Any], event_id: str | None = None) -> SessionEvent:
    event = SessionEvent(source=EventSource.SYSTEM, type=EventType.REFERENCE, message=body)
    if event_id is not None:
        event.id = event_id
    return event


def _blocking_twin(
    method: Callable[Concatenate[Saver, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Saver, P], R]:
    """LangGraph's sync method for an async one of the saver: ``aput`` gives ``put``, which runs
    ``self.aput(...)`` (as a subclass defines it) to completion on the saver's blocking loop."""
    name = method.__name__

    def blocking(self: Saver, /, *args: P.args, **kwargs: P.kwargs) -> R:
        call: Callable[P, Coroutine[Any, Any, R]] = getattr(self, name)
        return self._blocking(call(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name.removeprefix("a")
    blocking.__doc__ = f"The blocking twin of :meth:`{name}`."
    return blocking


def _collected(
    method: Callable[Concatenate[Saver, P], AsyncIterator[R]],
) -> Callable[Concatenate[Saver, P], Coroutine[Any, Any, Iterator[R]]]:
    """An async iterator method as a coroutine method (of the same name) returning an iterator over
    all it yields, for :func:`_blocking_twin`."""
    name = method.__name__

    async def collected(self: Saver, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[R]:
        items: AsyncIterator[R] = getattr(self, name)(*args, **kwargs)
        return iter([item async for item in items])

    collected.__name__ = name
    return collected


class SessionforgeSaver(BaseCheckpointSaver[int]):
    """LangGraph checkpoints and pending writes as events of sessionforge sessions.

    Args:
        store: where the threads live; the default store otherwise.
        prefix: the first part of every session id this saver writes (letters, digits, ``_:-``).
        serde: LangGraph's serializer for checkpoints and channel values (its default otherwise).
        cache_size: how many threads to keep folded in memory.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        prefix: str = "langgraph",
        serde: SerializerProtocol | None = None,
        cache_size: int = 256,
    ) -> None:
        super().__init__(serde=serde)
        if "." in prefix:
            raise UsageError(f"a saver's prefix cannot hold '.', got {prefix!r}")
        check_session_id(prefix)
        self.store = resolve_store(store)
        self.prefix = prefix
        self.cache_size = cache_size
        self._threads: OrderedDict[str, _Thread] = OrderedDict()
        self._blocking_lock = threading.Lock()

    # ---- keys ---------------------------------------------------------------------------------------

    def _thread_prefix(self, thread_id: Any) -> str:
        return f"{self.prefix}.{key_part(str(thread_id))}."

    def session_id(self, thread_id: Any, checkpoint_ns: str = "") -> str:
        """The id of the session holding ``(thread_id, checkpoint_ns)``."""
        return self._thread_prefix(thread_id) + key_part(checkpoint_ns)

    # ---- async interface ----------------------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        configurable = config["configurable"]
        thread = await self._read(configurable["thread_id"], configurable.get("checkpoint_ns", ""))
        if thread is None:
            return None
        checkpoint_id = get_checkpoint_id(config) or (thread.order[-1] if thread.order else None)
        body = thread.checkpoints.get(checkpoint_id) if checkpoint_id else None
        return self._tuple(thread, body) if body is not None else None

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        wanted = get_checkpoint_id(config) if config else None
        before_id = get_checkpoint_id(before) if before else None
        for thread in await self._threads_of(config):
            for checkpoint_id in reversed(thread.order):
                if limit is not None and limit <= 0:
                    return
                if (wanted and checkpoint_id != wanted) or (before_id and checkpoint_id >= before_id):
                    continue
                body = thread.checkpoints[checkpoint_id]
                metadata = body.get("metadata") or {}
                if filter and not all(metadata.get(k) == v for k, v in filter.items()):
                    continue
                if limit is not None:
                    limit -= 1
                yield self._tuple(thread, body)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        configurable = config["configurable"]
        thread_id, ns = configurable["thread_id"], configurable.get("checkpoint_ns", "")
        bare: dict[str, Any] = dict(checkpoint)
        values: dict[str, Any] = bare.pop("channel_values", None) or {}
        try:
            meta = to_jsonable_python(get_serializable_checkpoint_metadata(config, metadata))
        except PydanticSerializationError as exc:
            raise UsageError(f"checkpoint metadata must be JSON: {exc}") from exc
        body = {
            PAYLOAD_KEY: "checkpoint",
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": configurable.get("checkpoint_id"),
            "ts": checkpoint.get("ts"),
            "metadata": meta,
            "checkpoint": self._typed(bare),
            "blobs": [
                {"channel": k, "version": v, "value": self._typed(values[k]) if k in values else None}
                for k, v in new_versions.items()
            ],
        }
        thread = await self._thread(thread_id, ns)
        await self._write(thread, [*_mirrors(thread, values, new_versions), _event(body)])
        return {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        configurable = config["configurable"]
        thread_id, ns = configurable["thread_id"], configurable.get("checkpoint_ns", "")
        checkpoint_id = str(configurable["checkpoint_id"])
        regular: builtins.list[dict[str, Any]] = []
        special: builtins.list[dict[str, Any]] = []
        for index, (channel, value) in enumerate(writes):
            idx = WRITES_IDX_MAP.get(channel, index)
            (special if idx < 0 else regular).append(
                {"idx": idx, "channel": channel, "value": self._typed(value)}
            )
        head = {
            PAYLOAD_KEY: "writes",
            "checkpoint_id": checkpoint_id,
            "task_id": task_id,
            "task_path": task_path,
        }
        events: builtins.list[SessionEvent] = []
        if regular:  # a retry of the same writes has the same id, which the store skips
            span = f"{regular[0]['idx']}-{regular[-1]['idx']}"
            events.append(_event({**head, "writes": regular}, f"writes:{checkpoint_id}:{task_id}:{span}"))
        if special:  # errors and interrupts replace earlier ones: always appended, the newest wins
            events.append(_event({**head, "writes": special}))
        if events:
            await self._write(await self._thread(thread_id, ns), events)

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every session of the thread (all namespaces)."""
        for session_id in await self.store.list_sessions(self._thread_prefix(thread_id)):
            self._threads.pop(session_id, None)
            await self.store.delete(session_id)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every namespace of a thread, checkpoints and writes, to another thread id."""
        for source in await self._threads_of({"configurable": {"thread_id": source_thread_id}}):
            copies = [
                SessionEvent.from_record(e.to_record())
                for e in source.session.events
                if e.type != EventType.SESSION_META
            ]
            await self._write(await self._thread(target_thread_id, source.ns), copies)

    # ---- sync interface -----------------------------------------------------------------------------

    get_tuple = _blocking_twin(aget_tuple)
    list = _blocking_twin(_collected(alist))
    put = _blocking_twin(aput)
    put_writes = _blocking_twin(aput_writes)
    delete_thread = _blocking_twin(adelete_thread)
    copy_thread = _blocking_twin(acopy_thread)

    # ---- internals ----------------------------------------------------------------------------------

    def _typed(self, value: Any) -> Typed:
        kind, data = self.serde.dumps_typed(value)
        return {"type": kind, "data": base64.b64encode(data).decode("ascii")}

    def _loads(self, typed: Typed) -> Any:
        return self.serde.loads_typed((typed["type"], base64.b64decode(typed["data"])))

    def _tuple(self, thread: _Thread, body: dict[str, Any]) -> CheckpointTuple:
        checkpoint: Checkpoint = self._loads(body["checkpoint"])
        values: dict[str, Any] = {}
        for channel, version in checkpoint["channel_versions"].items():
            blob = thread.blobs.get((channel, _version_key(version)))
            if blob is not None:
                values[channel] = self._loads(blob)
        checkpoint["channel_values"] = values
        checkpoint_id = str(body["checkpoint_id"])
        stored = thread.writes.get(checkpoint_id, {})
        ordered = sorted(stored, key=lambda k: writes_sort_key(stored[k][3], *k))
        parent = body.get("parent_checkpoint_id")

        def config(cid: str) -> RunnableConfig:
            return {
                "configurable": {
                    "thread_id": thread.thread_id,
                    "checkpoint_ns": thread.ns,
                    "checkpoint_id": cid,
                }
            }

        return CheckpointTuple(
            config=config(checkpoint_id),
            checkpoint=checkpoint,
            metadata=cast(CheckpointMetadata, body.get("metadata") or {}),
            parent_config=config(parent) if parent else None,
            pending_writes=[(stored[k][0], stored[k][1], self._loads(stored[k][2])) for k in ordered],
        )

    async def _read(self, thread_id: Any, ns: str) -> _Thread | None:
        """The thread, up to date with the store, or ``None`` if it has no session (nothing created)."""
        return await self._open(self.session_id(thread_id, ns), thread_id, ns, create=False)

    async def _open(self, session_id: str, thread_id: Any, ns: str, *, create: bool) -> _Thread | None:
        thread = self._threads.get(session_id)
        if thread is not None:
            self._threads.move_to_end(session_id)
            async with thread.lock:
                if await thread.session.refresh() is not None:
                    thread.fold()
                    return thread
            self._threads.pop(session_id, None)  # deleted elsewhere
        session = await Session.load(session_id, self.store)
        if session is None:
            if not create:
                return None
            properties = {FACE: "langgraph", THREAD_KEY: thread_id, NS_KEY: ns}
            session = await Session.create_once(session_id, metadata=properties, store=self.store)
        props = session.metadata.properties
        if (props.get(THREAD_KEY), props.get(NS_KEY)) != (thread_id, ns):
            raise SessionforgeError(
                f"session {session_id!r} holds LangGraph thread {props.get(THREAD_KEY)!r} "
                f"namespace {props.get(NS_KEY)!r}, not {thread_id!r} {ns!r}"
            )
        return self._adopt(session_id, session)

    def _adopt(self, session_id: str, session: Session) -> _Thread:
        """Keep a loaded thread's session in the cache, its events indexed."""
        props = session.metadata.properties
        thread = _Thread(session, props.get(THREAD_KEY), str(props.get(NS_KEY) or ""))
        thread.fold()
        self._threads[session_id] = thread
        while len(self._threads) > self.cache_size:
            self._threads.popitem(last=False)
        return thread

    async def _thread(self, thread_id: Any, ns: str) -> _Thread:
        thread = await self._open(self.session_id(thread_id, ns), thread_id, ns, create=True)
        assert thread is not None
        return thread

    async def _write(self, thread: _Thread, events: builtins.list[SessionEvent]) -> None:
        async with thread.lock:
            kept = len(thread.session.events)
            for event in events:
                thread.session.append_event(event)
            try:
                await thread.session.save()
            except BaseException:
                thread.session.drop_unsaved(kept)
                raise
            thread.fold()

    async def _threads_of(self, config: RunnableConfig | None) -> builtins.list[_Thread]:
        """The threads a ``list`` call covers: one namespace, every namespace of a thread, or all."""
        configurable = config["configurable"] if config else {}
        if "thread_id" in configurable and configurable.get("checkpoint_ns") is not None:
            thread = await self._read(configurable["thread_id"], configurable["checkpoint_ns"])
            return [thread] if thread is not None else []
        scope = (
            self._thread_prefix(configurable["thread_id"])
            if "thread_id" in configurable
            else f"{self.prefix}."
        )
        out: builtins.list[_Thread] = []
        for session_id in await self.store.list_sessions(scope):
            thread = self._threads.get(session_id)
            if thread is not None:
                found = await self._read(thread.thread_id, thread.ns)
            else:
                stored = await Session.load(session_id, self.store)
                is_thread = stored is not None and THREAD_KEY in stored.metadata.properties
                found = self._adopt(session_id, stored) if stored is not None and is_thread else None
            if found is not None:
                out.append(found)
        return out

    def _blocking(self, call: Coroutine[Any, Any, T]) -> T:
        with self._blocking_lock:
            return run_blocking(call, self.store, async_name="the a-prefixed twin")

    def __repr__(self) -> str:
        return f"SessionforgeSaver(store={self.store!r}, prefix={self.prefix!r})"
