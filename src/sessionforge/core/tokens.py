"""Token counting: exact for OpenAI models (offline), labelled estimates elsewhere.

OpenAI's BPE rank files ship inside this package (``data/encodings``), so ``o200k_base`` and
``cl100k_base`` counts are exact with no network. Chat messages add the per-message overhead the
provider bills (3 tokens a message, 1 for a name, 3 to prime the reply), as OpenAI documents.

Every counter says whether its numbers are ``exact`` or ``estimated``. A message is tokenized once
per counter: the count is cached on the message, so a budget check over a long history is a sum of
cached integers, never a re-tokenization.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import os
import threading
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Literal, NamedTuple

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from .messages import AudioPart, ChatMessage, ImagePart

__all__ = [
    "DEFAULT_TOKEN_MODEL",
    "Accuracy",
    "EstimatingCounter",
    "TiktokenCounter",
    "TokenCount",
    "TokenCounter",
    "audio_seconds",
    "counter_for_model",
    "encoding_for_model",
    "register_counter",
]

Accuracy = Literal["exact", "estimated"]

DEFAULT_TOKEN_MODEL = (
    os.environ.get("SESSIONFORGE_TOKEN_MODEL") or os.environ.get("CHUK_DEFAULT_MODEL") or "gpt-4o-mini"
)
"""The model tokens are counted for when none is named: ``$SESSIONFORGE_TOKEN_MODEL``, else
``$CHUK_DEFAULT_MODEL`` (the session-manager library's variable), else ``gpt-4o-mini``. Read once,
at import."""


class TokenCount(NamedTuple):
    """A token count and how much to trust it."""

    tokens: int
    accuracy: Accuracy


class TokenCounter(ABC):
    """Counts tokens of text and of chat messages for one model family.

    Subclasses implement :meth:`count_text`; the message arithmetic and its cache live here once.
    """

    key: str
    """Identifies the tokenizer; cached counts are stored per key."""
    accuracy: Accuracy
    tokens_per_message: int = 3
    tokens_per_name: int = 1
    reply_priming: int = 3
    image_tokens: dict[str, int] = {"low": 85, "auto": 765, "high": 765}  # noqa: RUF012
    audio_tokens_per_second: int = 10
    """Audio input is billed by duration (OpenAI: one token per 100 ms of user audio)."""

    @abstractmethod
    def count_text(self, text: str) -> int:
        """Tokens of a bare string (no chat overhead)."""

    def count_message(self, message: ChatMessage) -> int:
        """Tokens one message adds to a request, overhead included. Cached on the message."""
        cache = message.token_cache
        cached = cache.get(self.key)
        if cached is None:
            cached = self._count_message_uncached(message)
            cache[self.key] = cached
        return cached

    def count_messages(self, messages: Iterable[ChatMessage]) -> int:
        """Tokens of a whole request: every message plus the reply priming."""
        return sum(self.count_message(m) for m in messages) + self.reply_priming

    def measure(self, text: str) -> TokenCount:
        return TokenCount(self.count_text(text), self.accuracy)

    def _count_message_uncached(self, message: ChatMessage) -> int:
        total = self.tokens_per_message + self.count_text(message.role)
        if isinstance(message.content, str):
            total += self.count_text(message.content)
        elif message.content is not None:
            for part in message.content:
                if isinstance(part, ImagePart):
                    total += self.image_tokens.get(part.detail, self.image_tokens["auto"])
                elif isinstance(part, AudioPart):
                    total += math.ceil(audio_seconds(part) * self.audio_tokens_per_second)
                else:
                    total += self.count_text(part.text)
        if message.name:
            total += self.tokens_per_name + self.count_text(message.name)
        for call in message.tool_calls:
            # The function name, its JSON arguments and the framing tokens around them.
            total += 3 + self.count_text(call.name) + self.count_text(call.arguments_json)
        return total


def audio_seconds(part: AudioPart) -> float:
    """The duration of a recording: read from a WAV header, estimated at 128 kbit/s for MP3."""
    try:
        raw = base64.b64decode(part.data, validate=False)
    except (binascii.Error, ValueError):
        raw = b""
    if part.format == "wav":
        try:
            with wave.open(io.BytesIO(raw), "rb") as recording:
                frames: int = recording.getnframes()
                rate: int = recording.getframerate()
            return frames / max(rate, 1)
        except (wave.Error, EOFError):
            return len(raw) / 32_000  # unreadable header: as 16 kHz, 16-bit mono
    return len(raw) / 16_000


class TiktokenCounter(TokenCounter):
    """Exact counts with one of OpenAI's BPE encodings."""

    accuracy: Accuracy = "exact"

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding
        self.key = encoding.name

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        # Special-token text ("<|endoftext|>") in user content is counted as ordinary text, as the
        # API treats it.
        return len(self.encoding.encode_ordinary(text))


class EstimatingCounter(TokenCounter):
    """A labelled estimate: a real BPE count scaled by a measured factor for the model family.

    Used where no exact offline tokenizer exists (Claude 3 and later, unknown models). A BPE count
    scaled per family errs far less than characters / 4, which is off by 40-65% on CJK and emoji.
    """

    accuracy: Accuracy = "estimated"

    def __init__(self, base: TiktokenCounter, factor: float, key: str) -> None:
        self.base = base
        self.factor = factor
        self.key = key

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        return math.ceil(self.base.count_text(text) * self.factor)


# ---- bundled encodings ---------------------------------------------------------------------------

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

# Split patterns and special tokens of OpenAI's public encodings (as published with tiktoken).
_ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
}

_load_lock = threading.Lock()


def bundled_encoding_path(name: str) -> str:
    return str(resources.files("sessionforge.data") / "encodings" / f"{name}.tiktoken")


def bundled_encoding_sha256(name: str) -> tuple[str, str]:
    """(expected, actual) SHA-256 of a bundled rank file; used by the integrity test."""
    expected = _ENCODINGS[name][0]
    with open(bundled_encoding_path(name), "rb") as fh:
        actual = hashlib.sha256(fh.read()).hexdigest()
    return expected, actual


@cache
def load_encoding(name: str) -> tiktoken.Encoding:
    """Build a ``tiktoken.Encoding`` from the bundled rank file, verifying its hash. No network."""
    expected_hash, pat_str, special_tokens = _ENCODINGS[name]
    with _load_lock:
        ranks = load_tiktoken_bpe(bundled_encoding_path(name), expected_hash=expected_hash)
    return tiktoken.Encoding(name=name, pat_str=pat_str, mergeable_ranks=ranks, special_tokens=special_tokens)


# ---- model -> counter ----------------------------------------------------------------------------

_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")
_CLAUDE_FACTOR = 1.12
"""Claude 3+ tokenizers yield roughly 12% more tokens than cl100k_base on mixed English text."""

_custom_counters: dict[str, Callable[[], TokenCounter]] = {}


def register_counter(model: str, factory: Callable[[], TokenCounter]) -> None:
    """Teach :func:`counter_for_model` an exact counter for a model (e.g. a local GGUF model)."""
    _custom_counters[model] = factory
    counter_for_model.cache_clear()


def encoding_for_model(model: str) -> str | None:
    """The OpenAI encoding a model uses, or ``None`` when it is not an OpenAI model."""
    bare = model.split("/", 1)[-1].lower()
    if bare.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if bare.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return None


@cache
def counter_for_model(model: str | None = None) -> TokenCounter:
    """The best counter for ``model``: exact for OpenAI families, a labelled estimate otherwise."""
    if model and model in _custom_counters:
        return _custom_counters[model]()
    encoding = encoding_for_model(model) if model else "o200k_base"
    if encoding is not None:
        return TiktokenCounter(load_encoding(encoding))
    bare = (model or "").split("/", 1)[-1].lower()
    if bare.startswith("claude"):
        return EstimatingCounter(TiktokenCounter(load_encoding("cl100k_base")), _CLAUDE_FACTOR, "claude-est")
    return EstimatingCounter(TiktokenCounter(load_encoding("o200k_base")), 1.0, "o200k-est")
