"""The ``sessionforge`` command line. Each command group lives in its own module.

Every command takes ``--store`` and ``--namespace``; a failure prints one line (what went wrong and
what to do) and exits non-zero, and ``sessionforge --debug ...`` shows the traceback instead.

A command module imports at its top only typer and :mod:`._common`; the machinery a command uses
(models, stores, providers, faces) is imported in its body, and a command's module is imported only
when that command runs or a help page lists it (:mod:`._lazy`). Help is plain text, as click writes
it: typer's rich help imports rich's markdown, syntax and traceback modules, about 0.1 s of every
``--help``. Each command pays only for what it runs.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import warnings
from typing import Any

import typer

from .._meta import get_version
from ._common import console, debug_enabled, set_debug, warn
from ._lazy import lazy_app

app = lazy_app(
    {
        "chat": ("chat", "chat"),
        "import": ("transfer", "import_command"),
        "migrate": ("transfer", "migrate_command"),
        "inspect": ("inspect", "inspect"),
        "demo": ("demo", "demo"),
        "sessions": ("sessions", "app"),
    },
    name="sessionforge",
    help="Conversation sessions for LLM applications.",
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"sessionforge {get_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="SESSIONFORGE_DEBUG", help="Show the traceback of a failure."
    ),
) -> None:
    """Conversation sessions for LLM applications."""
    set_debug(debug)


class _OneLine(logging.Handler):
    """Our library's warnings as ``warning: ...`` lines, like every other message of the CLI."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(record.getMessage())


def _quiet_libraries(debug: bool) -> None:
    """Drivers log their retries (psycopg's pool, for one); the error line that follows already
    says what failed. With ``--debug`` every log record and Python warning is shown as it is."""
    if debug:
        logging.basicConfig(level=logging.DEBUG)
        return
    logging.getLogger().addHandler(logging.NullHandler())
    ours = logging.getLogger("sessionforge")
    if not any(isinstance(h, _OneLine) for h in ours.handlers):
        ours.addHandler(_OneLine(level=logging.WARNING))
    ours.propagate = False

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        warn(str(message))

    warnings.showwarning = show


def main() -> None:
    """The ``sessionforge`` program (tests call ``app`` itself, which leaves logging alone).

    The program loads no pydantic plugin (typer's own argument adapters load none either): looking
    for one reads the entry points of every installed distribution, about 40 ms of each command
    that builds a model. ``PYDANTIC_DISABLE_PLUGINS`` set by the user is kept as it is.

    Garbage collection is tuned for a program that imports much and lives briefly:
    - the young generations are collected every 200,000 allocations rather than 700, the older
      every 30 of those (mypy's command line does the same): what a command's start-up allocates
      (modules, classes, schemas) all lives on, so collecting on the way only walks it again,
      about 10 ms of ``sessions list``;
    - on the way out, what the command made is frozen (``gc.freeze``), so the interpreter's exit does
      not walk it once more, about 35 ms of ``sessions list``. Stores are closed and output is flushed
      by then, as without it; the memory goes back with the process.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _quiet_libraries("--debug" in sys.argv[1:2] or debug_enabled())
    gc.set_threshold(200_000, 30, 30)
    try:
        app()
    finally:
        gc.freeze()
