"""A session read for people: its place in the session tree, its conversation, and its usage per turn.

``sessions show``, ``sessions list`` (through :mod:`._overview`) and the web inspector all read
sessions through this module, so the terminal and the browser can never disagree about what a
session contains. The digests are plain JSON-ready dicts because the inspector serves them as they
are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..core.events import USAGE_KEY, EventType, SessionEvent, event_usage
from ..core.messages import ChatMessage
from ..core.projection import event_messages
from ..storage.base import Store
from ..storage.forks import branches_in, list_branches
from ..storage.session import Session

__all__ = [
    "LEGACY_TURNS_KEY",
    "broken_row",
    "digest",
    "message_usage",
    "row_of",
    "summary_row",
    "usage_rows",
]

LEGACY_TURNS_KEY = "turns"
"""Key of ``ChatSession.metadata`` under which early versions of ``sessionforge chat`` kept a list of
per-turn usage. Replies now carry their own usage (``USAGE_KEY`` in the message metadata); the list
is still read for sessions stored that way."""


def message_usage(message: ChatMessage) -> dict[str, Any] | None:
    """The usage the agent stored with an assistant reply, or ``None``."""
    usage = message.metadata.get(USAGE_KEY) if message.role == "assistant" else None
    return usage if isinstance(usage, dict) else None


def _usage_row(usage: dict[str, Any], label: str = "") -> dict[str, Any]:
    """A stored ``TokenUsage`` (as JSON) as one row of a usage table."""
    return {
        "label": label,
        "prompt_tokens": int(usage.get("prompt_tokens", 0)),
        "completion_tokens": int(usage.get("completion_tokens", 0)),
        "cost_usd": usage.get("estimated_cost_usd"),
        "model": str(usage.get("model") or ""),
    }


def usage_rows(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    """One row per model call that wrote one of ``messages``: tokens, cost and model."""
    return [_usage_row(usage) for m in messages if (usage := message_usage(m)) is not None]


def _text(payload: Any) -> str:
    if payload is None:
        return ""
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, default=str)


def _entry(event: SessionEvent) -> dict[str, Any] | None:
    """One conversation item, or ``None`` for bookkeeping that is not part of what was said.

    Messages come from the one projection of events (what the model saw); a recorded tool use is
    one item holding the call and its result.
    """
    base: dict[str, Any] = {
        "id": event.id,
        "seq": event.seq,
        "timestamp": event.timestamp.isoformat(),
        "type": event.type.value,
    }
    payload = event.message
    messages = event_messages(event)
    if event.type == EventType.COMPACTION and isinstance(payload, dict):
        if payload.get("action") == "view":
            return None
        base.update(
            kind="compaction",
            role="compaction",
            action=payload.get("action", "compact"),
            text=payload.get("summary") or "",
            summary=payload.get("summary"),
            dropped=len(payload.get("dropped") or []),
            view_ids=list(payload.get("view") or []),
            dropped_ids=list(payload.get("dropped") or []),
            compactor=payload.get("compactor") or "",
            before_tokens=payload.get("before_tokens"),
            after_tokens=payload.get("after_tokens"),
        )
    elif event.type == EventType.SUMMARY and not isinstance(payload, ChatMessage):
        base.update(kind="summary", role="summary", text=_text(payload), summary=_text(payload))
    elif not messages:
        return None
    else:
        calls = [c for m in messages for c in m.tool_calls]
        last = messages[-1]
        base.update(
            kind="message",
            role=last.role,
            text=last.text,
            name=last.name,
            tool_call_id=last.tool_call_id,
            tool_calls=[{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls],
        )
    usage = event_usage(event)
    if usage is not None:
        base["usage"] = usage.model_dump(mode="json")
    return base


MODEL_FREE_SUMMARIZERS = frozenset({"extractive"})
"""Summarizers that run no model: their usage counts tokens but names no model and no call."""


def _from_model(entry: dict[str, Any]) -> bool:
    """Whether an entry's usage was reported by a model call (a reply, or a model's summary)."""
    usage = entry.get("usage") or {}
    model = str(usage.get("model") or "")
    if entry["role"] == "assistant":
        return True
    if entry["kind"] == "summary":
        return bool(model) and model not in MODEL_FREE_SUMMARIZERS
    return False


def _latency_ms(entry: dict[str, Any], previous: dict[str, Any] | None) -> float | None:
    """How long a call took: the reply's own record if it has one, else the time since the event
    before it (the message it answered)."""
    usage = entry.get("usage") or {}
    for value in (usage.get("latency_ms"), (entry.get("metadata") or {}).get("latency_ms")):
        if isinstance(value, int | float):
            return float(value)
    if previous is None:
        return None
    delta = (_time(entry["timestamp"]) - _time(previous["timestamp"])).total_seconds() * 1000
    return round(delta, 1) if delta >= 0 else None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _calls(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per model call, with the turn it belongs to (a turn opens with a user message)."""
    calls: list[dict[str, Any]] = []
    turn = 0
    previous: dict[str, Any] | None = None
    for entry in entries:
        if entry["kind"] == "message" and entry["role"] == "user":
            turn += 1
        if entry.get("usage") and _from_model(entry):
            row = _usage_row(entry["usage"], (entry.get("text") or entry["role"])[:40])
            row.update(
                turn=turn,
                entry_id=entry["id"],
                timestamp=entry["timestamp"],
                latency_ms=_latency_ms(entry, previous),
            )
            entry["latency_ms"] = row["latency_ms"]
            calls.append(row)
        previous = entry
    return calls


def _legacy_calls(session: Session) -> list[dict[str, Any]]:
    """Per-turn usage as early versions of ``sessionforge chat`` kept it, one call per turn."""
    chat_meta = session.metadata.properties.get("metadata")
    if not isinstance(chat_meta, dict):
        return []
    out = []
    for number, item in enumerate(chat_meta.get(LEGACY_TURNS_KEY) or [], start=1):
        if isinstance(item, dict):
            out.append(
                {
                    "label": str(item.get("label", ""))[:40],
                    "prompt_tokens": int(item.get("prompt_tokens", 0)),
                    "completion_tokens": int(item.get("completion_tokens", 0)),
                    "cost_usd": item.get("cost_usd"),
                    "model": str(item.get("model", "")),
                    "turn": number,
                    "entry_id": None,
                    "timestamp": None,
                    "latency_ms": None,
                }
            )
    return out


def _turns(entries: list[dict[str, Any]], calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tokens and cost per turn (a user message and every model call until the next one), with the
    cumulative cost. Tokens the user's own messages carry count in their turn; only model calls
    name models. The same counting backs ``sessions list``, ``show``, ``stats``, ``chat`` and the
    inspector."""
    by_turn: dict[int, dict[str, Any]] = {}
    labels: dict[int, tuple[str, str]] = {}
    turn = 0
    for entry in entries:
        if entry["kind"] == "message" and entry["role"] == "user":
            turn += 1
            labels[turn] = ((entry.get("text") or "")[:40], entry["timestamp"])
            if entry.get("usage"):
                row = _usage_row(entry["usage"])
                _add(by_turn, turn, {**row, "model": "", "calls": 0, "latency_ms": None})
    for call in calls:
        _add(by_turn, call["turn"], {**call, "calls": 1})
    cumulative = 0.0
    out: list[dict[str, Any]] = []
    for number in sorted(by_turn):
        item = by_turn[number]
        cumulative += item["cost_usd"] or 0.0
        label, started = labels.get(number, ("", None))
        out.append(
            {
                "turn": number,
                "label": label,
                "started_at": started or item.get("timestamp"),
                "prompt_tokens": item["prompt_tokens"],
                "completion_tokens": item["completion_tokens"],
                "total_tokens": item["prompt_tokens"] + item["completion_tokens"],
                "cost_usd": item["cost_usd"],
                "cumulative_cost_usd": cumulative,
                "model": ", ".join(item["models"]),
                "calls": item["calls"],
                "latency_ms": item["latency_ms"],
            }
        )
    return out


def _add(by_turn: dict[int, dict[str, Any]], turn: int, row: dict[str, Any]) -> None:
    into = by_turn.setdefault(
        turn,
        {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": None,
            "models": [],
            "calls": 0,
            "latency_ms": None,
            "timestamp": row.get("timestamp"),
        },
    )
    into["prompt_tokens"] += row["prompt_tokens"]
    into["completion_tokens"] += row["completion_tokens"]
    if row["cost_usd"] is not None:
        into["cost_usd"] = (into["cost_usd"] or 0.0) + row["cost_usd"]
    if row["model"] and row["model"] not in into["models"]:
        into["models"].append(row["model"])
    into["calls"] += row["calls"]
    if row.get("latency_ms") is not None:
        into["latency_ms"] = (into["latency_ms"] or 0.0) + row["latency_ms"]


def summary_row(
    session: Session,
    branches: list[str],
    entries: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    turns: list[dict[str, Any]],
) -> dict[str, Any]:
    """The one-line facts about a session (a row of ``sessions list``, a node of the inspector's tree)."""
    props = session.metadata.properties
    origin = session.fork_of
    kind = "fork" if origin is not None else "segment" if session.parent_id else "session"
    models = sorted({c["model"] for c in calls if c["model"]}) or (
        [str(props["model"])] if props.get("model") and calls else []
    )
    return {
        "id": session.id,
        "kind": kind,
        "face": props.get("face", "session"),
        "parent_id": session.parent_id,
        "child_ids": list(session.child_ids),
        "fork_of": None if origin is None else {"session_id": origin.session_id, "seq": origin.seq},
        "branches": branches,
        "created_at": session.metadata.created_at.isoformat(),
        "updated_at": session.metadata.updated_at.isoformat(),
        "messages": sum(1 for e in entries if e["kind"] == "message"),
        "turns": sum(1 for e in entries if e["kind"] == "message" and e["role"] == "user"),
        "calls": len(calls),
        "total_tokens": sum(t["total_tokens"] for t in turns),
        "cost_usd": sum(t["cost_usd"] or 0.0 for t in turns),
        "models": models,
        "error": None,
    }


async def digest(
    session_id: str, store: Store, session: Session | None = None, branches: list[str] | None = None
) -> dict[str, Any]:
    """Everything about one session: its summary row, conversation entries, model calls and usage
    per turn. ``session`` and ``branches`` are what the caller already read, if it did; otherwise
    both come from one load of the session's records."""
    if session is None:
        records = await store.load(session_id)
        session = await Session.from_records(session_id, records, store)  # none: SessionNotFound
        if branches is None:
            branches = branches_in(records)
    entries = [e for e in (_entry(event) for event in session.events) if e is not None]
    if session.system_prompt:  # a setting of the session, shown where the model reads it: first
        created = session.metadata.created_at.isoformat()
        prompt: dict[str, Any] = {"id": f"{session_id}#system", "seq": None, "timestamp": created}
        prompt.update(
            type="message", kind="message", role="system", text=session.system_prompt, tool_calls=[]
        )
        entries.insert(0, prompt)
    calls = _calls(entries) or _legacy_calls(session)
    turns = _turns(entries, calls)
    if branches is None:
        branches = await list_branches(session_id, store)
    return {
        **summary_row(session, branches, entries, calls, turns),
        "properties": session.metadata.properties,
        "entries": entries,
        "model_calls": calls,
        "usage": turns,
    }


def broken_row(session_id: str, exc: Exception) -> dict[str, Any]:
    """The row of a session that cannot be read: listed with why, never failing the whole list."""
    return {
        "id": session_id,
        "kind": "unreadable",
        "face": None,
        "parent_id": None,
        "child_ids": [],
        "fork_of": None,
        "branches": [],
        "created_at": None,
        "updated_at": None,
        "messages": 0,
        "turns": 0,
        "calls": 0,
        "total_tokens": 0,
        "cost_usd": 0.0,
        "models": [],
        "error": " ".join(str(exc).split()),
    }


ROW_KEYS = ("entries", "usage", "model_calls", "properties")


def row_of(full: dict[str, Any]) -> dict[str, Any]:
    """A digest without its conversation: the summary row."""
    return {k: v for k, v in full.items() if k not in ROW_KEYS}
