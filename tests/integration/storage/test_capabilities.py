"""Every backend declares its optional capabilities; the suite reports what each one runs."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.fernet import Fernet

from servers.backends import Backend
from sessionforge.storage.base import BaseStore, Store


def test_declared_capabilities(make_store: Callable[..., BaseStore], backend: Backend) -> None:
    plain, sealed = make_store(), make_store(encryption_key=Fernet.generate_key())
    assert isinstance(plain, Store)
    assert plain.capabilities == {"ttl"}, f"{backend.name} declares {sorted(plain.capabilities)}"
    assert sealed.capabilities == {"ttl", "encryption"}
