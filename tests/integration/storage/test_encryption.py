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


async def test_a_record_written_without_the_key_is_refused(
    make_store: Callable[..., BaseStore], backend: Backend, needs: Callable[[BaseStore, str], None]
) -> None:
    key = Fernet.generate_key()
    sealed = make_store(encryption_key=key)
    needs(sealed, "encryption")
    await sealed.append("s", [{"id": "m1", "content": "genuine"}])
    # Someone without the key appends to the same session, in either record format.
    await make_store().append("s", [{"id": "m2", "content": "forged"}])
    with pytest.raises(CorruptRecordError, match="is not encrypted") as info:
        await sealed.load("s")
    assert (info.value.session_id, info.value.seq) == ("s", 2)
    assert "record 2 of session 's'" in str(info.value)
    backend.corrupt(sealed, "s", 2, '{"f":1,"r":{"id":"m2","content":"forged the old way"}}')
    with pytest.raises(CorruptRecordError, match="is not encrypted"):
        await sealed.load("s")
    assert [r.record["content"] for r in await sealed.load("s", limit=1)] == ["genuine"]


async def test_a_sealed_record_moved_to_another_session_is_refused(
    make_store: Callable[..., BaseStore], backend: Backend, needs: Callable[[BaseStore, str], None]
) -> None:
    key = Fernet.generate_key()
    sealed = make_store(encryption_key=key)
    needs(sealed, "encryption")
    await sealed.append("alice", [{"id": "m1", "content": "alice's secret"}])
    await sealed.append("mallory", [{"id": "m1", "content": "mine"}])
    backend.corrupt(sealed, "mallory", 1, backend.raw(sealed, "alice")[0])
    with pytest.raises(CorruptRecordError, match="sealed for session 'alice'") as info:
        await sealed.load("mallory")
    assert (info.value.session_id, info.value.seq) == ("mallory", 1)
    other_namespace = make_store(encryption_key=key, namespace="elsewhere")
    await other_namespace.append("alice", [{"id": "m1", "content": "x"}])
    backend.corrupt(other_namespace, "alice", 1, backend.raw(sealed, "alice")[0])
    with pytest.raises(CorruptRecordError, match="of namespace 'conformance'"):
        await other_namespace.load("alice")


async def test_encrypted_records_of_the_older_format_still_read(
    make_store: Callable[..., BaseStore], backend: Backend, needs: Callable[[BaseStore, str], None]
) -> None:
    key = Fernet.generate_key()
    sealed = make_store(encryption_key=key)
    needs(sealed, "encryption")
    await sealed.append("s", [{"id": "m1"}])
    token = Fernet(key).encrypt(b'{"id":"m1","content":"sealed by an earlier version"}').decode()
    backend.corrupt(sealed, "s", 1, f'{{"f":1,"enc":"fernet","d":"{token}"}}')
    assert (await sealed.load("s"))[0].record == {"id": "m1", "content": "sealed by an earlier version"}
