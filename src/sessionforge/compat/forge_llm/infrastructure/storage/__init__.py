"""``forge_llm.infrastructure.storage``: in-process session storage."""

from .memory_storage import ISessionStoragePort, MemorySessionStorage

__all__ = ["ISessionStoragePort", "MemorySessionStorage"]
