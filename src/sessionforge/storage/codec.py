"""How a record becomes the text a backend stores, and back.

Plain JSON (never pickle) in an envelope with a format version. One rule holds at this boundary: a
record is written only if it reads back equal. :meth:`RecordCodec.encode` therefore refuses, before
anything reaches a backend, what :meth:`RecordCodec.decode` would not give back unchanged: text that
cannot be encoded as UTF-8 (a lone surrogate), values that are not JSON (sets, datetimes, tuples,
non-string keys, NaN), nesting deeper than :data:`~sessionforge.core.jsonvalue.MAX_DEPTH` levels,
and records above :data:`MAX_RECORD_BYTES`. The refusal is a
:class:`~sessionforge.errors.RecordFormatError` naming the field, and the session is unchanged.

Record formats (the ``"f"`` of the envelope):

``2`` (written now)
    ``{"f":2,"c":"<crc32>","r":<record>}``: the CRC-32 of the record's bytes, so a flipped byte on
    disk or an edit by hand is reported instead of read back silently. With an encryption key the
    record is sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) together with
    the namespace and session it belongs to, ``{"f":2,"enc":"fernet","d":<token>}``: a record
    written without the key, or moved from another session, is refused.
``1`` (read only)
    ``{"f":1,"r":<record>}`` or ``{"f":1,"enc":"fernet","d":<token>}``, as written by earlier
    versions: read as before (no checksum to verify), except that a store with a key refuses
    records that are not encrypted.

A record that fails to decode raises :class:`~sessionforge.errors.CorruptRecordError` naming the
session and sequence number.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import from_json, to_json

from .._optional import require
from ..core.construct import collector_paused
from ..core.events import EncodedRecord
from ..core.jsonvalue import MAX_DEPTH, find_problem, shown_path
from ..core.records import StoredRecord
from ..errors import ConfigurationError, CorruptRecordError, RecordFormatError

__all__ = ["MAX_RECORD_BYTES", "RECORD_FORMAT", "RecordCodec"]

RECORD_FORMAT = 2
"""The envelope format written; :data:`READABLE_FORMATS` are read."""
READABLE_FORMATS = (1, 2)
MAX_RECORD_BYTES = 32 * 1024 * 1024
"""Largest record (its JSON, in UTF-8) a store accepts: well below every backend's own limit."""

_PREFIX = b'{"f":2,"c":"'
_BODY_AT = len(_PREFIX) + 8 + len(b'","r":')
_ENVELOPE = _PREFIX + b'%08x","r":%b}'
"""A plain format-2 envelope around a checksum and a record's bytes (as :meth:`RecordCodec.encode` writes)."""


def _verified_body(data: bytes) -> bytes | None:
    """The record text of a plain format-2 envelope whose checksum verifies, else ``None``."""
    if not (data.startswith(_PREFIX) and data.endswith(b"}") and data[_BODY_AT - 6 : _BODY_AT] == b'","r":'):
        return None
    body = data[_BODY_AT:-1]
    try:
        expected = int(data[len(_PREFIX) : _BODY_AT - 6], 16)
    except ValueError:
        return None
    return body if zlib.crc32(body) == expected else None


class RecordCodec:
    """Encodes records to text and decodes them, optionally encrypting."""

    def __init__(self, encryption_key: str | bytes | None = None) -> None:
        self._fernet: Any = None
        if encryption_key is not None:
            fernet_module = require("cryptography.fernet", extra="crypto")
            try:
                self._fernet = fernet_module.Fernet(encryption_key)
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(
                    "encryption_key must be a Fernet key: 32 url-safe base64-encoded bytes "
                    "(make one with cryptography.fernet.Fernet.generate_key())"
                ) from exc

    @property
    def encrypted(self) -> bool:
        return self._fernet is not None

    # ---- writing -------------------------------------------------------------------------------

    def encode(self, record: Mapping[str, Any], *, namespace: str, session_id: str, index: int = 0) -> str:
        """The stored text of ``record``, or :class:`RecordFormatError` if it would not read back equal.

        ``index`` is the record's position in its append, for the error message.
        """
        body, data = _checked(record, session_id, index)
        if self._fernet is None:
            checksum = zlib.crc32(data)
            # The envelope is spliced around the body: one serialization per record, not three.
            return f'{{"f":{RECORD_FORMAT},"c":"{checksum:08x}","r":{body}}}'
        sealed = f'{{"n":{json.dumps(namespace)},"s":{json.dumps(session_id)},"r":{body}}}'
        token = self._fernet.encrypt(sealed.encode("utf-8")).decode("ascii")
        return f'{{"f":{RECORD_FORMAT},"enc":"fernet","d":"{token}"}}'

    def known_text(self, record: Mapping[str, Any]) -> str | None:
        """What :meth:`encode` gives for a record that carries its text checked by its writer (see
        :func:`_checked`) when nothing else is to be done to it (no encryption); ``None`` for any
        other record, which then goes through :meth:`encode`."""
        data = self.known_bytes(record)
        return data.decode("utf-8") if data is not None else None

    def known_bytes(self, record: Mapping[str, Any]) -> bytes | None:
        """:meth:`known_text` in UTF-8, made from the writer's bytes in one copy (what a store that
        keeps bytes stores: the memory store)."""
        if self._fernet is not None or type(record) is not EncodedRecord:
            return None
        data = record.json
        if data is None or len(data) > MAX_RECORD_BYTES:
            return None
        depth = record.depth
        if depth is None or depth > MAX_DEPTH:
            return None
        return _ENVELOPE % (zlib.crc32(data), data)

    @staticmethod
    def dump(record: Any, *, session_id: str | None = None, index: int = 0) -> str:
        """``record`` as compact JSON, checked to read back equal (see the module doc); raises
        :class:`RecordFormatError` naming the field otherwise. Nothing is written anywhere."""
        return _checked(record, session_id, index)[0]

    # ---- reading -------------------------------------------------------------------------------

    def decode(
        self, text: str | bytes, *, session_id: str, seq: int, namespace: str | None = None
    ) -> dict[str, Any]:
        """The record stored as ``text``; :class:`CorruptRecordError` if it cannot be trusted."""
        where = f"record {seq} of session {session_id!r}"
        try:
            data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        except UnicodeEncodeError as exc:
            raise _corrupt(f"{where} is not valid text", session_id, seq) from exc
        if data.startswith(_PREFIX):
            return self._plain_v2(data, where, session_id, seq)
        try:
            envelope = from_json(data)  # pydantic-core's parser: ~2x json.loads on reload
        except ValueError as exc:
            raise _corrupt(
                f"{where} is not valid JSON: it is corrupt or was not written by sessionforge",
                session_id,
                seq,
            ) from exc
        if not isinstance(envelope, dict) or "f" not in envelope:
            raise _corrupt(f"{where} is not a sessionforge record", session_id, seq)
        version = envelope["f"]
        if version not in READABLE_FORMATS:
            raise _corrupt(
                f"{where} has record format {version!r}; this sessionforge reads formats "
                f"{', '.join(map(str, READABLE_FORMATS))}: upgrade sessionforge",
                session_id,
                seq,
            )
        if "enc" in envelope:
            return self._decrypt(envelope, where, session_id, seq, namespace)
        if version != 1:
            raise _corrupt(f"{where} has a malformed format-{version} envelope", session_id, seq)
        if self._fernet is not None:
            raise _unencrypted(where, session_id, seq)
        return _body(envelope.get("r"), where, session_id, seq)

    def decode_rows(
        self, rows: Iterable[tuple[int, str | bytes]], *, session_id: str, namespace: str | None = None
    ) -> list[StoredRecord]:
        """The records of stored ``(seq, text)`` rows, in order: :meth:`decode` for each, with the
        common case (an unencrypted format-2 record whose checksum verifies) in one tight loop. Any
        other row, or one that fails there, goes through :meth:`decode`, which names what is wrong."""
        out: list[StoredRecord] = []
        plain = self._fernet is None
        with collector_paused():
            for seq, text in rows:
                body = _verified_body(text) if plain and type(text) is bytes else None
                if body is not None:
                    try:
                        # pydantic-core's parser, not orjson's: orjson reads an integer beyond
                        # 64 bits as a float, and the record would not read back equal.
                        record = from_json(body)
                    except ValueError:
                        record = None
                    if type(record) is dict:
                        out.append(StoredRecord(seq, record))
                        continue
                out.append(
                    StoredRecord(seq, self.decode(text, session_id=session_id, seq=seq, namespace=namespace))
                )
        return out

    def _plain_v2(self, data: bytes, where: str, session_id: str, seq: int) -> dict[str, Any]:
        if self._fernet is not None:
            raise _unencrypted(where, session_id, seq)
        body = _verified_body(data)
        if body is None:
            raise _corrupt(
                f"{where} fails its checksum: it was changed after it was written (a damaged disk, or an "
                f"edit by hand); restore it from a backup or delete the session",
                session_id,
                seq,
            )
        try:
            record = from_json(body)
        except ValueError as exc:
            raise _corrupt(f"{where} is not valid JSON", session_id, seq) from exc
        return _body(record, where, session_id, seq)

    def _decrypt(
        self, envelope: dict[str, Any], where: str, session_id: str, seq: int, namespace: str | None
    ) -> dict[str, Any]:
        if self._fernet is None:
            raise _corrupt(f"{where} is encrypted: open the store with its encryption_key", session_id, seq)
        fernet_module = require("cryptography.fernet", extra="crypto")
        try:
            plain = self._fernet.decrypt(str(envelope.get("d", "")).encode("ascii"))
            sealed = from_json(plain)
        except (fernet_module.InvalidToken, ValueError) as exc:
            raise _corrupt(
                f"{where} cannot be decrypted: wrong encryption_key, or the record is corrupt or was "
                f"not written with this key",
                session_id,
                seq,
            ) from exc
        if envelope["f"] == 1:
            return _body(sealed, where, session_id, seq)
        if not isinstance(sealed, dict):
            raise _corrupt(f"{where} has no record body", session_id, seq)
        owner = (sealed.get("n"), sealed.get("s"))
        if owner[1] != session_id or (namespace is not None and owner[0] != namespace):
            raise _corrupt(
                f"{where} was sealed for session {owner[1]!r} of namespace {owner[0]!r}: a record moved "
                f"from another session is refused",
                session_id,
                seq,
            )
        return _body(sealed.get("r"), where, session_id, seq)


def _checked(record: Any, session_id: str | None, index: int) -> tuple[str, bytes]:
    """``record`` as compact JSON text and its UTF-8 bytes, checked to read back equal."""
    if isinstance(record, EncodedRecord) and record.json is not None:
        # Read back from this very text when it was made (SessionEvent.encoded_record), after the
        # checks every event passes: it reads back equal by construction. Size and depth still count
        # (the depth as its writer knows it, or bounded by the brackets in the text).
        data = record.json
        depth = record.depth
        if len(data) <= MAX_RECORD_BYTES and (
            depth <= MAX_DEPTH if depth is not None else data.count(b"{") + data.count(b"[") <= MAX_DEPTH
        ):
            return data.decode("utf-8"), data
    if not isinstance(record, dict):
        if not isinstance(record, Mapping):
            raise _refused(f"is a {type(record).__name__}, not a JSON object", None, index, session_id)
        record = dict(record)
    try:
        # pydantic-core's writer: compact UTF-8, ~5x json.dumps. What JSON cannot hold either fails
        # here (a lone surrogate, an unknown type, too deep) or is written as something that does not
        # compare equal below (NaN and infinities as null, a tuple or a set as a list, a key as text).
        data = to_json(record, inf_nan_mode="null")
        body = data.decode("utf-8")
    except (TypeError, ValueError, RecursionError):  # PydanticSerializationError is a ValueError
        raise _explain(record, index, session_id) from None
    if len(data) > MAX_RECORD_BYTES:
        raise _refused(
            f"is {len(data):,} bytes of JSON, above the limit of {MAX_RECORD_BYTES:,}: store large "
            f"content (files, images) elsewhere and keep a reference",
            None,
            index,
            session_id,
        )
    # Cheap bound first: a record with few brackets cannot be nested deeply. Then the rule itself,
    # checked by the reader's own parser: tuples, non-string keys and the like compare unequal.
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and find_problem(record) is not None:
        raise _explain(record, index, session_id)
    try:
        same = from_json(data) == record
    except ValueError:
        same = False
    if not same:
        raise _explain(record, index, session_id)
    return body, data


def _body(record: Any, where: str, session_id: str, seq: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise _corrupt(f"{where} has no record body", session_id, seq)
    return record


def _corrupt(message: str, session_id: str, seq: int) -> CorruptRecordError:
    return CorruptRecordError(message, session_id=session_id, seq=seq)


def _unencrypted(where: str, session_id: str, seq: int) -> CorruptRecordError:
    return _corrupt(
        f"{where} is not encrypted, but this store encrypts every record: it was written without the "
        f"key, so it is refused as not genuine",
        session_id,
        seq,
    )


def _refused(reason: str, field: str | None, index: int, session_id: str | None) -> RecordFormatError:
    session = f" of session {session_id!r}" if session_id is not None else ""
    where = f"field {shown_path(field)!r} of record {index}" if field else f"record {index}"
    return RecordFormatError(
        f"cannot store {where}{session}: {reason}; nothing was written",
        field=field,
        index=index,
        session_id=session_id,
    )


def _explain(record: Any, index: int, session_id: str | None) -> RecordFormatError:
    """The refusal of a record that failed the fast checks, naming the field at fault."""
    problem = find_problem(record)
    if problem is None:
        return _refused("it would not read back equal from JSON", None, index, session_id)
    return _refused(problem.reason, problem.path or None, index, session_id)
