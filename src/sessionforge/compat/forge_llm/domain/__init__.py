"""``forge_llm.domain``: forge_llm's exceptions (entities and value objects are in the subpackages)."""

from . import exceptions
from .exceptions import *  # noqa: F403

__all__: list[str] = []
__all__ += exceptions.__all__
