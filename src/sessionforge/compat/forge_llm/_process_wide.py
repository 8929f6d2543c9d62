"""One instance per process, made on first use: forge_llm's global registries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

__all__ = ["process_wide"]


class Clearable(Protocol):
    def clear(self) -> None: ...


T = TypeVar("T", bound=Clearable)


def process_wide(make: Callable[[], T]) -> tuple[Callable[[], T], Callable[[], None]]:
    """``get`` and ``reset`` of one process-wide instance: ``get()`` returns the instance, made by
    ``make()`` on first use; ``reset()`` clears it and forgets it, so the next ``get()`` makes a
    fresh one."""
    held: list[T] = []

    def get() -> T:
        if not held:
            held.append(make())
        return held[0]

    def reset() -> None:
        if held:
            held.pop().clear()

    return get, reset
