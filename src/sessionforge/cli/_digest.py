"""A session read for people: its place in the session tree, its conversation, and its usage per turn.

``sessions show``, ``sessions list`` and the web inspector all read sessions through this module, so
the terminal and the browser can never disagree about what a session contains. The digests are plain
JSON-ready dicts because the inspector serves them as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..core.events import USAGE_KEY, EventType, SessionEvent, event_usage
from ..core.messages import ChatMessage
from ..core.projection import event_messages
from ..errors import SessionNotFound
from ..storage.base import Store
from ..storage.forks import list_branches
from ..storage.session import Session

__all__ = ["LEGACY_TURNS_KEY", "digest", "message_usage", "overview", "summary_row", "usage_rows"]

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


def _turns(session: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tokens and cost per turn, with the cumulative cost: from the events' own usage or the usage a
    reply carries, else from the per-turn list early versions of ``sessionforge chat`` kept."""
    raw: list[dict[str, Any]] = []
    for entry in entries:
        usage = entry.get("usage")
        if usage:
            raw.append(_usage_row(usage, (entry.get("text") or entry.get("role") or "")[:40]))
    chat_meta = session.metadata.properties.get("metadata")
    if not raw and isinstance(chat_meta, dict):
        for item in chat_meta.get(LEGACY_TURNS_KEY) or []:
            if isinstance(item, dict):
                raw.append(
                    {
                        "label": str(item.get("label", ""))[:40],
                        "prompt_tokens": int(item.get("prompt_tokens", 0)),
                        "completion_tokens": int(item.get("completion_tokens", 0)),
                        "cost_usd": item.get("cost_usd"),
                        "model": str(item.get("model", "")),
                    }
                )
    cumulative = 0.0
    out: list[dict[str, Any]] = []
    for number, item in enumerate(raw, start=1):
        cumulative += item["cost_usd"] or 0.0
        total = item["prompt_tokens"] + item["completion_tokens"]
        out.append({"turn": number, **item, "total_tokens": total, "cumulative_cost_usd": cumulative})
    return out


def summary_row(
    session: Session, branches: list[str], turns: list[dict[str, Any]], messages: int
) -> dict[str, Any]:
    """The one-line facts about a session (a row of ``sessions list``, a node of the inspector's tree)."""
    props = session.metadata.properties
    origin = session.fork_of
    kind = "fork" if origin is not None else "segment" if session.parent_id else "session"
    models = sorted({t["model"] for t in turns if t["model"]}) or (
        [str(props["model"])] if props.get("model") else []
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
        "messages": messages,
        "turns": len(turns),
        "total_tokens": sum(t["total_tokens"] for t in turns),
        "cost_usd": sum(t["cost_usd"] or 0.0 for t in turns),
        "models": models,
    }


async def digest(session_id: str, store: Store) -> dict[str, Any]:
    """Everything about one session: its summary row, conversation entries and per-turn usage."""
    session = await Session.load(session_id, store)
    if session is None:
        raise SessionNotFound(session_id)
    entries = [e for e in (_entry(event) for event in session.events) if e is not None]
    if session.system_prompt:  # a setting of the session, shown where the model reads it: first
        created = session.metadata.created_at.isoformat()
        prompt: dict[str, Any] = {"id": f"{session_id}#system", "seq": None, "timestamp": created}
        prompt.update(
            type="message", kind="message", role="system", text=session.system_prompt, tool_calls=[]
        )
        entries.insert(0, prompt)
    turns = _turns(session, entries)
    branches = await list_branches(session_id, store)
    messages = sum(1 for e in entries if e["kind"] == "message")
    return {
        **summary_row(session, branches, turns, messages),
        "properties": session.metadata.properties,
        "entries": entries,
        "usage": turns,
    }


async def overview(store: Store, prefix: str = "") -> list[dict[str, Any]]:
    """The summary row of every session in the store, most recently updated first."""
    rows = []
    for session_id in await store.list_sessions(prefix):
        full = await digest(session_id, store)
        rows.append({k: v for k, v in full.items() if k not in {"entries", "usage", "properties"}})
    rows.sort(key=lambda r: r["updated_at"], reverse=True)
    return rows
