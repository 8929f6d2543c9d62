"""What a stored value may be: JSON that reads back equal, named by path when it is not.

Stores keep records as JSON text, and a record is written only if it reads back equal. That rules out
more than ``json.dumps`` refuses: it writes a tuple as a list, an ``int`` key as a string and NaN as a
bare word, and a lone surrogate passes it to fail later, when the text is encoded. The codec and the
message model both check values with :func:`find_problem`, so what a message accepts a store keeps.

The walk is iterative: a value nested ten thousand levels deep (or containing itself) is reported,
never a ``RecursionError``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

__all__ = ["MAX_DEPTH", "JsonProblem", "find_problem", "flat_and_plain", "shown_path", "text_problem"]

MAX_DEPTH = 128
"""Levels of nesting a stored record may have. The reader (pydantic-core's JSON parser) stops near
254, so every record the writer accepts reads back, with room for the envelopes around it."""


class JsonProblem(NamedTuple):
    """Why a value cannot be stored, and where: ``path`` is dotted (``metadata.tags.0``)."""

    path: str
    reason: str


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be encoded as UTF-8 (a lone surrogate), or ``None`` if it can."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"text cannot be encoded as UTF-8 (lone surrogate {text[exc.start]!r} at position "
            f"{exc.start}); decode the source with errors='replace' or remove it"
        )
    return None


def shown_path(path: str, keep: int = 4) -> str:
    """A dotted path short enough for a one-line message (``a.k.k…(120 more)….k.k``)."""
    parts = path.split(".")
    if len(parts) <= 2 * keep + 1:
        return path
    return ".".join(parts[:keep]) + f"…({len(parts) - 2 * keep} more)…" + ".".join(parts[-keep:])


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a JSON number: store it as text or null"
    return None


_SCALARS = (str, int, float, bool, type(None))


_type_of = type


def flat_and_plain(mapping: dict[Any, Any]) -> bool:
    """Whether ``mapping`` is certainly fine, one level deep: text keys, and values that are text,
    ``int``, ``bool`` or ``None`` (most metadata). ``False`` means "look closer" (with
    :func:`find_problem`), not that something is wrong."""
    for key, item in mapping.items():
        if _type_of(key) is not str or text_problem(key) is not None:
            return False
        kind = _type_of(item)
        if kind is str:
            if text_problem(item) is not None:
                return False
        elif kind is not int and kind is not bool and item is not None:
            return False
    return True


def find_problem(value: Any, *, path: str = "", max_depth: int = MAX_DEPTH) -> JsonProblem | None:
    """The first part of ``value`` that would not read back equal from JSON, or ``None``.

    Allowed: ``dict`` with ``str`` keys, ``list``, ``str`` (encodable as UTF-8), ``int``, finite
    ``float``, ``bool`` and ``None``, nested at most ``max_depth`` levels (a top-level dict or list
    is level 1).
    """
    if _type_of(value) is dict and max_depth >= 1 and flat_and_plain(value):
        return None
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if isinstance(item, _SCALARS):
            reason = _scalar_problem(item)
            if reason is not None:
                return JsonProblem(where, reason)
            continue
        if isinstance(item, dict | list) and depth + 1 > max_depth:
            return JsonProblem(where, f"nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            children: list[tuple[str, Any, int]] = []
            for key, child in item.items():
                if not isinstance(key, str):
                    return JsonProblem(
                        _join(where, repr(key)),
                        f"key {key!r} is a {type(key).__name__}: JSON keys are text, so it would read "
                        f"back as {str(key)!r}",
                    )
                reason = text_problem(key)
                if reason is not None:
                    return JsonProblem(_join(where, repr(key)), f"key: {reason}")
                children.append((_join(where, key), child, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend((_join(where, i), child, depth + 1) for i, child in reversed(list(enumerate(item))))
        elif isinstance(item, tuple):
            return JsonProblem(where, "a tuple would read back as a list: pass a list")
        else:
            return JsonProblem(
                where,
                f"{type(item).__name__} is not a JSON value (text, number, true/false, null, list or "
                f"object): convert it first",
            )
    return None
