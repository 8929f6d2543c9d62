"""``forge_llm.infrastructure``: provider adapters and session storage."""
