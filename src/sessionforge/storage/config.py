"""Choosing a store: by URL, by argument, or by the ``SESSIONFORGE_STORE`` environment variable.

``open_store(url)`` understands ``memory://``, ``sqlite:///path/to.db`` (relative to the current folder;
``sqlite:////abs/path.db`` with four slashes, and ``sqlite:///:memory:``, as SQLAlchemy reads them),
``redis://host:port/db`` (``rediss://`` for TLS) and ``postgresql://user@host/db``. Without a URL the
default is an SQLite file in the user's data directory, so sessions survive a restart with nothing
to set up.

The default store is the one explicit piece of global state: the simple API and ``SessionManager``
use it unless given a store. ``configure_storage`` / ``setup_chuk_sessions_storage`` (the names of the
session-manager spec) replace it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast
from urllib.parse import unquote

from ..errors import ConfigurationError, SessionforgeError

_P = ParamSpec("_P")
_T = TypeVar("_T")

if TYPE_CHECKING:  # the backends import it; naming a default namespace or a URL needs none of it
    from .base import Store

__all__ = [
    "DEFAULT_NAMESPACE",
    "configure_storage",
    "default_store_url",
    "get_default_store",
    "open_store",
    "resolve_store",
    "run_blocking",
    "set_default_store",
    "setup_chuk_sessions_storage",
    "sqlite_path",
]

DEFAULT_NAMESPACE = "default"
ENV_VAR = "SESSIONFORGE_STORE"

_default_store: Store | None = None


def default_store_url() -> str:
    """``$SESSIONFORGE_STORE``, else an SQLite file in the user's data directory."""
    url = os.environ.get(ENV_VAR)
    if url:
        return url
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('sessionforge')) / 'sessions.db'}"


_SCHEMES = "memory://, sqlite:///path/to.db, redis://host:port/db or postgresql://user@host/db"


def sqlite_path(url: str) -> str:
    """The database file an ``sqlite:`` URL names, read as SQLAlchemy (and so LangChain) reads it.

    ``sqlite:///sessions.db`` is ``sessions.db`` in the current folder, ``sqlite:////var/db/s.db``
    (four slashes) the absolute ``/var/db/s.db``, ``sqlite:///:memory:`` a database private to the
    store; ``sqlite://sessions.db`` (two slashes) is also read as a relative path. Raises
    :class:`ConfigurationError` for a URL that names no file, has options, or is not ``sqlite:``.

    Earlier versions read ``sqlite:///tmp/s.db`` as ``/tmp/s.db``. So that such a URL cannot silently
    open a new, empty store beside the old one, a relative path that does not exist while the same
    path from the root is a file is refused, naming both.
    """
    scheme, sep, rest = url.partition("://")
    if scheme.lower() != "sqlite" or not sep:
        raise ConfigurationError(f"{url!r} is not an sqlite URL: use sqlite:///path/to.db")
    if "?" in rest or "#" in rest:
        raise ConfigurationError(
            f"sqlite URL {url!r}: options after ? or # are not supported (write ? in a file name as %3F)"
        )
    path = unquote(rest.removeprefix("/"))
    if not path:
        raise ConfigurationError(f"sqlite URL {url!r} names no file: use sqlite:///path/to.db")
    if rest.startswith("/") and not os.path.isabs(path) and path != ":memory:":
        rooted = "/" + path
        if not os.path.lexists(path) and os.path.isfile(rooted):
            raise ConfigurationError(
                f"sqlite URL {url!r} names {path!r} in the current folder (three slashes, then a "
                f"relative path), which does not exist, while {rooted!r} does: for that file write "
                f"sqlite:///{rooted}"
            )
    return path


def open_store(url: str | None = None, **options: Any) -> Store:
    """Open the store a URL names. ``options`` go to the backend (namespace, ttl_seconds, ...).

    A URL that names no store, or an option the backend does not take, raises
    :class:`ConfigurationError` saying what to write instead; nothing is connected yet.
    """
    if url is not None and not isinstance(url, str):
        raise ConfigurationError(f"a store URL is text, got {type(url).__name__}: use {_SCHEMES}")
    source = "" if url else f" (from ${ENV_VAR})" if os.environ.get(ENV_VAR) else ""
    url = url or default_store_url()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigurationError(f"store URL {url!r}{source} has no scheme://: use {_SCHEMES}")
    try:
        return _open(url, scheme, rest, options)
    except ConfigurationError as exc:
        if source:
            raise ConfigurationError(f"{exc}{source}") from exc
        raise
    except TypeError as exc:  # an option the backend's constructor does not take
        raise ConfigurationError(f"cannot open {url!r}{source}: {exc}") from exc


def _open(url: str, scheme: str, rest: str, options: dict[str, Any]) -> Store:
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore(**options)
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url), **options)
    if scheme in {"redis", "rediss", "redis+cluster"}:
        from .redis import RedisStore

        return RedisStore.from_url(url, **options)
    if scheme in {"postgresql", "postgres"}:
        from .postgres import PostgresStore

        return PostgresStore.from_url(url, **options)
    raise ConfigurationError(f"unknown store URL {url!r}: use {_SCHEMES}")


def get_default_store() -> Store:
    """The process-wide default store, opened on first use."""
    global _default_store
    if _default_store is None:
        _default_store = open_store(namespace=DEFAULT_NAMESPACE)
    return _default_store


def resolve_store(store: Store | None = None) -> Store:
    """``store`` if given, else the default store: the one rule every face follows.

    The session-manager API's storage face (``ChukSessionsStore``, ``SessionStorage``) is accepted in
    place of a store, as that API passes it: its ``backend`` is the store.
    """
    if store is None:
        return get_default_store()
    if not hasattr(store, "append"):
        backend = getattr(store, "backend", None)
        if backend is not None:
            return cast("Store", backend)
    return store


def run_blocking(call: Coroutine[Any, Any, _T], store: Store | None, *, async_name: str) -> _T:
    """Run ``call`` for a blocking face (``ChatSession``, the LangChain and LangGraph adapters) with
    :func:`~sessionforge._sync.run_sync`, then let ``store`` (``None``: the default store) drop what
    it bound to the loop the call ran in: the face's next call may come from another thread, which
    runs another loop, and a connection is used from the loop that opened it only.
    ``async_name`` names the awaitable twin, as for ``run_sync``."""
    from .._sync import run_sync  # asyncio and the event loop: not for what only names a store

    return run_sync(_releasing(call, store), async_name=async_name)


async def _releasing(call: Coroutine[Any, Any, _T], store: Store | None) -> _T:
    from .base import release_loop

    try:
        return await call
    finally:
        await release_loop(resolve_store(store))


def set_default_store(store: Store | None) -> Store | None:
    """Replace the default store; returns the previous one (``None`` resets to the default URL)."""
    global _default_store
    previous, _default_store = _default_store, store
    return previous


def setup_chuk_sessions_storage(
    sandbox_id: str = "chuk-ai-session-manager",
    default_ttl_hours: float | None = 24,
    url: str | None = None,
    **options: Any,
) -> Store:
    """Open a store namespaced by ``sandbox_id`` with a TTL, and make it the default."""
    ttl = None if default_ttl_hours is None else default_ttl_hours * 3600
    store = open_store(url, namespace=sandbox_id, ttl_seconds=ttl, **options)
    set_default_store(store)
    return store


def _reporting(setup: Callable[_P, Store]) -> Callable[_P, bool]:
    """``setup`` reporting success as a bool: a misconfiguration is logged and gives ``False``."""

    def configure_storage(*args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Like :func:`setup_chuk_sessions_storage` (same arguments), reporting success as a bool as
        the spec shows. A misconfiguration (bad URL, missing extra) returns ``False`` after logging
        why; use :func:`setup_chuk_sessions_storage` to get the exception instead."""
        try:
            setup(*args, **kwargs)
        except SessionforgeError as exc:
            logging.getLogger("sessionforge").warning("storage configuration failed: %s", exc)
            return False
        return True

    return configure_storage


configure_storage = _reporting(setup_chuk_sessions_storage)
