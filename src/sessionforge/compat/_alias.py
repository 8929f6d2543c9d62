"""Read-only attributes a mirror reads from the object it wraps, written as one line each."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar, overload

__all__ = ["Alias"]

T = TypeVar("T")


class Alias(Generic[T]):
    """A read-only attribute whose value is read along a dotted ``path`` from the instance:
    ``session_id = Alias[str]("_native.session_id")`` in place of a property returning
    ``self._native.session_id``."""

    def __init__(self, path: str, doc: str | None = None) -> None:
        self._path = path.split(".")
        self.__doc__ = doc

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> Self | T:
        if instance is None:
            return self
        value: Any = instance
        for name in self._path:
            value = getattr(value, name)
        return value  # type: ignore[no-any-return]

    def __set__(self, instance: object, value: T) -> None:
        raise AttributeError(f"property {self._name!r} of {type(instance).__name__!r} object has no setter")
