"""forge_llm's ``AsyncSummarizeCompactor``: ``await compactor.compact(messages, target_tokens)``.

The same compaction as :class:`~.summarize_compactor.SummarizeCompactor`, with the summary asked of an
``AsyncChatAgent`` and retried without blocking the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenacity import AsyncRetrying

from sessionforge.context.summarizing import SummarizeCompactor as NativeSummarize
from sessionforge.core.messages import ChatMessage as NativeMessage
from sessionforge.core.tokens import TokenCounter, counter_for_model

from ...domain.entities import ChatMessage
from ...domain.exceptions import translating
from .compactor import from_native, to_native
from .summarize_compactor import AgentSummaries, summary_prompt_for

__all__ = ["AsyncSummarizeCompactor"]


class AsyncSummarizeCompactor(AgentSummaries):
    """Summarizes older messages with an async ``agent`` and keeps the ``keep_recent`` newest ones."""

    async def _summarize(self, request: list[NativeMessage]) -> str:
        prompt = summary_prompt_for(self._summary_prompt, request)
        async for attempt in AsyncRetrying(**self._retries()):
            with attempt:
                text = self._text(await self._agent.chat(prompt, auto_execute_tools=False))
        return text

    async def acompact(
        self, messages: Sequence[NativeMessage], target_tokens: int, counter: TokenCounter
    ) -> list[NativeMessage]:
        try:
            return await NativeSummarize.acompact(self, messages, target_tokens, counter)
        except Exception as exc:
            return self._truncated(exc, messages, target_tokens, counter)

    async def compact(self, messages: list[ChatMessage], target_tokens: int) -> list[ChatMessage]:
        """Compact forge_llm messages; kept messages come back as the same objects."""
        with translating():
            native, origin = to_native(messages)
            result = await self.acompact(native, target_tokens, counter_for_model(None))
        return from_native(result, origin)
