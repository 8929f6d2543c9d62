"""Tool calls and their results, paired: found out when they are not, and repaired where asked.

Providers accept a conversation only if its tool traffic pairs up: every ``tool`` message answers a
call the assistant made before it and that is still open, every call is answered before the next user
message, and no call id is used twice. A history that breaks this fails at the next model call, far
from the code that broke it; these pure functions find the breakage where messages enter.

* :func:`find_pairing_issues` lists every problem (:class:`PairingIssue`), in order.
* :func:`check_tool_pairing` raises :class:`~sessionforge.errors.ToolPairingError` listing them.
* :func:`repair_tool_pairing` returns a history providers accept, and a warning per change: an
  orphaned result is dropped, an unanswered call gets a result saying none was recorded (placed
  after its assistant message's results), a repeated call id is renamed along with the result that
  answers it. Importers use it, as foreign histories are often cut or merged.
* :class:`PairingState` does the same one message at a time, for a session that checks each message
  as it is added (O(1) per message, never a walk over the whole history).

Calls still open at the end are not an issue unless ``complete=True``: a session may be waiting for
its tools to run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ToolPairingError
from .messages import ChatMessage, ToolCall

__all__ = [
    "NO_RESULT",
    "PairingIssue",
    "PairingState",
    "check_tool_pairing",
    "find_pairing_issues",
    "pairing_error",
    "repair_tool_pairing",
]

IssueKind = Literal["orphaned_result", "unanswered_call", "duplicate_id"]

NO_RESULT = "error: no result was recorded for this tool call"
"""The content of the result :func:`repair_tool_pairing` adds for a call that was never answered."""


@dataclass(frozen=True)
class PairingIssue:
    """One pairing problem: what, at which message (its index in the list) and for which call id."""

    kind: IssueKind
    index: int
    tool_call_id: str

    def __str__(self) -> str:
        what = {
            "orphaned_result": "answers no open tool call",
            "unanswered_call": "is never answered before the next user message",
            "duplicate_id": "reuses a tool-call id already used",
        }[self.kind]
        noun = "tool result" if self.kind == "orphaned_result" else "tool call"
        return f"message {self.index}: {noun} {self.tool_call_id!r} {what}"


@dataclass
class PairingState:
    """The open calls and used ids of a history, fed one message at a time.

    ``feed`` returns the issues the message raises (empty if none) and records it as it is, so the
    state follows the history even when the caller lets a problem through.
    """

    open_calls: dict[str, int] = field(default_factory=dict)
    """Open call id -> index of the assistant message that made it."""
    used_ids: set[str] = field(default_factory=set)
    count: int = 0
    repeated: dict[str, int] = field(default_factory=dict)
    """Reused call ids (reported once, as duplicates) -> results still expected for them."""

    def feed(self, message: ChatMessage) -> list[PairingIssue]:
        index, self.count = self.count, self.count + 1
        issues: list[PairingIssue] = []
        if message.role == "assistant":
            for call in message.tool_calls:
                if call.id in self.used_ids:
                    issues.append(PairingIssue("duplicate_id", index, call.id))
                    self.repeated[call.id] = self.repeated.get(call.id, 0) + 1
                    continue
                self.used_ids.add(call.id)
                self.open_calls[call.id] = index
        elif message.role == "tool":
            call_id = message.tool_call_id or ""
            if self.open_calls.pop(call_id, None) is None:
                if self.repeated.get(call_id):  # the answer to a reused id, already reported
                    self.repeated[call_id] -= 1
                else:
                    issues.append(PairingIssue("orphaned_result", index, call_id))
        elif message.role == "user":
            issues += self.close(at=index)
        return issues

    def feed_all(self, messages: Sequence[ChatMessage]) -> None:
        """:meth:`feed` each of ``messages``, in order, dropping the issues (a history read back is
        recorded as it is). Messages that cannot change the state (no tool calls, nothing open to
        close) only advance the count."""
        base, open_calls = self.count, self.open_calls  # feed and close change open_calls in place
        for index, message in enumerate(messages):
            fields = message.__dict__  # one read of the model for its several fields
            role = fields["role"]
            if fields["tool_calls"] or role == "tool" or (role == "user" and open_calls):
                self.count = base + index
                self.feed(message)
        self.count = base + len(messages)

    def problems(self, message: ChatMessage) -> list[PairingIssue]:
        """The issues ``message`` would raise, without recording it (O(its tool calls))."""
        index = self.count
        if message.role == "assistant":
            seen: set[str] = set()
            issues = []
            for call in message.tool_calls:
                if call.id in self.used_ids or call.id in seen:
                    issues.append(PairingIssue("duplicate_id", index, call.id))
                seen.add(call.id)
            return issues
        if message.role == "tool":
            call_id = message.tool_call_id or ""
            if call_id not in self.open_calls and not self.repeated.get(call_id):
                return [PairingIssue("orphaned_result", index, call_id)]
            return []
        if message.role == "user":
            return [PairingIssue("unanswered_call", index, call_id) for call_id in self.open_calls]
        return []

    def check(self, message: ChatMessage) -> None:
        """Raise ToolPairingError if ``message`` would break the pairing; record it only if not."""
        issues = self.problems(message)
        if issues:
            raise pairing_error(issues)
        self.feed(message)

    def close(self, at: int | None = None) -> list[PairingIssue]:
        """The calls still open, as unanswered (at message ``at``, or each at its call); now closed."""
        issues = [
            PairingIssue("unanswered_call", made if at is None else at, call_id)
            for call_id, made in self.open_calls.items()
        ]
        self.open_calls.clear()
        return issues


def find_pairing_issues(messages: Iterable[ChatMessage], *, complete: bool = False) -> list[PairingIssue]:
    """Every pairing problem of ``messages``, in order. With ``complete=True`` calls left open at
    the end are problems too (a finished conversation, such as one being imported)."""
    state = PairingState()
    issues: list[PairingIssue] = []
    for message in messages:
        issues += state.feed(message)
    if complete:
        issues += state.close()
    return issues


def check_tool_pairing(messages: Iterable[ChatMessage], *, complete: bool = False) -> None:
    """Raise :class:`ToolPairingError` listing every problem of ``messages`` (see the module doc)."""
    issues = find_pairing_issues(messages, complete=complete)
    if issues:
        raise pairing_error(issues)


def pairing_error(issues: Sequence[PairingIssue]) -> ToolPairingError:
    shown = "; ".join(str(i) for i in issues[:5])
    more = f"; and {len(issues) - 5} more" if len(issues) > 5 else ""
    return ToolPairingError(
        f"tool calls and results do not pair up: {shown}{more}. Each tool result must answer an open "
        f"call of an earlier assistant message, each call must be answered before the next user "
        f"message, and each call id used once",
        issues=issues,
    )


def repair_tool_pairing(
    messages: Sequence[ChatMessage], *, complete: bool = True
) -> tuple[list[ChatMessage], list[str]]:
    """``messages`` with their tool pairing repaired, and one warning per change (see the module doc).

    With ``complete=True`` (the default, for imports) calls left open at the end are answered too.
    A history without problems comes back unchanged, with no warnings.
    """
    out: list[ChatMessage] = []
    warnings: list[str] = []
    open_calls: dict[str, int] = {}  # open call id (after renaming) -> index in ``out`` of its assistant
    used: set[str] = set()
    renamed: dict[str, list[str]] = {}  # original id -> new ids of its later, renamed uses

    def answer_open() -> None:
        by_assistant: dict[int, list[str]] = {}
        for call_id, at in open_calls.items():
            by_assistant.setdefault(at, []).append(call_id)
        for at in sorted(by_assistant, reverse=True):  # from the end, so earlier positions hold
            place = at + 1
            while place < len(out) and out[place].role == "tool":
                place += 1
            names = {c.id: c.name for c in out[at].tool_calls}
            fillers = [
                ChatMessage.tool(NO_RESULT, tool_call_id=c, name=names.get(c)) for c in by_assistant[at]
            ]
            out[place:place] = fillers
            warnings.extend(
                f"tool call {c!r} was never answered: added a result saying so" for c in by_assistant[at]
            )
        open_calls.clear()

    for index, message in enumerate(messages):
        if message.role == "assistant" and message.tool_calls:
            calls: list[ToolCall] = []
            for call in message.tool_calls:
                call_id = call.id
                if call_id in used:
                    call_id = _fresh(call.id, used)
                    renamed.setdefault(call.id, []).append(call_id)
                    warnings.append(
                        f"message {index}: tool-call id {call.id!r} was used before: renamed {call_id!r}"
                    )
                    call = ToolCall(id=call_id, name=call.name, arguments=call.arguments)
                used.add(call_id)
                open_calls[call_id] = len(out)
                calls.append(call)
            out.append(message if calls == message.tool_calls else _with(message, tool_calls=calls))
        elif message.role == "tool":
            wanted = message.tool_call_id or ""
            # The oldest open use of this id: the call as written, or a later renamed use of it.
            target = next((c for c in (wanted, *renamed.get(wanted, ())) if c in open_calls), None)
            if target is None:
                warnings.append(f"message {index}: tool result {wanted!r} answers no open call: dropped")
                continue
            del open_calls[target]
            out.append(message if target == wanted else _with(message, tool_call_id=target))
        else:
            if message.role == "user" and open_calls:
                answer_open()
            out.append(message)
    if complete and open_calls:
        answer_open()
    return out, warnings


def _with(message: ChatMessage, **changes: object) -> ChatMessage:
    """A copy of ``message`` with ``changes``, and a token cache of its own (counts may differ)."""
    copy = message.model_copy(update=changes)
    private = copy.__pydantic_private__
    assert private is not None
    private["_token_cache"] = {}
    return copy


def _fresh(call_id: str, used: set[str]) -> str:
    n = 2
    while f"{call_id}~{n}" in used:
        n += 1
    return f"{call_id}~{n}"
