"""A fitted table hands rich the column widths it computed (and plain cells as ``Text``) so rich does
not measure every cell again: what it prints is, byte for byte, what rich prints when it measures
every cell itself, in colour and without, folded or not."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sessionforge.cli._tables import Column, _build, fitted_table

COLUMNS = [
    Column("id", "left", 0, fold=8),
    Column("updated", "left", 1),
    Column("turns", "right", 3),
    Column("tokens", "right", 2),
    Column("model", "left", 5, fold=6),
    Column("kind", "left", 6, fold=4),
]

CELL = st.one_of(
    st.text(alphabet="abcxyz-0123456789 ", max_size=30),
    st.text(max_size=12),  # any character: wide, combining, control, newline
    st.sampled_from(
        [
            "",
            "[yellow]flagged-session-id[/]",
            "\\[not markup]",
            "a:smile:b",
            "模型名字",
            "two\nlines",
            "tab\there",
            "fork of 1c4c792e",
            "gpt-4o-mini, claude-3-5-haiku",
        ]
    ),
)
ROWS = st.lists(st.lists(CELL, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=8)


def _printed(table: object, width: int, color: str | None) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=color, force_terminal=color is not None)  # type: ignore[arg-type]
    console.print(table)
    return out.getvalue()


def _measured_by_rich(title: str, rows: list[list[str]], width: int) -> str:
    """The same columns as :func:`fitted_table` keeps, every cell measured by rich."""
    table, _ = fitted_table(title, COLUMNS, rows, width)
    kept = [(i, c) for i, c in enumerate(COLUMNS) if c.header in {col.header for col in table.columns}]
    folded = any(col.max_width is not None for col in table.columns)
    return _printed(_build(title, kept, rows, folded=folded), width, None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, width=st.integers(min_value=8, max_value=160))
def test_the_table_prints_as_rich_lays_it_out(rows: list[list[str]], width: int) -> None:
    table, _ = fitted_table("some sessions", COLUMNS, rows, width)
    assert _printed(table, width, None) == _measured_by_rich("some sessions", rows, width)


def test_in_colour_too() -> None:
    rows = [
        ["[yellow]broken-one[/]", "12-03 08:00", "3", "120", "gpt-4o-mini", "unreadable"],
        ["8d90d6ea-5cef-4475-960e-d4714b359dac", "12-03 08:01", "10", "0", "", "session"],
        ["a:smile:b", "2025-01-02", "1", "7", "模型名字", "fork of 1c4c792e"],
    ]
    for width in (30, 60, 80, 200):
        table, _ = fitted_table("title", COLUMNS, rows, width)
        kept = [(i, c) for i, c in enumerate(COLUMNS) if c.header in {col.header for col in table.columns}]
        folded = any(col.max_width is not None for col in table.columns)
        for color in ("truecolor", "256", "standard", None):
            reference = _build("title", kept, rows, folded=folded)
            assert _printed(table, width, color) == _printed(reference, width, color), (width, color)
