"""The conversation logic behind both wire-protocol servers.

Replies depend on the whole conversation received, so a test can tell whether history was really sent:
a name given earlier is recalled, an earlier question is recalled, a tool is requested when one is
offered and asked for, a tool result is reported back, anything else is echoed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Turn:
    """One message, reduced to what the brain reads."""

    role: str
    text: str = ""
    tool_results: list[str] = field(default_factory=list)
    tool_calls: list[str] = field(default_factory=list)


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


_TOOL_REQUEST = re.compile(r"use the (\w+) tool(?: with (.*))?", re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r"my name is (\w+)", re.IGNORECASE)


def _words(text: str) -> int:
    return len(text.split())


def _tool_arguments(spec: str | None) -> dict[str, Any] | str:
    if not spec:
        return {}
    spec = spec.strip()
    if spec.startswith("raw:"):
        return spec[4:]
    return dict(json.loads(spec))


def think(turns: list[Turn], tools: list[str], padding: int = 0) -> Reply:
    """The reply to a conversation, with token counts a real provider would report.

    ``padding`` adds that many words to an echo, for tests that need replies as long as real ones.
    """
    prompt_tokens = sum(_words(t.text) + 4 + sum(_words(r) for r in t.tool_results) for t in turns)
    prompt_tokens += sum(5 + len(name) // 4 for name in tools)
    reply = Reply(prompt_tokens=prompt_tokens)
    last = turns[-1] if turns else Turn(role="user")
    users = [t for t in turns if t.role == "user" and t.text]
    question = last.text.strip() if last.role == "user" else ""
    if last.tool_results:
        reply.text = "The tool returned: " + ", ".join(last.tool_results)
    elif tools and (match := _TOOL_REQUEST.search(question)) and match.group(1) in tools:
        reply.tool_calls.append((match.group(1), _tool_arguments(match.group(2))))
    elif re.search(r"what('s| is) my name", question, re.IGNORECASE):
        names = [m.group(1) for t in users for m in _NAME.finditer(t.text)]
        reply.text = f"Your name is {names[-1]}." if names else "I don't know your name yet."
    elif re.search(r"what was my question about", question, re.IGNORECASE):
        earlier = [t.text for t in users[:-1] if t.text.strip().endswith("?")]
        reply.text = f"Your question was about: {earlier[-1]}" if earlier else "You asked no question."
    else:
        reply.text = f"Echo: {question}" if question else "Hello!"
        if padding:
            reply.text += " " + " ".join(["more"] * padding)
    reply.completion_tokens = max(1, _words(reply.text) + 8 * len(reply.tool_calls))
    return reply
