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
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "fitted_table"]


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, and priority (0 always stays; higher leaves first)."""

    header: str
    justify: Literal["left", "right"] = "right"
    priority: int = 0
    fold: int = 0
    """Wrap to this width rather than leave (0: never wrap)."""


def _plain(cell: str) -> bool:
    """Whether a cell reads as its own text: no markup ("["), no emoji code (two ":"), no control
    character (rich drops it)."""
    return cell.isprintable() and "[" not in cell and cell.count(":") < 2


def _build(
    title: str | None,
    columns: Sequence[tuple[int, Column]],
    rows: Sequence[Sequence[str]],
    folded: bool,
    widths: Sequence[int] | None = None,
) -> Table:
    """The table of the ``columns`` kept. ``widths``, each column's widest cell, are given when the
    table fits: rich then lays the columns out at those widths without measuring every cell again,
    and a plain cell is handed over as the ``Text`` rich would make of it (no markup to read)."""
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        title_justify="left",
    )
    for index, column in columns:
        width = None
        if widths is not None:
            width = min(widths[index], column.fold) if folded and column.fold else widths[index]
        if folded and column.fold:
            table.add_column(
                column.header, justify=column.justify, max_width=column.fold, overflow="fold", width=width
            )
        else:
            table.add_column(column.header, justify=column.justify, no_wrap=True, width=width)
    for row in rows:
        cells = (row[index] for index, _ in columns)
        table.add_row(*(Text(c) if widths is not None and _plain(c) else c for c in cells))
    return table


def _width(table: Table) -> int:
    """The width ``table`` takes unwrapped, as rich measures it (what :func:`fitted_table` computes
    without building a table per try)."""
    probe = Console(width=100_000, file=io.StringIO(), color_system=None)
    return probe.measure(table).maximum


def _text_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's widest cell (header included), in terminal cells, as the table renders it
    (markup and emoji codes read, lines apart)."""
    probe = Console(width=100_000, file=io.StringIO(), color_system=None)
    widths = []
    for index, column in enumerate(columns):
        cells = [column.header, *(row[index] for row in rows)]
        plain = [c if _plain(c) else probe.render_str(c).plain for c in cells]
        lines = [line for text in plain for line in text.splitlines()]
        widths.append(max((cell_len(line) for line in lines), default=0))
    return widths


def _table_width(kept: Sequence[tuple[int, Column]], widths: Sequence[int], folded: bool) -> int:
    """The width of the table of the ``kept`` columns: each column's widest cell (at most its fold
    width when ``folded``) and its padding (one cell on each inner side: the edges have none), and
    one cell of rule between columns."""
    content = sum(
        min(widths[index], column.fold) if folded and column.fold else widths[index] for index, column in kept
    )
    return content + 3 * (len(kept) - 1) if kept else 0


def fitted_table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> tuple[Table, list[str]]:
    """The table with as many columns as fit ``width`` (wrapping the foldable ones first), and the
    headers of those left out.

    Each cell is measured once; the table is built once, with the columns that fit.
    """
    widths = _text_widths(columns, rows)
    kept = list(enumerate(columns))
    left_out: list[str] = []
    if _table_width(kept, widths, folded=False) <= width:
        return _build(title, kept, rows, folded=False, widths=widths), left_out
    while True:
        droppable = [item for item in kept if item[1].priority > 0]
        if _table_width(kept, widths, folded=True) <= width:
            return _build(title, kept, rows, folded=True, widths=widths), left_out
        if not droppable:  # too wide even so: rich shrinks the columns it measures
            return _build(title, kept, rows, folded=True), left_out
        victim = max(droppable, key=lambda item: (item[1].priority, item[0]))
        kept.remove(victim)
        left_out.append(victim[1].header)
