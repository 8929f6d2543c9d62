"""Keys cannot collide: no namespace or id reaches another's session, whatever characters it holds.

Ids and namespaces may hold ``:``, which a naive ``namespace:id`` key joins ambiguously (Redis once
let namespace ``team:evil`` read and delete session ``evil:x`` of namespace ``team``). Every other odd
character (``/ % * { }``, newlines, spaces, non-ASCII) is refused with a clear error, on every backend.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sessionforge.errors import ConfigurationError, UsageError
from sessionforge.storage.base import BaseStore

ODD = [
    "a/b",
    "a%3Ab",
    "a%b",
    "a*",
    "*",
    "{a}",
    "a}b{",
    "a\n",
    "\na",
    "a\r\n",
    "ü",
    "東京",
    "a b",
    "",
    "a" * 201,
]

# Pairs of (namespace, session id) that one ``:`` join would map to the same key.
COLLIDING = [
    (("team", "evil:x"), ("team:evil", "x")),
    (("a:b", "c"), ("a", "b:c")),
    (("a", "b:c:d"), ("a:b:c", "d")),
]


@pytest.mark.parametrize(("first", "second"), COLLIDING, ids=["team-evil", "abc", "abcd"])
async def test_a_colon_never_joins_two_sessions(
    make_store: Callable[..., BaseStore],
    first: tuple[str, str],
    second: tuple[str, str],
) -> None:
    (ns_a, id_a), (ns_b, id_b) = first, second
    a, b = make_store(namespace=ns_a), make_store(namespace=ns_b)
    await a.append(id_a, [{"id": "1", "owner": "a"}])

    # The other store sees nothing, cannot delete it, and starts its own log.
    assert await b.load(id_b) == []
    assert await b.delete(id_b) is False
    assert await b.list_sessions() == []
    assert await b.append(id_b, [{"id": "1", "owner": "b"}]) == 1

    assert [r.record["owner"] for r in await a.load(id_a)] == ["a"]
    assert [r.record["owner"] for r in await b.load(id_b)] == ["b"]
    assert await a.list_sessions() == [id_a]
    assert await b.list_sessions() == [id_b]
    assert await b.delete(id_b) is True
    assert [r.record["owner"] for r in await a.load(id_a)] == ["a"]


async def test_ids_with_colons_and_at_signs_round_trip(store: BaseStore) -> None:
    ids = ["a:b", "a::b", ":", "user@example.com", "x.y-z_1", "9" * 200]
    for n, session_id in enumerate(ids):
        assert await store.append(session_id, [{"id": str(n)}]) == 1
    for n, session_id in enumerate(ids):
        assert [r.record["id"] for r in await store.load(session_id)] == [str(n)]
    assert await store.list_sessions() == sorted(ids)
    assert await store.list_sessions("a:") == ["a::b", "a:b"]


async def test_odd_session_ids_are_refused_on_every_operation(store: BaseStore) -> None:
    await store.append("a", [{"id": "1"}])
    for session_id in ODD:
        with pytest.raises(UsageError, match="invalid session id"):
            await store.append(session_id, [{"id": "1"}])
        with pytest.raises(UsageError, match="invalid session id"):
            await store.load(session_id)
        with pytest.raises(UsageError, match="invalid session id"):
            await store.delete(session_id)
    # The neighbour that differs only by the odd part is untouched; nothing else was created.
    assert await store.list_sessions() == ["a"]
    assert [r.record["id"] for r in await store.load("a")] == ["1"]


def test_odd_namespaces_are_refused(make_store: Callable[..., BaseStore]) -> None:
    for namespace in ODD:
        with pytest.raises(ConfigurationError, match="invalid namespace"):
            make_store(namespace=namespace)


async def test_a_namespace_with_a_colon_is_its_own(make_store: Callable[..., BaseStore]) -> None:
    plain, nested = make_store(namespace="team"), make_store(namespace="team:evil")
    await plain.append("s", [{"id": "1", "owner": "team"}])
    await nested.append("s", [{"id": "1", "owner": "team:evil"}])
    assert [r.record["owner"] for r in await plain.load("s")] == ["team"]
    assert [r.record["owner"] for r in await nested.load("s")] == ["team:evil"]
    assert await nested.delete("s") is True
    assert await plain.list_sessions() == ["s"]
