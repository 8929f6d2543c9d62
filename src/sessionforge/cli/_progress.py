"""The progress bar every long operation shows (exports of many sessions, migrations)."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ._common import err_console

__all__ = ["progress_bar"]


def progress_bar() -> Progress:
    """A bar on stderr (so ``sessions export ... > file`` keeps stdout clean), gone when done."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=err_console,
        transient=True,
    )
