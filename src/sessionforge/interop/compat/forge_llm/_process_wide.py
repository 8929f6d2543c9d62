"""One instance per process, made on first use: forge_llm's global registries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["ProcessWide"]


class Clearable(Protocol):
    def clear(self) -> None: ...


T = TypeVar("T", bound=Clearable)


class ProcessWide(Generic[T]):
    """The instance ``make()`` returns, made on the first :meth:`get`; :meth:`reset` clears it and
    forgets it, so the next :meth:`get` makes a fresh one."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._instance: T | None = None

    def get(self) -> T:
        if self._instance is None:
            self._instance = self._make()
        return self._instance

    def reset(self) -> None:
        if self._instance is not None:
            self._instance.clear()
        self._instance = None
