"""Session ids for a framework's own keys (thread ids, namespaces, session ids), which may hold any text.

A store takes session ids of at most 200 characters from letters, digits and ``._:@-``. A framework's key
is escaped into that alphabet, one-to-one: a character outside it (and ``@`` itself, the escape mark)
becomes ``@`` and two hex digits per UTF-8 byte, so ``user-42`` stays ``user-42`` and ``a/b`` becomes
``a@2fb``. An escaped key too long for a store becomes ``@@`` and a SHA-256 prefix, a form no escaped
key takes (an escaped ``@`` is always followed by hex digits); the adapters keep the original key in the
session's properties and check it on load, so the id never has to be read back.
"""

from __future__ import annotations

import hashlib
import re

from ...errors import UsageError

__all__ = ["escape_key", "key_part"]

_KEEP = re.compile(r"[A-Za-z0-9._:\-]")
_KEEP_NO_DOT = re.compile(r"[A-Za-z0-9_:\-]")


def _escape(text: str, keep: re.Pattern[str]) -> str:
    return "".join(c if keep.fullmatch(c) else "".join(f"@{b:02x}" for b in c.encode()) for c in text)


def _hashed(text: str) -> str:
    return "@@" + hashlib.sha256(text.encode()).hexdigest()[:40]


def escape_key(text: str, *, limit: int = 200) -> str:
    """``text`` as a session id (``.`` kept): unchanged when it already is a plain id."""
    if not isinstance(text, str) or not text:
        raise UsageError(f"a session key must be a non-empty string, got {text!r}")
    escaped = _escape(text, _KEEP)
    return escaped if len(escaped) <= limit else _hashed(text)


def key_part(text: str, *, limit: int = 90) -> str:
    """``text`` as one part of a dotted session id (``.`` escaped too, so parts never run together)."""
    if not isinstance(text, str):
        raise UsageError(f"a key must be a string, got {type(text).__name__}")
    escaped = _escape(text, _KEEP_NO_DOT)
    return escaped if len(escaped) <= limit else _hashed(text)
