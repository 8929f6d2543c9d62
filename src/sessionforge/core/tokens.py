"""Token counting: exact for OpenAI models (offline), labelled estimates elsewhere.

OpenAI's BPE rank files ship inside this package (``data/encodings``), so ``o200k_base`` and
``cl100k_base`` counts are exact with no network. Chat messages add the per-message overhead the
provider bills (3 tokens a message, 1 for a name, 3 to prime the reply), as OpenAI documents.

Every counter says whether its numbers are ``exact`` or ``estimated``. A message is tokenized once
per counter: the count is cached on the message (its text-only count beside it, for usage), so a
budget check over a long history is a sum of cached integers, never a re-tokenization.

Only the encoding a model needs is loaded, from a hash-verified fast copy of the ranks in the user
cache directory (see :func:`load_encoding`); ``tiktoken`` itself is imported then. A process's first
counts of ASCII text need not wait for tiktoken's encoder to be built (see :class:`TiktokenCounter`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import marshal
import math
import os
import threading
import wave
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, Self

from .bpe import AsciiBpe, ascii_ranks
from .messages import AudioPart, ChatMessage, ImagePart, TextPart

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "DEFAULT_TOKEN_MODEL",
    "QUICK_ALLOWANCE",
    "Accuracy",
    "EstimatingCounter",
    "TiktokenCounter",
    "TokenCount",
    "TokenCounter",
    "ascii_counter",
    "audio_seconds",
    "counter_for_encoding",
    "counter_for_model",
    "encoding_for_model",
    "load_encoding",
    "persisted_counts",
    "register_counter",
    "seed_counts",
]

logger = logging.getLogger("sessionforge.tokens")

Accuracy = Literal["exact", "estimated"]

DEFAULT_TOKEN_MODEL = (
    os.environ.get("SESSIONFORGE_TOKEN_MODEL") or os.environ.get("CHUK_DEFAULT_MODEL") or "gpt-4o-mini"
)
"""The model tokens are counted for when none is named: ``$SESSIONFORGE_TOKEN_MODEL``, else
``$CHUK_DEFAULT_MODEL`` (the session-manager library's variable), else ``gpt-4o-mini``. Read once,
at import."""

_TEXT_SUFFIX = ":text"
"""Cache key suffix of a message's text-only count, kept beside its full count."""


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

    def count_message_text(self, message: ChatMessage) -> int:
        """Tokens of the message's text alone: no role, overhead, name, images or tool calls.

        What a face bills as the text of a user message or a reply. Cached on the message beside its
        full count (and reused by it), so billing the text and later counting the message for a
        request tokenize it once.
        """
        cache = message.token_cache
        key = self.key + _TEXT_SUFFIX
        cached = cache.get(key)
        if cached is None:
            content = message.content
            if isinstance(content, str):
                cached = self.count_text(content)
            elif content is None:
                cached = 0
            else:
                cached = sum(self.count_text(part.text) for part in content if isinstance(part, TextPart))
            cache[key] = cached
        return cached

    def load(self) -> Self:
        """Do now any set-up that the first counts would otherwise do (a server calls this at
        start-up, so that no request pays for it); returns the counter."""
        return self

    def count_messages(self, messages: Iterable[ChatMessage]) -> int:
        """Tokens of a whole request: every message plus the reply priming."""
        return sum(self.count_message(m) for m in messages) + self.reply_priming

    def measure(self, text: str) -> TokenCount:
        return TokenCount(self.count_text(text), self.accuracy)

    def _role_tokens(self, role: str) -> int:
        # Four roles, counted once per counter rather than once per message.
        roles: dict[str, int] = self.__dict__.setdefault("_roles", {})
        tokens = roles.get(role)
        if tokens is None:
            tokens = roles[role] = self.count_text(role)
        return tokens

    def _count_message_uncached(self, message: ChatMessage) -> int:
        total = self.tokens_per_message + self._role_tokens(message.role) + self.count_message_text(message)
        if isinstance(message.content, list):
            for part in message.content:
                if isinstance(part, ImagePart):
                    total += self.image_tokens.get(part.detail, self.image_tokens["auto"])
                elif isinstance(part, AudioPart):
                    total += math.ceil(audio_seconds(part) * self.audio_tokens_per_second)
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
    """Exact counts with one of OpenAI's BPE encodings.

    Made from an encoding's name (as :func:`counter_for_model` does), the counter starts without
    tiktoken's encoder, whose Rust tables take about 150 ms to build for ``o200k_base``: ASCII text is
    counted by :class:`~sessionforge.core.bpe.AsciiBpe`, which gives the same counts from a cached
    copy of the ASCII ranks, within :data:`QUICK_ALLOWANCE` characters in all. The encoder is built
    at the first text that does not fit in what is left of that, or is not ASCII, or when
    :meth:`load` is called (a server calls it at start-up, so that no request pays for the build).
    """

    accuracy: Accuracy = "exact"

    def __init__(self, encoding: tiktoken.Encoding | str) -> None:
        if isinstance(encoding, str):
            if encoding not in _ENCODINGS:
                raise ValueError(f"unknown encoding {encoding!r}; known: {', '.join(_ENCODINGS)}")
            self.key = encoding
            self._encoding = _loaded.get(encoding)
        else:
            self.key = encoding.name
            self._encoding = encoding
        self._quick: AsciiBpe | None = None
        self._allowance = QUICK_ALLOWANCE if self._encoding is None else 0

    @property
    def encoding(self) -> tiktoken.Encoding:
        """tiktoken's encoder, built on first use."""
        encoding = self._encoding
        if encoding is None:
            encoding = self._encoding = load_encoding(self.key)
            self._quick = None
            self._allowance = 0
        return encoding

    def load(self) -> Self:
        _ = self.encoding  # built now rather than at a later count
        return self

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        quick = self._quick_for(text)
        count = quick.count(text) if quick is not None else None
        if count is not None:
            self._allowance -= len(text)
            return count
        # Special-token text ("<|endoftext|>") in user content is counted as ordinary text, as the
        # API treats it.
        return len(self.encoding.encode_ordinary(text))

    def encode_ordinary(self, text: str) -> list[int]:
        """The token ids of ``text``, special-token text read as ordinary text."""
        quick = self._quick_for(text)
        ids = quick.encode(text) if quick is not None else None
        if ids is not None:
            self._allowance -= len(text)
            return ids
        return self.encoding.encode_ordinary(text)

    def _quick_for(self, text: str) -> AsciiBpe | None:
        """The pure-Python encoder, if it may take ``text``: the encoder is not built (by this
        counter or, meanwhile, another), and the text is ASCII, within the allowance left."""
        if (
            self._encoding is not None
            or len(text) > self._allowance
            or not text.isascii()
            or self.key in _loaded
        ):
            return None
        quick = self._quick
        if quick is None:
            quick = self._quick = ascii_counter(self.key)
            if quick is None:
                self._allowance = 0
        return quick


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

    def load(self) -> Self:
        self.base.load()
        return self

    def count_text(self, text: str) -> int:
        if not text:
            return 0
        return math.ceil(self.base.count_text(text) * self.factor)


# ---- bundled encodings ---------------------------------------------------------------------------

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

# Split patterns and special tokens of OpenAI's public encodings (as published with tiktoken). The
# rank files' SHA-256 sums are in the package's manifest, ``data/encodings/SHA256SUMS``.
_ENCODINGS: dict[str, tuple[str, dict[str, int]]] = {
    "o200k_base": (
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

_PERSISTED = {name + _TEXT_SUFFIX: name for name in _ENCODINGS}


def persisted_counts(cache: dict[str, int]) -> dict[str, int]:
    """The counts of a message's token cache worth storing with it: the text-only counts of OpenAI's
    fixed encodings, ``{encoding: tokens}``. They are the tokenizer's output on text stored beside
    them, so they read back exact; a message's full count is derived from them cheaply when read."""
    if not cache:
        return {}
    return {name: cache[key] for key, name in _PERSISTED.items() if key in cache}


def seed_counts(cache: dict[str, int], stored: dict[str, int]) -> None:
    """Take counts made by :func:`persisted_counts` back into a message's token cache (a count
    already there, or of an encoding this version does not know, is left alone)."""
    for name, tokens in stored.items():
        if name in _ENCODINGS:
            cache.setdefault(name + _TEXT_SUFFIX, tokens)


CACHE_DIR_ENV = "SESSIONFORGE_CACHE_DIR"
"""Where the fast form of the rank files is kept; default: ``encodings`` in the user cache directory."""

_CACHE_MAGIC = b"sessionforge-ranks 1\n"

_load_lock = threading.Lock()
_loaded: dict[str, tiktoken.Encoding] = {}
_quick_loaded: dict[str, AsciiBpe] = {}
_ascii_stale: set[str] = set()
"""Encodings whose cached ASCII ranks did not verify: the next :func:`load_encoding` rewrites them."""

QUICK_ALLOWANCE = 1 << 16
"""Characters of ASCII text a :class:`TiktokenCounter` counts in pure Python before it builds
tiktoken's encoder: about 10 ms of counting, a small part of the build it spares a short process."""


def bundled_encoding_path(name: str) -> str:
    return str(resources.files("sessionforge.data") / "encodings" / f"{name}.tiktoken")


@cache
def bundled_manifest() -> dict[str, str]:
    """Encoding name -> SHA-256 of its bundled rank file, from ``data/encodings/SHA256SUMS``."""
    text = (resources.files("sessionforge.data") / "encodings" / "SHA256SUMS").read_text("ascii")
    manifest = {}
    for line in text.splitlines():
        if line.strip():
            digest, filename = line.split()
            manifest[filename.removesuffix(".tiktoken")] = digest
    return manifest


def bundled_encoding_sha256(name: str) -> tuple[str, str]:
    """(expected, actual) SHA-256 of a bundled rank file; used by the integrity test."""
    with open(bundled_encoding_path(name), "rb") as fh:
        return bundled_manifest()[name], hashlib.sha256(fh.read()).hexdigest()


def encoding_cache_path(name: str, part: str = "") -> Path:
    """The fast form of ``name``'s ranks in the user cache directory (``$SESSIONFORGE_CACHE_DIR``
    overrides it); ``part="ascii"`` names the copy of its ASCII tokens alone. The file is named by the
    bundled file's hash, so a new release never reads an older release's cache."""
    directory = os.environ.get(CACHE_DIR_ENV)
    if not directory:
        from platformdirs import user_cache_dir

        directory = os.path.join(user_cache_dir("sessionforge"), "encodings")
    suffix = f".{part}" if part else ""
    return Path(directory) / f"{name}-{bundled_manifest()[name][:16]}{suffix}.ranks"


def load_encoding(name: str) -> tiktoken.Encoding:
    """A ``tiktoken.Encoding`` built from the bundled rank file, with no network.

    Parsing the base64 rank file costs about 0.2 s for ``o200k_base``; the ranks are therefore kept
    in the user cache directory as a ``marshal`` blob that loads about four times faster (and beside
    it the ASCII ranks alone, for :func:`ascii_counter`). A blob is trusted only if its header names
    the bundled file's SHA-256 from the manifest and its payload matches the SHA-256 the header
    records; otherwise it is rebuilt from the bundled file, whose own hash is checked first. A cache
    directory that cannot be written only costs the faster start.
    """
    encoding = _loaded.get(name)
    if encoding is not None:
        return encoding
    import tiktoken  # lazy: ``import sessionforge`` and the command line's start-up never need it

    pat_str, special_tokens = _ENCODINGS[name]
    with _load_lock:
        encoding = _loaded.get(name)
        if encoding is None:
            ranks = _cached_ranks(name)
            if ranks is None:
                ranks = _bundled_ranks(name)
                _write_cache(name, ranks)
            if name in _ascii_stale or not encoding_cache_path(name, "ascii").exists():
                _write_cache(name, ascii_ranks(ranks), "ascii")
                _ascii_stale.discard(name)
            encoding = tiktoken.Encoding(
                name=name, pat_str=pat_str, mergeable_ranks=ranks, special_tokens=special_tokens
            )
            _loaded[name] = encoding
            _quick_loaded.pop(name, None)
    return encoding


def ascii_counter(name: str) -> AsciiBpe | None:
    """The pure-Python counter of ASCII text for ``name``, from the cached ASCII ranks; ``None`` while
    that cache does not exist (the first :func:`load_encoding` writes it) or does not verify."""
    quick = _quick_loaded.get(name)
    if quick is not None:
        return quick
    with _load_lock:
        quick = _quick_loaded.get(name)
        if quick is None and name not in _loaded:
            ranks = _cached_ranks(name, "ascii")
            if ranks is not None:
                quick = _quick_loaded[name] = AsciiBpe(ranks, _ENCODINGS[name][0])
            elif encoding_cache_path(name, "ascii").exists():
                _ascii_stale.add(name)
    return quick


def _bundled_ranks(name: str) -> dict[bytes, int]:
    """Parse the bundled rank file after checking its hash against the manifest."""
    with open(bundled_encoding_path(name), "rb") as fh:
        contents = fh.read()
    if hashlib.sha256(contents).hexdigest() != bundled_manifest()[name]:
        raise ValueError(f"the bundled {name} rank file does not match its SHA-256 in the manifest")
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _cached_ranks(name: str, part: str = "") -> dict[bytes, int] | None:
    """The ranks from a cache file, or ``None`` if it is missing, stale or does not verify."""
    path = encoding_cache_path(name, part)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header_end = data.find(b"\n", len(_CACHE_MAGIC)) + 1
    fields = data[len(_CACHE_MAGIC) : header_end].split()
    payload = memoryview(data)[header_end:]
    valid = (
        data.startswith(_CACHE_MAGIC)
        and len(fields) == 3
        and fields[0].decode("ascii", "replace") == bundled_manifest()[name]
        and fields[1] == str(marshal.version).encode()
        and fields[2].decode("ascii", "replace") == hashlib.sha256(payload).hexdigest()
    )
    if valid:
        ranks = marshal.loads(payload)
        if isinstance(ranks, dict):
            return ranks
    logger.info("rebuilding the cached %s ranks at %s: it does not verify", name, path)
    return None


def _write_cache(name: str, ranks: dict[bytes, int], part: str = "") -> None:
    """Write a fast form atomically (a reader sees the old file or the whole new one)."""
    path = encoding_cache_path(name, part)
    payload = marshal.dumps(ranks)
    header = f"{bundled_manifest()[name]} {marshal.version} {hashlib.sha256(payload).hexdigest()}\n"
    try:
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_CACHE_MAGIC + header.encode("ascii") + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        logger.info("could not cache the %s ranks at %s: %s", name, path, exc)


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
def counter_for_encoding(name: str) -> TiktokenCounter:
    """The process's one exact counter for an OpenAI encoding (``o200k_base``, ``cl100k_base``)."""
    return TiktokenCounter(name)


@cache
def counter_for_model(model: str | None = None) -> TokenCounter:
    """The best counter for ``model``: exact for OpenAI families, a labelled estimate otherwise."""
    if model and model in _custom_counters:
        return _custom_counters[model]()
    encoding = encoding_for_model(model) if model else "o200k_base"
    if encoding is not None:
        return counter_for_encoding(encoding)
    bare = (model or "").split("/", 1)[-1].lower()
    if bare.startswith("claude"):
        return EstimatingCounter(counter_for_encoding("cl100k_base"), _CLAUDE_FACTOR, "claude-est")
    return EstimatingCounter(counter_for_encoding("o200k_base"), 1.0, "o200k-est")
