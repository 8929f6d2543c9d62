"""Tables that fit the terminal: columns leave by priority until the widest line fits.

A table squeezed by rich shrinks every column to a sliver; a table that drops its least useful
columns stays readable at 80 columns, and says which columns it left out (``--json`` has them all).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["Column", "fitted_table"]


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, and priority (0 always stays; higher leaves first)."""

    header: str
    justify: Literal["left", "right"] = "right"
    priority: int = 0
    fold: int = 0
    """Wrap to this width rather than leave (0: never wrap)."""


def _build(
    title: str | None, columns: Sequence[tuple[int, Column]], rows: Sequence[Sequence[str]], folded: bool
) -> Table:
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        title_justify="left",
    )
    for _, column in columns:
        if folded and column.fold:
            table.add_column(column.header, justify=column.justify, max_width=column.fold, overflow="fold")
        else:
            table.add_column(column.header, justify=column.justify, no_wrap=True)
    for row in rows:
        table.add_row(*(row[index] for index, _ in columns))
    return table


def _width(table: Table) -> int:
    probe = Console(width=100_000, file=io.StringIO(), color_system=None)
    return probe.measure(table).maximum


def fitted_table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> tuple[Table, list[str]]:
    """The table with as many columns as fit ``width`` (wrapping the foldable ones first), and the
    headers of those left out."""
    kept = list(enumerate(columns))
    left_out: list[str] = []
    table = _build(title, kept, rows, folded=False)
    if _width(table) <= width:
        return table, left_out
    while True:
        table = _build(title, kept, rows, folded=True)
        droppable = [item for item in kept if item[1].priority > 0]
        if not droppable or _width(table) <= width:
            return table, left_out
        victim = max(droppable, key=lambda item: (item[1].priority, item[0]))
        kept.remove(victim)
        left_out.append(victim[1].header)
