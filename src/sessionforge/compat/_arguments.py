"""Methods whose published parameters are declared once, as the constructor of an arguments object.

A mirror's sync and async twins (forge_llm's ``ChatAgent.chat`` and ``stream_chat``, and the same on
``AsyncChatAgent``) take the same parameters. :func:`taking` writes them once: the method receives
one object built from the caller's arguments, while callers, ``inspect.signature`` and type checkers
see the parameters of that object's constructor.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, Concatenate, ParamSpec, TypeVar

__all__ = ["taking"]

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


def taking(arguments: Callable[P, T]) -> Callable[[Callable[[S, T], R]], Callable[Concatenate[S, P], R]]:
    """Decorate a method ``(self, call: T)`` so that it is called with ``arguments``' parameters.

    The method stays what it was: a coroutine function, an async generator function, a generator
    function or a plain one (``inspect`` says so, as it does for the undecorated method), and its
    signature reads ``(self, <the parameters of arguments>)``.
    """

    def decorate(method: Callable[[S, T], R]) -> Callable[Concatenate[S, P], R]:
        body: Callable[[S, T], Any] = method

        async def coroutine(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Any:
            return await body(self, arguments(*args, **kwargs))

        async def async_generator(self: S, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
            async with contextlib.aclosing(body(self, arguments(*args, **kwargs))) as items:
                async for item in items:
                    yield item

        def generator(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
            return (yield from body(self, arguments(*args, **kwargs)))

        def function(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Any:
            return body(self, arguments(*args, **kwargs))

        if inspect.iscoroutinefunction(method):
            wrapper: Callable[..., Any] = coroutine
        elif inspect.isasyncgenfunction(method):
            wrapper = async_generator
        elif inspect.isgeneratorfunction(method):
            wrapper = generator
        else:
            wrapper = function
        functools.update_wrapper(wrapper, method)
        own = inspect.signature(method)
        receiver = next(iter(own.parameters.values()))
        parameters = list(inspect.signature(arguments, eval_str=True).parameters.values())
        wrapper.__signature__ = own.replace(parameters=[receiver, *parameters])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters} | {
            "return": own.return_annotation
        }
        return wrapper

    return decorate
