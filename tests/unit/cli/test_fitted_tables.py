"""Fitted tables: the width computed from each cell measured once is the width rich measures, so
the columns left out are the ones a table measured at every try would leave out."""

from __future__ import annotations

import io
import itertools

import pytest
from rich.console import Console

from sessionforge.cli._tables import Column, _build, _table_width, _text_widths, _width, fitted_table

COLUMNS = [
    Column("id", "left", 0, fold=6),
    Column("when", "left", 1),
    Column("n", "right", 3),
    Column("model", "left", 2, fold=4),
]
ROWS = [
    ["[yellow]session-one[/]", "12-03 08:00", "3", "gpt-4o-mini, claude"],
    ["a:smile:b", "", "12345", "模型名字"],
    ["\\[not markup]", "two\nlines here", "0", ""],
    ["x", "12-01 10:00", "7", "m"],
    ["session-with-a\rcarriage-return", "tab\there", "\x07", "ünïcödé\u2028x"],
]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
def test_computed_width_is_richs(rows: list[list[str]]) -> None:
    widths = _text_widths(COLUMNS, rows)
    everything = list(enumerate(COLUMNS))
    for size in range(1, len(COLUMNS) + 1):
        for kept in itertools.combinations(everything, size):
            for folded in (False, True):
                table = _build(None, list(kept), rows, folded=folded)
                assert _table_width(kept, widths, folded) == _width(table), (kept, folded)


@pytest.mark.parametrize("width", [10, 20, 30, 40, 60, 200])
def test_columns_leave_by_priority_until_the_table_fits(width: int) -> None:
    table, left_out = fitted_table("title", COLUMNS, ROWS, width)
    kept = [c.header for c in table.columns]
    assert kept + left_out == [c.header for c in COLUMNS if c.header in kept] + left_out
    assert "id" in kept
    dropped_order = [c.header for c in sorted(COLUMNS, key=lambda c: -c.priority) if c.priority]
    assert left_out == dropped_order[: len(left_out)]
    if left_out:  # no more left out than needed: the table fits, or only column 0 is left
        assert _width(table) <= width or kept == ["id"]
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    assert "title" in out.getvalue()
