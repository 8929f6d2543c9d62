"""Encryption at rest: records round-trip with the key; without it, or with another, they are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet

from servers.backends import Backend
from sessionforge.errors import ConfigurationError, CorruptRecordError
from sessionforge.storage.base import BaseStore


async def test_round_trip_and_wrong_key(
    make_store: Callable[..., BaseStore], backend: Backend, needs: Callable[[BaseStore, str], None]
) -> None:
    key = Fernet.generate_key()
    sealed = make_store(encryption_key=key)
    needs(sealed, "encryption")
    record = {"id": "m1", "content": "the secret is 42"}
    await sealed.append("s", [record])
    assert (await sealed.load("s"))[0].record == record
    assert (await make_store(encryption_key=key).load("s"))[0].record == record

    with pytest.raises(CorruptRecordError, match="wrong encryption_key") as wrong:
        await make_store(encryption_key=Fernet.generate_key()).load("s")
    assert wrong.value.session_id == "s"
    with pytest.raises(CorruptRecordError, match="open the store with its encryption_key"):
        await make_store().load("s")


async def test_plaintext_is_not_stored(make_store: Callable[..., BaseStore], backend: Backend) -> None:
    sealed = make_store(encryption_key=Fernet.generate_key())
    await sealed.append("s", [{"content": "the secret is 42"}])
    raw = backend.raw(sealed, "s")
    assert len(raw) == 1
    assert "secret" not in raw[0]
    assert '"enc":"fernet"' in raw[0]


def test_a_bad_key_is_a_configuration_error(make_store: Callable[..., BaseStore]) -> None:
    with pytest.raises(ConfigurationError, match="Fernet key"):
        make_store(encryption_key="not-a-key")
