"""What every command shares: the consoles, the options every command takes (``--store``,
``--namespace``), opening a store, and turning any failure into one line and a non-zero exit.

Errors: a :class:`SessionforgeError` already says what went wrong and what to do, so it is printed as
one red line. An ``OSError`` (a path that cannot be written, a port in use) is printed the same way
with the path and the reason. Anything else is a bug: one line that says so and how to see the
traceback (``sessionforge --debug ...`` or ``SESSIONFORGE_DEBUG=1``), which then shows it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import ConfigurationError, SessionforgeError
from ..storage.config import DEFAULT_NAMESPACE, default_store_url, open_store, sqlite_path

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = [
    "NAMESPACE_ENV",
    "NAMESPACE_OPTION",
    "STORE_OPTION",
    "StoreSpec",
    "check_url",
    "closing",
    "console",
    "counted",
    "debug_enabled",
    "err_console",
    "friendly",
    "print_json",
    "report",
    "run",
    "set_debug",
    "warn",
]

P = ParamSpec("P")
T = TypeVar("T")

NAMESPACE_ENV = "SESSIONFORGE_NAMESPACE"
DEBUG_ENV = "SESSIONFORGE_DEBUG"

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
log = logging.getLogger("sessionforge.cli")

STORE_OPTION: Any = typer.Option(
    None,
    "--store",
    help="Store URL (sqlite:///path, redis://..., postgresql://...); default: $SESSIONFORGE_STORE "
    "or an SQLite file in the user data directory.",
    show_default=False,
)
NAMESPACE_OPTION: Any = typer.Option(
    DEFAULT_NAMESPACE,
    "--namespace",
    envvar=NAMESPACE_ENV,
    help="Namespace (sandbox_id) of the sessions; $SESSIONFORGE_NAMESPACE.",
    show_default=True,
)

_debug = False


def set_debug(enabled: bool) -> None:
    global _debug
    _debug = enabled


def debug_enabled() -> bool:
    return _debug or os.environ.get(DEBUG_ENV, "") not in {"", "0"}


def run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio  # about 15 ms: ``--help`` and argument errors never need it

    return asyncio.run(coro)


async def closing(store: Store, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro``, then close ``store`` whatever happened."""
    try:
        return await coro
    finally:
        await store.aclose()


def print_json(data: Any) -> None:
    """JSON on stdout as it is (no colour, no wrapping), so it pipes into ``jq``."""
    console.file.write(json.dumps(data, ensure_ascii=False, default=str, indent=2) + "\n")


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: "1 session", "3 sessions"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def warn(text: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)


def _sqlite_path(url: str) -> Path | None:
    """The file an ``sqlite://`` URL names (``None`` for other schemes and ``:memory:``)."""
    if urlsplit(url).scheme.lower() != "sqlite":
        return None
    path = sqlite_path(url)
    return None if path == ":memory:" else Path(path).expanduser()


def check_url(url: str) -> str:
    """Refuse a store URL that no backend can take, before a backend tries to."""
    if "://" not in url:
        raise ConfigurationError(
            f"store URL {url!r} has no scheme: use sqlite:///path/to.db, redis://host:6379/0, "
            "postgresql://user@host/db or memory://"
        )
    scheme = urlsplit(url).scheme.lower()
    if (
        scheme in {"redis", "rediss", "redis+cluster", "postgresql", "postgres"}
        and not urlsplit(url).hostname
    ):
        raise ConfigurationError(f"store URL {url!r} names no host: e.g. {scheme}://localhost/...")
    if scheme == "sqlite":
        sqlite_path(url)  # names a file, or says what to write instead
    return url


class StoreSpec:
    """The store a command names (``--store``, ``$SESSIONFORGE_STORE`` or the default file) and its
    namespace, opened on demand.

    ``create=False`` is for commands that read or change existing sessions: they never create a
    database. A mistyped ``--store`` path is then an error naming the path, and the default store
    that does not exist yet reads as empty.
    """

    def __init__(self, url: str | None, namespace: str = DEFAULT_NAMESPACE, *, create: bool = True) -> None:
        self.explicit = url is not None
        self.url = check_url(url or default_store_url())
        self.namespace = namespace
        self.create = create

    @property
    def missing(self) -> bool:
        """A read-only command on an SQLite file that does not exist (there is nothing to read)."""
        path = _sqlite_path(self.url)
        return not self.create and path is not None and not path.exists()

    def check(self) -> None:
        """Raise if the store must exist and a mistyped ``--store`` names nothing."""
        if self.missing and self.explicit:
            raise ConfigurationError(
                f"no store at {_sqlite_path(self.url)}: check the --store path "
                "(only chat and import create a store)"
            )

    def open(self, namespace: str | None = None) -> Store:
        self.check()
        if self.missing:
            from ..storage.memory import MemoryStore

            return MemoryStore(namespace=namespace or self.namespace)  # nothing saved yet: empty
        return open_store(self.url, namespace=namespace or self.namespace)

    @property
    def label(self) -> str:
        suffix = "" if self.namespace == DEFAULT_NAMESPACE else f" (namespace {self.namespace})"
        return self.url + suffix


def _one_line(text: str) -> str:
    return " ".join(text.split())


def report(exc: BaseException) -> int:
    """Print ``exc`` as the one line a shell user needs; return the exit code."""
    if isinstance(exc, SessionforgeError):
        err_console.print(f"[red]error:[/] {escape(_one_line(str(exc)))}", soft_wrap=True)
        return 1
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        reason = exc.strerror or str(exc)
        err_console.print(
            f"[red]error:[/] cannot use{escape(str(where))}: {escape(_one_line(reason))}", soft_wrap=True
        )
        return 1
    if isinstance(exc, RecursionError):
        err_console.print("[red]error:[/] the input is nested too deeply to read", soft_wrap=True)
        return 1
    err_console.print(
        f"[red]error:[/] unexpected {type(exc).__name__}: {escape(_one_line(str(exc)))} "
        "(a bug: rerun with `sessionforge --debug ...` for the traceback and report it)",
        soft_wrap=True,
    )
    return 70  # EX_SOFTWARE


def friendly(func: Callable[P, T]) -> Callable[P, T]:
    """Run a command; any exception but a deliberate exit becomes :func:`report`'s line and exit
    code, unless ``--debug`` asked for the traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if debug_enabled():
                raise
            log.debug("command failed", exc_info=True)
            raise typer.Exit(report(exc)) from exc

    return wrapper
