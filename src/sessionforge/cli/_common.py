"""What every command group shares: one console, opening the store a command names, and turning
library errors into a one-line message and exit code 1 instead of a traceback."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import SessionforgeError

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["STORE_OPTION", "console", "err_console", "friendly", "open_cli_store", "run", "store_label"]

P = ParamSpec("P")
T = TypeVar("T")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

STORE_OPTION: Any = typer.Option(
    None,
    "--store",
    help="Store URL (sqlite:///path, redis://..., postgresql://...); default: $SESSIONFORGE_STORE "
    "or an SQLite file in the user data directory.",
    show_default=False,
)


def store_label(url: str | None) -> str:
    from ..storage.config import default_store_url

    return url or default_store_url()


def open_cli_store(url: str | None) -> Store:
    """The store a command works on, in the namespace the library's default store uses, so the CLI
    sees exactly the sessions that ``ChatSession.save()`` and the simple API wrote."""
    from ..storage.config import DEFAULT_NAMESPACE, open_store

    return open_store(url, namespace=DEFAULT_NAMESPACE)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def friendly(func: Callable[P, T]) -> Callable[P, T]:
    """Report a :class:`SessionforgeError` as a red line and exit 1: the messages are written for
    users (they name the fix), so a traceback would only bury them."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except SessionforgeError as exc:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from exc

    return wrapper
