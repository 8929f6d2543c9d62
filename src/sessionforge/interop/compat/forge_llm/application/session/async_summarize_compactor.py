"""forge_llm's ``AsyncSummarizeCompactor``: ``await compactor.compact(messages, target_tokens)``.

The same compaction as :class:`~.summarize_compactor.SummarizeCompactor`, with the summary asked of an
``AsyncChatAgent`` and retried without blocking the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from sessionforge.context.compactors import TruncateCompactor as NativeTruncate
from sessionforge.context.summarizing import SummarizeCompactor as NativeSummarize
from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.tokens import TokenCounter, counter_for_model
from sessionforge.errors import ContextOverflowError

from ...domain.entities import ChatMessage
from ...domain.exceptions import translating
from ...prompts import DEFAULT_PROMPTS
from .summarize_compactor import EmptySummaryError, SummaryAgent, load_summary_prompt, summary_prompt_for

__all__ = ["AsyncSummarizeCompactor"]

logger = logging.getLogger("sessionforge.compat.forge_llm")


class AsyncSummarizeCompactor(NativeSummarize):
    """Summarizes older messages with an async ``agent`` and keeps the ``keep_recent`` newest ones."""

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
        super().__init__(self._summarize, keep_recent=keep_recent, max_summary_tokens=summary_tokens)
        self._agent = agent
        self._summary_prompt = load_summary_prompt(summary_prompt, prompt_file)
        self._max_retries = max(max_retries, 1)
        self._retry_delay = retry_delay

    async def _summarize(self, request: list[NativeMessage]) -> str:
        prompt = summary_prompt_for(self._summary_prompt, request)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries),
            wait=wait_exponential(multiplier=self._retry_delay, max=60),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                response = await self._agent.chat(prompt, auto_execute_tools=False)
                text = response.content or ""
                if not text.strip():
                    raise EmptySummaryError("the summary came back empty")
        return text

    async def acompact(
        self, messages: Sequence[NativeMessage], target_tokens: int, counter: TokenCounter
    ) -> list[NativeMessage]:
        try:
            return await super().acompact(messages, target_tokens, counter)
        except ContextOverflowError:
            raise
        except Exception as exc:
            logger.warning(
                "summary failed after %d attempts (%s): truncating instead", self._max_retries, exc
            )
            return NativeTruncate()(messages, target_tokens, counter)

    async def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
        """Compact forge_llm messages; kept messages come back as the same objects."""
        with translating():
            native = [message.to_native() for message in messages]
            origin = {id(n): m for n, m in zip(native, messages, strict=True)}
            result = await self.acompact(native, target_tokens, counter_for_model(None))
        return [origin.get(id(message)) or ChatMessage.from_native(message) for message in result]

    def __repr__(self) -> str:
        return f"AsyncSummarizeCompactor(agent={self._agent!r}, keep_recent={self.keep_recent})"
