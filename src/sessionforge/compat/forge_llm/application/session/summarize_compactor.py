"""forge_llm's ``SummarizeCompactor``: an agent summarizes what is dropped, over sessionforge's.

The compaction is sessionforge's rolling-summary compactor (one summary message after the system
messages, recent turns kept whole, the summary folded into the next one); the summary text comes from
the agent, asked with forge_llm's prompt template (``{messages}`` is the transcript). A summary that
fails after ``max_retries`` attempts, or comes back empty, falls back to truncation, as in forge_llm.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tenacity import Retrying, stop_after_attempt, wait_exponential

from sessionforge.context.compactors import TruncateCompactor as NativeTruncate
from sessionforge.context.summarize import render_transcript, summary_request_parts
from sessionforge.context.summarizing import SummarizeCompactor as NativeSummarize
from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.tokens import TokenCounter
from sessionforge.errors import ContextOverflowError

from ...domain.entities import ChatMessage
from ...prompts import DEFAULT_PROMPTS, load_prompt, load_prompt_from_file
from .compactor import SessionCompactor, compact_with

__all__ = [
    "AgentSummaries",
    "SummarizeCompactor",
    "SummaryAgent",
    "load_summary_prompt",
    "summary_prompt_for",
]

logger = logging.getLogger("sessionforge.compat.forge_llm")


class SummaryAgent(Protocol):
    """What the compactor needs of an agent: ``chat(prompt, auto_execute_tools=False).content``."""

    def chat(
        self, messages: Any = None, config: Any = None, session: Any = None, auto_execute_tools: bool = True
    ) -> Any: ...


class EmptySummaryError(Exception):
    """The agent answered with no text; retried like a failure."""


def load_summary_prompt(summary_prompt: str | None, prompt_file: str | Path | None) -> str:
    """The template to use: the one given, the first code block of ``prompt_file``, a ``summarization``
    prompt file, or the built-in default."""
    if summary_prompt:
        return summary_prompt
    if prompt_file:
        return load_prompt_from_file(prompt_file)
    try:
        return load_prompt("summarization")
    except FileNotFoundError:
        return DEFAULT_PROMPTS["summarization"]


def summary_prompt_for(template: str, request: list[NativeMessage]) -> str:
    """The template filled with the transcript of a sessionforge summary request (and the summary so far)."""
    parts = summary_request_parts(request)
    transcript = parts[3] if parts else render_transcript(request)
    previous = parts[2] if parts else None
    text = (f"Summary so far: {previous}\n\n" if previous else "") + transcript
    return template.replace("{messages}", text)


class AgentSummaries(NativeSummarize):
    """sessionforge's summarizing compactor with the summary asked of a forge_llm agent; the sync
    and async compactors differ only in how they ask (:meth:`_summarize`).

    A summary that fails after ``max_retries`` attempts, or comes back empty, falls back to
    truncation; a conversation that cannot fit at all still raises ``ContextOverflowError``.
    """

    DEFAULT_SUMMARY_PROMPT = DEFAULT_PROMPTS["summarization"]

    def __init__(
        self,
        agent: SummaryAgent,
        summary_tokens: int = 200,
        keep_recent: int = 4,
        summary_prompt: str | None = None,
        prompt_file: str | Path | None = None,
        max_retries: int = 3,
        retry_delay: float = 1.0,
    ) -> None:
        NativeSummarize.__init__(
            self, self._summarize, keep_recent=keep_recent, max_summary_tokens=summary_tokens
        )
        self._agent = agent
        self._summary_prompt = load_summary_prompt(summary_prompt, prompt_file)
        self._max_retries = max(max_retries, 1)
        self._retry_delay = retry_delay

    def _summarize(self, request: list[NativeMessage]) -> str | Awaitable[str]:
        raise NotImplementedError

    def _retries(self) -> dict[str, Any]:
        """tenacity's settings: ``max_retries`` attempts, waits growing from ``retry_delay``."""
        return {
            "stop": stop_after_attempt(self._max_retries),
            "wait": wait_exponential(multiplier=self._retry_delay, max=60),
            "reraise": True,
        }

    @staticmethod
    def _text(response: Any) -> str:
        text = str(response.content or "")
        if not text.strip():
            raise EmptySummaryError("the summary came back empty")
        return text

    def _truncated(
        self, failure: Exception, messages: Sequence[NativeMessage], target_tokens: int, counter: TokenCounter
    ) -> list[NativeMessage]:
        """What a failed summary leaves: truncation (an overflow is raised as it is)."""
        if isinstance(failure, ContextOverflowError):
            raise failure
        logger.warning(
            "summary failed after %d attempts (%s): truncating instead", self._max_retries, failure
        )
        return NativeTruncate()(messages, target_tokens, counter)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(agent={self._agent!r}, keep_recent={self.keep_recent})"


class SummarizeCompactor(SessionCompactor, AgentSummaries):
    """Summarizes older messages with ``agent`` and keeps the ``keep_recent`` newest ones."""

    def _summarize(self, request: list[NativeMessage]) -> str:
        prompt = summary_prompt_for(self._summary_prompt, request)
        for attempt in Retrying(**self._retries()):
            with attempt:
                text = self._text(self._agent.chat(prompt, auto_execute_tools=False))
        return text

    def __call__(
        self, messages: Sequence[NativeMessage], target_tokens: int, counter: TokenCounter
    ) -> list[NativeMessage]:
        try:
            return NativeSummarize.__call__(self, messages, target_tokens, counter)
        except Exception as exc:
            return self._truncated(exc, messages, target_tokens, counter)

    def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
        return compact_with(self, messages, target_tokens)
