"""``openai``'s module-level API, but awaitable: ``await openai_async.chat.completions.create(...)``.

The ``openai`` package's module-level client (``openai.chat.completions.create``) is synchronous, so
code written as ``await openai.chat.completions.create(...)`` (as in the session-manager spec's
examples) fails with it. Importing this module *as* ``openai`` makes that code run as intended, on an
``AsyncOpenAI`` client configured from the usual environment variables. One client is kept per event
loop, since an async HTTP connection pool belongs to the loop that opened it.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import openai

__all__ = ["client"]

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
    weakref.WeakKeyDictionary()
)


def client() -> openai.AsyncOpenAI:
    """The ``AsyncOpenAI`` client of the running event loop (created from the environment)."""
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        found = _clients[loop] = openai.AsyncOpenAI()
    return found


class _LazyResource:
    """Resolves ``chat.completions.create`` on the running loop's client at call time."""

    def __init__(self, path: tuple[str, ...]) -> None:
        self._path = path

    def __getattr__(self, name: str) -> Any:
        return _LazyResource((*self._path, name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target: Any = client()
        for name in self._path:
            target = getattr(target, name)
        return target(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if hasattr(openai.AsyncOpenAI, name) or name in {"chat", "completions", "embeddings", "responses"}:
        return _LazyResource((name,))
    return getattr(openai, name)
