"""``sessionforge sessions ...``: list, show and account for stored sessions; the commands that change
or copy them live in :mod:`.manage`, :mod:`.summarize` and :mod:`.export`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from ..errors import UsageError
from ._common import (
    NAMESPACE_OPTION,
    STORE_OPTION,
    StoreSpec,
    closing,
    console,
    counted,
    friendly,
    print_json,
    run,
    warn,
)
from ._lazy import lazy_app
from ._tables import Column, fitted_table

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["app"]

app = lazy_app(
    {
        "list": ("sessions", "list_sessions"),
        "show": ("sessions", "show"),
        "stats": ("sessions", "stats"),
        "delete": ("manage", "delete"),
        "fork": ("manage", "fork"),
        "summarize": ("summarize", "summarize_session"),
        "export": ("export", "export"),
    },
    help="List, show, export, delete, fork, summarize and account for stored sessions.",
)

ROLE_STYLE = {
    "user": "cyan",
    "assistant": "green",
    "system": "magenta",
    "tool": "yellow",
    "summary": "blue",
    "compaction": "blue",
}


def money(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}"


def _when(text: str | None) -> str:
    """``MM-DD HH:MM`` this year, ``YYYY-MM-DD`` before (UTC, as stored)."""
    if not text:
        return ""
    if text[:4] == str(datetime.now(UTC).year):
        return text[5:16].replace("T", " ")
    return text[:10]


def _kind(row: dict[str, Any]) -> str:
    if row["error"]:
        return "unreadable"
    if row["fork_of"]:
        return f"fork of {row['fork_of']['session_id'][:8]}"
    if row["parent_id"]:
        return f"segment of {row['parent_id'][:8]}"
    return str(row["kind"])


LIST_COLUMNS = [
    Column("id", "left", 0, fold=18),
    Column("updated", "left", 1),
    Column("turns", "right", 3),
    Column("tokens", "right", 2),
    Column("USD", "right", 4),
    Column("model", "left", 5, fold=12),
    Column("kind", "left", 6, fold=8),
    Column("namespace", "left", 7),
    Column("messages", "right", 8),
]


@friendly
def list_sessions(
    count: int = typer.Option(
        50, "-n", "--count", min=0, help="Show the most recently active, at most this many (0: all)."
    ),
    prefix: str = typer.Option("", "--prefix", help="Only ids starting with this."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array instead of a table."),
    all_namespaces: bool = typer.Option(
        False, "--all-namespaces", "-A", help="Sessions of every namespace of the store."
    ),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Stored sessions, most recently updated first; unreadable ones last, with the reason. Only the
    sessions shown are read."""
    from ._namespaces import list_namespaces
    from ._overview import overview

    spec = StoreSpec(store_url, namespace, create=False)

    async def gather() -> tuple[list[dict[str, Any]], int, list[str]]:
        store = spec.open()
        try:
            found = await list_namespaces(spec, store)
        finally:
            await store.aclose()
        spaces = found if all_namespaces else [namespace]
        rows: list[dict[str, Any]] = []
        total = 0
        for space in spaces:
            scoped = spec.open(space)
            try:
                listed, held = await overview(scoped, prefix, count)
            finally:
                await scoped.aclose()
            rows += [{**row, "namespace": space} for row in listed]
            total += held
        rows.sort(key=lambda r: (r["error"] is None, r["updated_at"] or ""), reverse=True)
        return rows, total, found

    rows, total, namespaces = run(gather())
    shown = rows[:count] if count else rows
    if as_json:
        print_json(shown)
        return
    table_rows = [
        [
            escape(row["id"]) if not row["error"] else f"[yellow]{escape(row['id'])}[/]",
            _when(row["updated_at"]),
            str(row["turns"]),
            str(row["total_tokens"]),
            money(row["cost_usd"]),
            escape(", ".join(row["models"])),
            _kind(row),
            escape(row["namespace"]),
            str(row["messages"]),
        ]
        for row in shown
    ]
    columns = LIST_COLUMNS if all_namespaces else [c for c in LIST_COLUMNS if c.header != "namespace"]
    if not all_namespaces:
        table_rows = [r[:7] + r[8:] for r in table_rows]
    more = f" (newest {len(shown)} of {total}; -n 0 for all)" if count and len(shown) < total else ""
    where = "every namespace" if all_namespaces else f"namespace {namespace}"
    title = f"{counted(total, 'session')} in {where}{more}"
    table, left_out = fitted_table(title, columns, table_rows, console.width)
    console.print(table)
    _note_left_out(left_out)
    for row in shown:
        if row["error"]:
            warn(f"session {row['id']} cannot be read: {row['error']}")
    others = [n for n in namespaces if n != namespace]
    if not total and others and not all_namespaces:
        console.print(
            f"[dim]other namespaces in this store: {escape(', '.join(others))} "
            "(--namespace NAME, or --all-namespaces)[/]"
        )


def _note_left_out(left_out: list[str]) -> None:
    """Name the columns a table left out to fit the terminal, so a missing figure is not read as
    none (``--json`` has them all)."""
    if left_out:
        console.print(f"[dim]left out at this width: {', '.join(left_out)} (--json has every field)[/]")


@contextmanager
def _paged(enabled: bool) -> Iterator[None]:
    """Page long output on a terminal (``$PAGER`` or less), like ``git log``; plain when piped."""
    if enabled and console.is_terminal:
        with console.pager(styles=True):
            yield
    else:
        with nullcontext():
            yield


@friendly
def show(
    session_id: str = typer.Argument(..., help="The session's id."),
    limit: int = typer.Option(50, "--limit", min=0, help="Show at most this many entries (0: all)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many entries first."),
    as_json: bool = typer.Option(False, "--json", help="The digest as JSON (entries sliced the same)."),
    pager: bool = typer.Option(True, "--pager/--no-pager", help="Page the output on a terminal."),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """A session's conversation (roles, tool calls, summaries, compactions) and its tokens and cost
    per turn."""
    from ._digest import digest

    spec = StoreSpec(store_url, namespace, create=False)
    store = spec.open()
    data = run(closing(store, digest(session_id, store)))
    entries = data["entries"]
    if offset > len(entries):  # as the inspector answers such a page: nothing there to show
        held = "1 entry" if len(entries) == 1 else f"{len(entries)} entries"
        raise UsageError(f"--offset {offset} is past the end: session {session_id} has {held}")
    end = offset + limit if limit else len(entries)
    window = entries[offset:end]
    if as_json:
        print_json({**data, "entries": window, "offset": offset, "total_entries": len(entries)})
        return
    with _paged(pager):
        _print_session(data, window, offset, len(entries))


def _print_session(data: dict[str, Any], window: list[dict[str, Any]], offset: int, total: int) -> None:
    console.rule(f"session {escape(data['id'])} ({data['kind']})")
    if data["fork_of"]:
        console.print(f"forked from {data['fork_of']['session_id']} at record {data['fork_of']['seq']}")
    if data["parent_id"]:
        console.print(f"parent: {data['parent_id']}")
    for label, ids in (("children", data["child_ids"]), ("forks", data["branches"])):
        if ids:
            console.print(f"{label}: {', '.join(ids)}")
    console.print(
        f"[dim]{counted(data['messages'], 'message')}, {counted(data['turns'], 'turn')}, "
        f"{counted(data['calls'], 'model call')}, "
        f"{data['total_tokens']} tokens, ${data['cost_usd']:.6f}[/]"
    )
    for entry in window:
        _print_entry(entry)
    if offset and not window:
        console.print(f"[dim]no entries after entry {offset} of {total}[/]")
    elif offset or offset + len(window) < total:
        following = offset + len(window)
        hint = f"; --offset {following} for more" if following < total else ""
        console.print(f"[dim]entries {offset + 1}-{following} of {total}{hint} (--limit 0 for all)[/]")
    if data["usage"]:
        rows = [
            [
                str(turn["turn"]),
                str(turn["prompt_tokens"]),
                str(turn["completion_tokens"]),
                str(turn["total_tokens"]),
                money(turn["cost_usd"]),
                money(turn["cumulative_cost_usd"]),
                escape(turn["model"]),
            ]
            for turn in data["usage"]
        ]
        columns = [
            Column("turn", "right", 0),
            *_token_columns("total", cost_priority=1),
            Column("cumulative", "right", 3),
            Column("model", "left", 4),
        ]
        table, left_out = fitted_table("tokens and cost per turn", columns, rows, console.width)
        console.print(table)
        _note_left_out(left_out)


def _token_columns(total: str, cost_priority: int) -> list[Column]:
    """The columns both usage tables (per turn, per model) have: prompt, completion and total
    tokens, and the cost."""
    return [
        Column("prompt", "right", 2),
        Column("completion", "right", 2),
        Column(total, "right", 0),
        Column("cost (USD)", "right", cost_priority),
    ]


def _print_entry(entry: dict[str, Any]) -> None:
    role = entry["role"]
    style = ROLE_STYLE.get(role, "white")
    head = f"[bold {style}]{role}[/]"
    if entry.get("name"):
        head += f" ({escape(str(entry['name']))})"
    if entry["kind"] == "compaction":
        head += (
            f" {entry['action']}: {entry['before_tokens']} -> {entry['after_tokens']} tokens, "
            f"{counted(entry['dropped'], 'message')} left the view"
        )
    console.print(f"{head}: {escape(entry['text'])}" if entry["text"] else head)
    for call in entry.get("tool_calls") or []:
        console.print(f"    [yellow]calls {escape(call['name'])}[/]({escape(json.dumps(call['arguments']))})")


@friendly
def stats(
    session_id: str | None = typer.Argument(None, help="One session (default: the whole namespace)."),
    as_json: bool = typer.Option(False, "--json", help="The figures as JSON."),
    store_url: str | None = STORE_OPTION,
    namespace: str = NAMESPACE_OPTION,
) -> None:
    """Tokens and cost per model, for one session or the whole namespace; turns are user messages,
    calls are model calls."""
    spec = StoreSpec(store_url, namespace, create=False)
    store = spec.open()
    digests, unreadable = run(closing(store, _gather(store, session_id)))
    by_model, totals = _account(digests)
    if as_json:
        print_json({"models": by_model, "totals": totals, "unreadable": unreadable})
        return
    title = f"session {session_id}" if session_id else counted(len(digests), "session")
    rows = [
        [
            escape(model),
            str(row["calls"]),
            str(row["prompt_tokens"]),
            str(row["completion_tokens"]),
            str(row["prompt_tokens"] + row["completion_tokens"]),
            f"{row['cost_usd']:.6f}",
        ]
        for model, row in sorted(by_model.items())
    ]
    rows.append(
        [
            "[bold]total[/]",
            str(totals["calls"]),
            str(sum(r["prompt_tokens"] for r in by_model.values())),
            str(sum(r["completion_tokens"] for r in by_model.values())),
            str(totals["total_tokens"]),
            f"{totals['cost_usd']:.6f}",
        ]
    )
    columns = [
        Column("model", "left", 0, fold=12),
        Column("calls", "right", 1),
        *_token_columns("tokens", cost_priority=0),
    ]
    heading = f"{title}: {counted(totals['messages'], 'message')}, {counted(totals['turns'], 'turn')}"
    table, left_out = fitted_table(heading, columns, rows, console.width)
    console.print(table)
    _note_left_out(left_out)
    for item in unreadable:
        warn(f"session {item['id']} cannot be read and is not counted: {item['error']}")


def _account(digests: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Tokens and cost per model, and the totals, of ``digests``.

    A fork's digest holds the history it shares with its parent, so each message and model call is
    counted once, by its event id: a namespace's totals are what its models were paid for, not that
    plus a copy for every fork. Calls of sessions stored by early versions carry no id and count as
    they are.
    """
    by_model: dict[str, dict[str, Any]] = {}
    seen_entries: set[str] = set()
    seen_calls: set[str] = set()
    messages = turns = calls = tokens = 0
    cost = 0.0
    for data in digests:
        for entry in data["entries"]:
            if entry["kind"] != "message" or entry["id"] in seen_entries:
                continue
            seen_entries.add(entry["id"])
            messages += 1
            if entry["role"] == "user":
                turns += 1
                usage = entry.get("usage") or {}  # tokens a user's message carries count in its turn
                tokens += int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
                cost += usage.get("estimated_cost_usd") or 0.0
        for call in data["model_calls"]:
            if call["entry_id"] is not None:
                if call["entry_id"] in seen_calls:
                    continue
                seen_calls.add(call["entry_id"])
            row = by_model.setdefault(
                call["model"] or "unknown",
                {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0},
            )
            row["calls"] += 1
            row["prompt_tokens"] += call["prompt_tokens"]
            row["completion_tokens"] += call["completion_tokens"]
            row["cost_usd"] += call["cost_usd"] or 0.0
            calls += 1
            tokens += call["prompt_tokens"] + call["completion_tokens"]
            cost += call["cost_usd"] or 0.0
    totals = {
        "sessions": len(digests),
        "messages": messages,
        "turns": turns,
        "calls": calls,
        "total_tokens": tokens,
        "cost_usd": cost,
    }
    return by_model, totals


async def _gather(store: Store, session_id: str | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    from ..errors import SessionNotFound, StorageError
    from ._digest import digest

    if session_id:
        return [await digest(session_id, store)], []
    digests, unreadable = [], []
    for sid in await store.list_sessions():
        try:
            digests.append(await digest(sid, store))
        except SessionNotFound:
            continue
        except (StorageError, UsageError) as exc:
            unreadable.append({"id": sid, "error": " ".join(str(exc).split())})
    return digests, unreadable
