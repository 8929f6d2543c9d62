"""How a record becomes the text a backend stores, and back.

Plain JSON (never pickle) in an envelope with a format version. With an encryption key the whole
record is sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) before it leaves the
process, so content is encrypted at rest on every backend alike. A record that fails to decode
raises :class:`~sessionforge.errors.CorruptRecordError` naming the session and sequence number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json

from .._optional import require
from ..errors import ConfigurationError, CorruptRecordError

__all__ = ["RECORD_FORMAT", "RecordCodec"]

RECORD_FORMAT = 1


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

    def encode(self, record: Mapping[str, Any]) -> str:
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        if self._fernet is None:
            # The envelope is spliced around the body: one serialization per record, not three.
            return f'{{"f":{RECORD_FORMAT},"r":{body}}}'
        token = self._fernet.encrypt(body.encode("utf-8")).decode("ascii")
        return json.dumps({"f": RECORD_FORMAT, "enc": "fernet", "d": token}, separators=(",", ":"))

    def decode(self, text: str | bytes, *, session_id: str, seq: int) -> dict[str, Any]:
        where = f"record {seq} of session {session_id!r}"
        try:
            envelope = from_json(text)  # pydantic-core's parser: ~2x json.loads on reload
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptRecordError(
                f"{where} is not valid JSON: it is corrupt or was not written by sessionforge",
                session_id=session_id,
            ) from exc
        if not isinstance(envelope, dict) or "f" not in envelope:
            raise CorruptRecordError(f"{where} is not a sessionforge record", session_id=session_id)
        if envelope["f"] != RECORD_FORMAT:
            raise CorruptRecordError(
                f"{where} has record format {envelope['f']!r}; this sessionforge reads format "
                f"{RECORD_FORMAT}: upgrade sessionforge",
                session_id=session_id,
            )
        if "enc" in envelope:
            return self._decrypt(envelope, where, session_id)
        record = envelope.get("r")
        if not isinstance(record, dict):
            raise CorruptRecordError(f"{where} has no record body", session_id=session_id)
        return record

    def _decrypt(self, envelope: dict[str, Any], where: str, session_id: str) -> dict[str, Any]:
        if self._fernet is None:
            raise CorruptRecordError(
                f"{where} is encrypted: open the store with its encryption_key", session_id=session_id
            )
        fernet_module = require("cryptography.fernet", extra="crypto")
        try:
            body = self._fernet.decrypt(str(envelope.get("d", "")).encode("ascii"))
            record = from_json(body)
        except (fernet_module.InvalidToken, ValueError) as exc:
            raise CorruptRecordError(
                f"{where} cannot be decrypted: wrong encryption_key, or the record is corrupt",
                session_id=session_id,
            ) from exc
        if not isinstance(record, dict):
            raise CorruptRecordError(f"{where} has no record body", session_id=session_id)
        return record
