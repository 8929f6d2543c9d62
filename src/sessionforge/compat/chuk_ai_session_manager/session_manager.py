"""``chuk_ai_session_manager.session_manager``: the high-level async conversation tracker.

sessionforge's :class:`~sessionforge.faces.manager.SessionManager` with chuk-ai-session-manager's
constructor (``default_model=``, a ``session_id`` the store does not have creates that session, a
``ChukSessionsStore`` as ``store=``) and its statistics (:class:`SessionStats`, all segments by
default for an infinite conversation). The virtual-memory pager is not mirrored: ``enable_vm=True``
is refused with the reason, and ``vm``/``get_vm_context`` report it as off.
"""

from __future__ import annotations

from typing import Any

from sessionforge.errors import InvalidSessionOperation
from sessionforge.faces.manager import SessionManager as NativeManager
from sessionforge.storage.base import Store
from sessionforge.storage.config import resolve_store

from .config import DEFAULT_TOKEN_MODEL
from .models.session_stats import SessionStats

__all__ = ["DEFAULT_TOKEN_MODEL", "SessionManager"]


class SessionManager(NativeManager):
    """Track a conversation: ``user_says``, ``ai_responds``, ``tool_used``, ``get_stats``, ..."""

    def __init__(
        self,
        session_id: str | None = None,
        system_prompt: str | None = None,
        parent_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        store: Any = None,
        infinite_context: bool = False,
        token_threshold: int = 4000,
        max_turns_per_segment: int = 20,
        default_model: str = DEFAULT_TOKEN_MODEL,
        enable_vm: bool = False,
        vm_config: Any = None,
        vm_mode: Any = None,
        vm_eviction_policy: Any = None,
        vm_compressor_registry: Any = None,
        **options: Any,
    ) -> None:
        if enable_vm:
            raise InvalidSessionOperation(
                operation="enable_vm",
                reason=(
                    "the virtual-memory pager is not mirrored by sessionforge (see MIGRATING.md); long "
                    "conversations stay in budget with infinite_context=True or a ChatSession compactor"
                ),
            )
        backend: Store | None = resolve_store(store) if store is not None else None
        super().__init__(
            session_id,
            system_prompt,
            parent_id,
            metadata,
            backend,
            infinite_context,
            token_threshold,
            max_turns_per_segment,
            model=options.pop("model", default_model),
            create_missing=True,
            **options,
        )

    @property
    def vm(self) -> None:
        """Always ``None``: the virtual-memory pager is not mirrored."""
        return None

    def get_vm_context(self, model_id: str = "", token_budget: int | None = None) -> None:
        """Always ``None``: the virtual-memory pager is not mirrored."""
        return None

    async def get_stats(self, include_all_segments: bool | None = None) -> SessionStats:  # type: ignore[override]
        """The conversation's statistics; every segment by default when ``infinite_context`` is on."""
        if include_all_segments is None:
            include_all_segments = self.is_infinite
        stats = await super().get_stats(include_all_segments=include_all_segments)
        return SessionStats.model_validate(stats)
