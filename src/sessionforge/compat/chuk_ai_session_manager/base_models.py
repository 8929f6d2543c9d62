"""``chuk_ai_session_manager.base_models``: models that also read like the dicts they replaced."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["DictCompatModel"]


class DictCompatModel(BaseModel):
    """A pydantic model with ``model["field"]``, ``"field" in model`` and equality with a dict."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in type(self).model_fields

    def get(self, key: str, default: Any = None) -> Any:
        """``model.get("field", default)``, as on the dict this replaced."""
        return getattr(self, key, default) if key in type(self).model_fields else default

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self.model_dump() == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]
