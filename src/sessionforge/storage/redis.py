"""Redis (and Redis Cluster): the store for a fleet of processes, with native TTL.

Every key of one session shares one hash tag, ``sf:{<namespace>:<session_id>}:...``, so they live
in one cluster slot. Namespace and id are percent-escaped in keys (``:`` becomes ``%3A``, and so would
``{``, ``}``, ``%`` or anything else but letters, digits and ``._-~@``), so the one ``:`` between
them is the only one: no namespace can name a key of another (``team:evil`` + ``x`` and ``team`` +
``evil:x`` are different keys), and no id can break the hash tag. Ids and namespaces of letters,
digits and ``._-@`` have the keys they always had; sessions stored by earlier versions under an id
or namespace holding ``:`` are not found under the escaped keys (copy them with ``sessionforge
migrate`` from a store of that version). and one Lua script can append atomically: it skips record ids already in the
``:ids`` SET, RPUSHes the rest onto the ``:log`` LIST (a record's seq is its position, so seqs are
contiguous by construction), moves the ``:head`` counter, notes the time in ``:at`` (what a listing
by activity sorts on) and sets the expiry of all four keys. No other writer can interleave, on one
server or on a cluster. (A session written before ``:at`` existed has none until its next append;
its time is then read from its last record.)

Listing needs an index per namespace, ``sf:{<namespace>}:sessions`` (escaped alike; its tag holds
no ``:``, so it is never a session's) (a ZSET scored by expiry time).
On a single server the same scripts update it, so a stored session is never missing from the index
and an index entry never outlives its session (``delete`` is one MULTI). On a cluster it lives in
another slot, so it is updated by a separate command *before* the append: a failure between the two
leaves at worst an entry with no session behind it, which ``list_sessions`` filters out, never a
stored session that listing cannot find. (Only a delete racing an append to the same session can
leave that session unlisted, until its next append re-indexes it.)

Async clients are bound to the event loop that created them, and the simple API may run several
``asyncio.run`` calls in one process; a client this store owns is therefore created lazily and
recreated when the running loop changes. A client passed in is used as given and never closed.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, Self
from urllib.parse import quote, urlsplit

from .._optional import require
from ..errors import ConfigurationError, StorageError, StoreUnavailableError
from .base import (
    UNKNOWN_OUTCOME,
    BaseStore,
    SessionHead,
    StoredRecord,
    check_prefix,
    check_session_id,
    check_window,
    record_time,
)

__all__ = ["RedisStore"]

# KEYS: head, log, ids, at[, index]. ARGV: ttl in ms (0 = none), index score, session id, time of
# the append, then (record id or "", body) pairs. The index is a KEY only on a single server (see
# the module doc).
_APPEND = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 5, #ARGV, 2 do
  local rid = ARGV[i]
  if rid == '' or redis.call('SADD', KEYS[3], rid) == 1 then
    n = redis.call('RPUSH', KEYS[2], ARGV[i + 1])
  end
end
redis.call('SET', KEYS[1], n)
redis.call('SET', KEYS[4], ARGV[4])
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  for k = 1, 4 do redis.call('PEXPIRE', KEYS[k], ttl) end
end
if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[2], ARGV[3]) end
return n
"""

# KEYS: head, log, ids, at[, index]. ARGV: start index, stop index, ttl in ms to refresh (0 = do not
# touch), index score, session id. Reading refreshes an index entry, never creates one (XX).
_LOAD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  for k = 1, 4 do redis.call('PEXPIRE', KEYS[k], ttl) end
  if KEYS[5] then redis.call('ZADD', KEYS[5], 'XX', ARGV[4], ARGV[5]) end
end
return redis.call('LRANGE', KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
"""

_APPEND_SHA = hashlib.sha1(_APPEND.encode()).hexdigest().encode()
_LOAD_SHA = hashlib.sha1(_LOAD.encode()).hexdigest().encode()

KEY_CACHE = 4096
"""Sessions whose key names a store keeps at hand (escaping them costs more than the rest of a call)."""

_CONNECT_DEFAULTS: dict[str, Any] = {"socket_connect_timeout": 5.0, "socket_timeout": 30.0}


_DRIVER_OPTIONS = frozenset({"driver_info", "lib_name", "lib_version"})


@cache
def _driver_info() -> dict[str, Any]:
    """The name and version a client gives the server (``CLIENT SETINFO``), worked out once.

    Left to itself, redis-py reads its version from the installed package's metadata for every
    connection it opens, a few milliseconds each: a blocking face, which reconnects on each call,
    paid that on every save. The values are redis-py's own defaults.
    """
    redis = require("redis", extra="redis")
    try:
        from redis.driver_info import DriverInfo
    except ImportError:  # an older redis-py: the version is a client option of its own
        return {"lib_version": redis.__version__}
    return {"driver_info": DriverInfo(lib_version=redis.__version__)}


@contextmanager
def _translate(where: str, session_id: str | None = None, *, writing: bool = False) -> Iterator[None]:
    """redis-py exceptions become StorageError subclasses, chained; the only place that knows them.
    ``writing``: the call appends, and a lost connection leaves its outcome unknown (said so)."""
    try:
        yield
    except Exception as exc:
        exceptions = require("redis.exceptions", extra="redis")  # looked up only on a failure
        if isinstance(
            exc,
            exceptions.ConnectionError
            | exceptions.TimeoutError
            | exceptions.ClusterDownError
            | exceptions.TryAgainError
            | OSError,
        ):
            raise StoreUnavailableError(
                f"Redis at {where} is unavailable ({type(exc).__name__}: {exc})"
                f"{UNKNOWN_OUTCOME if writing else ''}",
                session_id=session_id,
            ) from exc
        if isinstance(exc, exceptions.RedisError | exceptions.RedisClusterException):
            raise StorageError(f"Redis at {where} failed: {exc}", session_id=session_id) from exc
        raise


def _escape(part: str) -> str:
    """A namespace or id as it appears in a key: percent-escaped, so it holds no ``:``, ``{`` or ``}``."""
    return quote(part, safe="@")


def _check_url(url: str) -> str:
    """The URL as redis-py reads it (scheme in lower case), or a ConfigurationError saying what is
    wrong with it."""
    parse_url = require("redis.connection", extra="redis").parse_url
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in {"redis", "rediss", "redis+cluster"}:
        raise ConfigurationError(f"not a Redis URL: {url!r}: use redis://host:port/db")
    url = f"{scheme}://{rest}"
    try:
        parts = urlsplit(url)
        parse_url("redis://" + rest if scheme == "redis+cluster" else url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {exc}") from exc
    if not parts.hostname:
        raise ConfigurationError(f"Redis URL {url!r} names no host: use redis://host:port/db")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ConfigurationError(f"Redis URL {url!r}: the database {database!r} must be a number, as in /0")
    return url


class RedisStore(BaseStore):
    """A store in Redis or Redis Cluster. Build it from a client, or with :meth:`from_url`."""

    def __init__(
        self,
        client: Any = None,
        *,
        url: str | None = None,
        client_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if client is None and url is None:
            url = "redis://localhost:6379/0"
        if url is not None:
            url = _check_url(url)
        self.url = url
        self._client_options = {**_CONNECT_DEFAULTS, **(client_options or {})}
        self._owned = client is None
        self._client: Any = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._warm = False
        self._loaded = False  # the scripts were loaded on the server once (see _connect)
        self._where = url or repr(client)
        self._keys: dict[tuple[str, str | None], tuple[bytes, ...]] = {}

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """A store owning a client for ``redis://``, ``rediss://`` or ``redis+cluster://`` URLs."""
        return cls(url=url, **options)

    # ---- plumbing ------------------------------------------------------------------------------

    def _make_client(self) -> Any:
        assert self.url is not None
        options = self._client_options
        if not options.keys() & _DRIVER_OPTIONS:
            options = {**options, **_driver_info()}
        if self.url.startswith("redis+cluster://"):
            cluster = require("redis.asyncio.cluster", extra="redis")
            url = "redis://" + self.url.split("://", 1)[1]
            return cluster.RedisCluster.from_url(url, **options)
        aioredis = require("redis.asyncio", extra="redis")
        return aioredis.from_url(self.url, **options)

    async def _connect(self) -> Any:
        """The client for the running loop, with both scripts loaded once.

        An owned client follows the loop it is used from. Loading the scripts up front, under a
        lock, spares a burst of first appends a NOSCRIPT storm (and a cluster client concurrent
        first connections, which redis-py's async cluster does not survive).
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None:
            if self._owned:
                # A client of a finished loop cannot be closed from this one; its sockets die with it.
                self._client = self._make_client()
            # A single server keeps the scripts this store loaded once (one lost in a restart is
            # loaded again on NOSCRIPT): a blocking face, on a new client each call, skips two
            # round trips. A cluster client's first commands stay serialized, as said above.
            warm = self._loaded and not self._cluster(self._client)
            self._loop, self._lock, self._warm = loop, asyncio.Lock(), warm
        if not self._warm:
            assert self._lock is not None
            async with self._lock:
                if not self._warm:
                    for text in (_APPEND, _LOAD):
                        await self._client.script_load(text)
                    self._warm = self._loaded = True
        return self._client

    async def _script(
        self,
        client: Any,
        script: tuple[str, bytes],
        keys: tuple[bytes, ...],
        args: list[Any],
        index: Any = None,
    ) -> Any:
        """Run one of the scripts, loading it once if the server does not know it yet.

        On a single server the script updates the index itself (it gets the index as a fourth
        key). A cluster keeps the index on another node, so ``index(client)`` runs first, as its
        own command.
        """
        text, sha = script
        if self._cluster(client):
            if index is not None:
                await index(client)
        else:
            keys = (*keys, self._index)
        try:
            return await client.evalsha(sha, len(keys), *keys, *args)
        except require("redis.exceptions", extra="redis").NoScriptError:
            # The server forgot it (a restart, SCRIPT FLUSH, a failover): load it and run it again.
            await client.script_load(text)
            return await client.evalsha(sha, len(keys), *keys, *args)

    @staticmethod
    def _cluster(client: Any) -> bool:
        return hasattr(client, "get_nodes")

    def session_keys(self, session_id: str) -> list[str]:
        """The keys holding a session: its head counter, its log, its set of record ids and the time
        of its last append."""
        return [key.decode() for key in self._session_keys(session_id)]

    def _session_keys(self, session_id: str) -> tuple[bytes, ...]:
        # Kept encoded: escaping and encoding them costs more than the rest of an append.
        keys = self._keys.get((self.namespace, session_id))
        if keys is None:
            if len(self._keys) >= KEY_CACHE:
                self._keys.clear()
            tag = f"sf:{{{_escape(self.namespace)}:{_escape(session_id)}}}"
            keys = tuple(f"{tag}:{part}".encode() for part in ("head", "log", "ids", "at"))
            self._keys[self.namespace, session_id] = keys
        return keys

    @property
    def _index(self) -> bytes:
        index = self._keys.get((self.namespace, None))
        if index is None:
            index = self._keys[self.namespace, None] = (
                f"sf:{{{_escape(self.namespace)}}}:sessions".encode(),
            )
        return index[0]

    def _ttl_ms(self) -> int:
        return 0 if self.ttl_seconds is None else max(1, int(self.ttl_seconds * 1000))

    def _expiry_score(self) -> str:
        return "+inf" if self.ttl_seconds is None else repr(time.time() + self.ttl_seconds)

    # ---- the contract --------------------------------------------------------------------------

    async def append(self, session_id: str, records: Sequence[Mapping[str, Any]]) -> int:
        check_session_id(session_id)
        score = self._expiry_score()
        args: list[Any] = [self._ttl_ms(), score, session_id.encode(), repr(time.time())]
        for record_id, body in self._encode_all(session_id, records):
            args += [record_id or "", body]
        with _translate(self._where, session_id, writing=True):
            client = await self._connect()
            last = await self._script(
                client,
                (_APPEND, _APPEND_SHA),
                self._session_keys(session_id),
                args,
                lambda c: c.zadd(self._index, {session_id: score}),
            )
        return int(last)

    async def load(self, session_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredRecord]:
        check_session_id(session_id)
        check_window(after_seq, limit)
        if limit == 0:
            return []
        start = max(0, after_seq)
        stop = -1 if limit is None else start + limit - 1
        touch = self._ttl_ms() if self.touch_on_read else 0
        with _translate(self._where, session_id):
            client = await self._connect()
            score = self._expiry_score()
            rows = await self._script(
                client,
                (_LOAD, _LOAD_SHA),
                self._session_keys(session_id),
                [start, stop, touch, score, session_id],
                (lambda c: c.zadd(self._index, {session_id: score}, xx=True)) if touch else None,
            )
        return self._decode_all(session_id, enumerate(rows or [], start=start + 1))

    async def _candidates(self, client: Any, prefix: str, after: str | None) -> list[str]:
        """The index's unexpired ids starting with ``prefix`` (and ``> after``), sorted; some may have
        no session behind them (see the module doc)."""
        await client.zremrangebyscore(self._index, "-inf", time.time())
        members = [
            m.decode() if isinstance(m, bytes) else str(m) for m in await client.zrange(self._index, 0, -1)
        ]
        return sorted(m for m in members if m.startswith(prefix) and (after is None or m > after))

    async def _forget_gone(self, client: Any, gone: list[str]) -> None:
        if gone and not self._cluster(client):
            # Atomic appends make these leftovers of expiry; on a cluster an entry without a
            # session may be a first append in flight, so it is only filtered out.
            await client.zrem(self._index, *gone)

    async def _list_page(self, prefix: str, limit: int | None, after: str | None) -> list[str]:
        with _translate(self._where):
            client = await self._connect()
            candidates = await self._candidates(client, prefix, after)
            # Only the page's candidates are checked, a page's worth at a time until it is full.
            step = len(candidates) if limit is None else limit
            listed: list[str] = []
            for begin in range(0, len(candidates), max(step, 1)):
                chunk = candidates[begin : begin + step]
                pipe = client.pipeline(transaction=False)
                for session_id in chunk:
                    pipe.exists(self._session_keys(session_id)[0])
                alive = [bool(n) for n in await pipe.execute()]
                await self._forget_gone(client, [s for s, ok in zip(chunk, alive, strict=True) if not ok])
                listed += [s for s, ok in zip(chunk, alive, strict=True) if ok]
                if limit is not None and len(listed) >= limit:
                    return listed[:limit]
        return listed

    async def heads(self, prefix: str = "") -> list[SessionHead]:
        """See :func:`~sessionforge.storage.base.session_heads`: the index, then one pipeline
        reading each candidate's ``:head`` and ``:at``."""
        check_prefix(prefix)
        with _translate(self._where):
            client = await self._connect()
            candidates = await self._candidates(client, prefix, None)
            pipe = client.pipeline(transaction=False)
            for session_id in candidates:
                keys = self._session_keys(session_id)
                pipe.get(keys[0])
                pipe.get(keys[3])
            values = await pipe.execute()
            pairs = list(zip(candidates, values[0::2], values[1::2], strict=True))
            await self._forget_gone(client, [s for s, head, _ in pairs if head is None])
            live = [(s, int(head), at) for s, head, at in pairs if head is not None]
            untimed = [s for s, _, at in live if at is None]
            last: dict[str, Any] = {}
            if untimed:  # stored before ``:at`` existed: one more pipeline, for those only
                pipe = client.pipeline(transaction=False)
                for session_id in untimed:
                    pipe.lindex(self._session_keys(session_id)[1], -1)
                last = dict(zip(untimed, await pipe.execute(), strict=True))
        return [
            SessionHead(s, seq, float(at) if at is not None else self._record_time(s, last[s]))
            for s, seq, at in live
        ]

    def _record_time(self, session_id: str, raw: bytes | None) -> float:
        """The time of a session stored before ``:at`` existed: its last record's ``timestamp``."""
        if raw is None:
            return 0.0
        try:
            records = self._decode_all(session_id, [(1, raw)])
        except StorageError:
            return 0.0  # listed all the same; reading the session says what is wrong with it
        return record_time(records[0].record)

    async def delete(self, session_id: str) -> bool:
        check_session_id(session_id)
        with _translate(self._where, session_id):
            client = await self._connect()
            if self._cluster(client):
                await client.zrem(self._index, session_id)
                removed = int(await client.delete(*self._session_keys(session_id)))
            else:
                pipe = client.pipeline(transaction=True)
                pipe.zrem(self._index, session_id)
                pipe.delete(*self._session_keys(session_id))
                removed = int((await pipe.execute())[1])
        return removed > 0

    async def purge_expired(self) -> int:
        """Redis expires the sessions' keys itself; this drops their entries from the listing index."""
        with _translate(self._where):
            client = await self._connect()
            return int(await client.zremrangebyscore(self._index, "-inf", time.time()))

    async def release_loop(self) -> None:
        """A blocking call's loop is ending: close what this store owns; it reopens on next use."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if this store created it, and only if its loop is the running one."""
        loop, self._loop, self._warm = self._loop, None, False
        if not self._owned or self._client is None:
            return
        client, self._client = self._client, None
        if loop is asyncio.get_running_loop():
            with _translate(self._where):
                await client.aclose()
