"""Rebuilding what the model sees from a log that compaction never rewrote.

A compaction appends a ``COMPACTION`` record; the dialogue events it hides stay in the log. Each such
record carries the view that results, as the ids of the events the model sees, in order::

    {"action": "compact" | "undo" | "view",
     "view": [event ids], "dropped": [event ids], "added": [event ids],
     "summary": str | None, "compactor": str,
     "before_tokens": int, "after_tokens": int, "target_tokens": int | None,
     "undoes": record id (undo only)}

Replaying the log is then one rule: a dialogue event is appended to the view, a compaction record
replaces the view with the one it names. ``added`` are events the compaction itself wrote just before
its record (a summary), so undoing it leaves them out. ``undo`` restores the view from before the most
recent compaction still in force, plus every dialogue event written since. :class:`ViewReplay` is pure;
the faces feed it their events and record what it computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["CompactionRecord", "ViewReplay"]


class CompactionRecord(BaseModel):
    """The body of a ``COMPACTION`` event (validated when read back)."""

    action: Literal["compact", "undo", "view"] = "compact"
    view: list[str] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    summary: str | None = None
    compactor: str = ""
    before_tokens: int = 0
    after_tokens: int = 0
    target_tokens: int | None = None
    undoes: str | None = None


@dataclass
class _InForce:
    record_id: str
    before: list[str]
    mark: int
    record: CompactionRecord


@dataclass
class ViewReplay:
    """Folds dialogue events and compaction records, in log order, into the current view."""

    view: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    in_force: list[_InForce] = field(default_factory=list)
    _known: set[str] = field(default_factory=set)
    _retracted: set[str] = field(default_factory=set)  # summaries of undone compactions

    def add_events(self, event_ids: Sequence[str]) -> None:
        """Events folded into the view, in order."""
        self.view += event_ids
        self.order += event_ids
        self._known.update(event_ids)

    def apply(self, record_id: str, body: dict[str, Any] | CompactionRecord) -> CompactionRecord:
        record = body if isinstance(body, CompactionRecord) else CompactionRecord.model_validate(body)
        if record.action == "undo":
            for index in range(len(self.in_force) - 1, -1, -1):
                if self.in_force[index].record_id == record.undoes:
                    self._retracted.update(self.in_force.pop(index).record.added)
                    break
        else:
            added = set(record.added)
            before = [v for v in self.view if v not in added]
            self.in_force.append(_InForce(record_id, before, len(self.order), record))
        self.view = [v for v in record.view if v in self._known]
        return record

    def undo_view(self) -> tuple[str, list[str]] | None:
        """(id of the compaction to undo, the view that undoing it gives), or ``None``."""
        if not self.in_force:
            return None
        top = self.in_force[-1]
        hidden = self._retracted | set(top.record.added)
        since = [e for e in self.order[top.mark :] if e not in hidden]
        return top.record_id, [*top.before, *since]
