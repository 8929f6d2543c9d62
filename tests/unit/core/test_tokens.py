"""Token counts are exact: equal to the reference encoder's on a mixed corpus, offline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
import tiktoken.registry

from sessionforge import ChatMessage, ImagePart, TextPart, ToolCall, counter_for_model
from sessionforge.core import tokens
from sessionforge.core.tokens import (
    bundled_encoding_path,
    bundled_encoding_sha256,
    encoding_cache_path,
    encoding_for_model,
    load_encoding,
)

# tiktoken's cache file names for OpenAI's published rank files (sha1 of their download URL).
_CACHE_KEYS = {
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
}

CORPUS = [
    "Hello, world! How are you doing today?",
    "The quick brown fox jumps over the lazy dog. " * 20,
    "def fibonacci(n: int) -> int:\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n",
    "东京是日本的首都，人口超过一千三百万。我们明天去长城吧！",
    "こんにちは世界、今日はいい天気ですね。カタカナとひらがな。",
    "한국어 문장도 토큰화됩니다.",
    "Emoji: 🚀✨🎉👩‍👩‍👧‍👦🏳️‍🌈 and flags 🇯🇵🇫🇷",
    "a" * 5000,
    "     leading and trailing spaces     \n\n\n\t\ttabs",
    "<|endoftext|> is special text inside user content",
    "Numbers 3.14159 2,718,281 1e-9 0xDEADBEEF",
    "Ünïcödé àccents — “quotes” … ellipsis",
    "",
]


@pytest.fixture(scope="module")
def reference_encodings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tiktoken.Encoding]]:
    """tiktoken's own loader (its registry, its hash check) reading the same published files."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name, key in _CACHE_KEYS.items():
        shutil.copy(bundled_encoding_path(name), cache / key)
    patch = pytest.MonkeyPatch()
    patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    tiktoken.registry.ENCODINGS.clear()
    try:
        yield {name: tiktoken.get_encoding(name) for name in _CACHE_KEYS}
    finally:
        tiktoken.registry.ENCODINGS.clear()
        patch.undo()


def test_bundled_files_match_published_hashes() -> None:
    for name in _CACHE_KEYS:
        expected, actual = bundled_encoding_sha256(name)
        assert actual == expected
        assert Path(bundled_encoding_path(name)).stat().st_size > 1_000_000


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
    ],
)
def test_model_families_map_to_their_encoding(model: str, encoding: str) -> None:
    assert encoding_for_model(model) == encoding
    counter = counter_for_model(model)
    assert (counter.key, counter.accuracy) == (encoding, "exact")


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-3.5-turbo"])
def test_text_counts_equal_reference(model: str, reference_encodings: dict[str, tiktoken.Encoding]) -> None:
    counter = counter_for_model(model)
    reference = reference_encodings[counter.key]
    for text in CORPUS:
        assert counter.count_text(text) == len(reference.encode_ordinary(text)), text[:40]


def test_chat_overhead_follows_openai_formula(reference_encodings: dict[str, tiktoken.Encoding]) -> None:
    """3 per message, role and content tokens, +1 and the name's tokens for a name, +3 reply priming."""
    counter = counter_for_model("gpt-4o-mini")
    ref = reference_encodings["o200k_base"]
    messages = [
        ChatMessage.system("You are a helpful assistant."),
        ChatMessage.user("What's 2+2?", name="alice"),
    ]
    expected = 3
    for message in messages:
        expected += 3 + len(ref.encode(message.role)) + len(ref.encode(message.text))
        if message.name:
            expected += 1 + len(ref.encode(message.name))
    assert counter.count_messages(messages) == expected


def test_message_count_is_cached_once_per_counter() -> None:
    counter = counter_for_model("gpt-4o-mini")
    message = ChatMessage.user("cache me " * 50)
    first = counter.count_message(message)
    text = counter.count_text(message.text)
    assert message.token_cache == {"o200k_base": first, "o200k_base:text": text}
    counter_for_model("gpt-4").count_message(message)
    assert set(message.token_cache) == {"o200k_base", "o200k_base:text", "cl100k_base", "cl100k_base:text"}
    assert counter.count_message(message) == first


class _Tally(tokens.TiktokenCounter):
    """An exact counter that records every string it tokenizes."""

    def __init__(self) -> None:
        super().__init__(load_encoding("o200k_base"))
        self.key = "tally"
        self.seen: list[str] = []

    def count_text(self, text: str) -> int:
        self.seen.append(text)
        return super().count_text(text)


def test_text_count_for_usage_then_message_count_for_the_view_tokenizes_once() -> None:
    counter = _Tally()
    content = "billed once, sent many times " * 20
    message = ChatMessage.user(content)
    billed = counter.count_message_text(message)
    assert billed == counter_for_model("gpt-4o-mini").count_text(content)
    full = counter.count_message(message)
    assert full == 3 + counter_for_model("gpt-4o-mini").count_text("user") + billed
    assert counter.count_message_text(message) == billed
    assert counter.seen.count(content) == 1


def test_text_count_covers_text_parts_only() -> None:
    counter = counter_for_model("gpt-4o")
    parts = ChatMessage.user(
        [TextPart(text="look at this"), ImagePart(url="https://x/y.png"), TextPart(text="!")]
    )
    assert counter.count_message_text(parts) == counter.count_text("look at this") + counter.count_text("!")
    assert counter.count_message(parts) > counter.count_message_text(parts) + 85
    assert counter.count_message_text(ChatMessage.assistant(None)) == 0


def test_tool_calls_add_their_name_and_arguments() -> None:
    counter = counter_for_model("gpt-4o")
    bare = ChatMessage.assistant(None)
    call = ChatMessage.assistant(
        None, tool_calls=[ToolCall(id="c", name="lookup", arguments={"q": "x" * 40})]
    )
    assert counter.count_message(call) > counter.count_message(bare) + counter.count_text("lookup")


@pytest.mark.parametrize("model", ["claude-3-haiku-20240307", "claude-sonnet-4", "mistral-large", None])
def test_other_models_are_labelled_estimates(model: str | None) -> None:
    counter = counter_for_model(model)
    if model is None:
        assert counter.accuracy == "exact"
    else:
        assert counter.accuracy == "estimated"
        assert counter.count_text("Hello there, general Kenobi") > 0


def test_estimate_is_closer_than_chars_over_four_on_cjk(
    reference_encodings: dict[str, tiktoken.Encoding],
) -> None:
    text = CORPUS[3] * 10
    truth = len(reference_encodings["o200k_base"].encode_ordinary(text))
    estimate = counter_for_model("some-unknown-model").count_text(text)
    chars4 = len(text) / 4
    assert abs(estimate - truth) < abs(chars4 - truth)


# ---- the cached fast form of the ranks ---------------------------------------------------------------


@pytest.fixture
def fresh_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory and no encoding loaded yet in this process."""
    monkeypatch.setenv(tokens.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(tokens, "_loaded", {})
    monkeypatch.setattr(tokens, "_quick_loaded", {})
    monkeypatch.setattr(tokens, "_ascii_stale", set())
    return tmp_path / "cache"


def _reload(name: str, monkeypatch: pytest.MonkeyPatch) -> tiktoken.Encoding:
    monkeypatch.setattr(tokens, "_loaded", {})
    monkeypatch.setattr(tokens, "_quick_loaded", {})
    return load_encoding(name)


def test_first_load_caches_the_ranks_and_later_loads_read_them(
    fresh_loads: Path, monkeypatch: pytest.MonkeyPatch, reference_encodings: dict[str, tiktoken.Encoding]
) -> None:
    path = encoding_cache_path("cl100k_base")
    assert path.parent == fresh_loads
    load_encoding("cl100k_base")
    assert path.name.startswith("cl100k_base-") and path.exists()
    parsed: list[str] = []
    original = tokens._bundled_ranks
    monkeypatch.setattr(tokens, "_bundled_ranks", lambda name: parsed.append(name) or original(name))
    again = _reload("cl100k_base", monkeypatch)
    assert parsed == []  # read from the cache, the bundled file was not parsed
    reference = reference_encodings["cl100k_base"]
    for text in CORPUS:
        assert len(again.encode_ordinary(text)) == len(reference.encode_ordinary(text))


@pytest.mark.parametrize("damage", ["payload", "source hash", "truncated", "garbage"])
def test_a_cache_that_does_not_verify_is_rebuilt(
    damage: str, fresh_loads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_encoding("cl100k_base")
    path = encoding_cache_path("cl100k_base")
    data = bytearray(path.read_bytes())
    if damage == "payload":
        data[-10] ^= 0xFF
    elif damage == "source hash":
        start = data.index(b"\n") + 1
        data[start : start + 4] = b"0000"
    elif damage == "truncated":
        del data[len(data) // 2 :]
    else:
        data = bytearray(b"not a cache file")
    path.write_bytes(bytes(data))
    encoding = _reload("cl100k_base", monkeypatch)
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert tokens._cached_ranks("cl100k_base") is not None  # rewritten whole
    assert path.read_bytes() != bytes(data)


def test_an_unwritable_cache_directory_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(tokens.CACHE_DIR_ENV, str(blocker / "cache"))
    encoding = _reload("cl100k_base", monkeypatch)
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert not (blocker / "cache").exists()


def _clear_counters() -> None:
    tokens.counter_for_model.cache_clear()
    tokens.counter_for_encoding.cache_clear()


def test_only_the_encoding_in_use_is_loaded(fresh_loads: Path) -> None:
    _clear_counters()
    try:
        counter_for_model("gpt-4o-mini").count_text("hello")
        assert set(tokens._loaded) == {"o200k_base"}
        assert not encoding_cache_path("cl100k_base").exists()
        assert not encoding_cache_path("cl100k_base", "ascii").exists()
        tokens._loaded.clear()
        _clear_counters()
        counter_for_model("gpt-4o-mini").count_text("hello again")  # a later process
        assert set(tokens._loaded) == set() and set(tokens._quick_loaded) == {"o200k_base"}
    finally:
        _clear_counters()


def _counted_without_encoder(fresh_loads: Path, monkeypatch: pytest.MonkeyPatch) -> tokens.TiktokenCounter:
    """A counter by name in a process whose cache holds both rank files, no encoder built yet."""
    load_encoding("o200k_base")  # writes the caches, as the first run on a machine does
    monkeypatch.setattr(tokens, "_loaded", {})
    monkeypatch.setattr(tokens, "_quick_loaded", {})
    return tokens.TiktokenCounter("o200k_base")


def test_a_counter_by_name_counts_ascii_exactly_before_building_the_encoder(
    fresh_loads: Path, monkeypatch: pytest.MonkeyPatch, reference_encodings: dict[str, tiktoken.Encoding]
) -> None:
    assert encoding_cache_path("o200k_base", "ascii").exists() is False
    counter = _counted_without_encoder(fresh_loads, monkeypatch)
    assert encoding_cache_path("o200k_base", "ascii").exists()
    reference = reference_encodings["o200k_base"]
    ascii_texts = [text for text in CORPUS if text.isascii() and text != "a" * 5000]
    assert [counter.count_text(t) for t in ascii_texts] == [
        len(reference.encode_ordinary(t)) for t in ascii_texts
    ]
    assert counter.encode_ordinary(" commonness") == reference.encode_ordinary(" commonness")
    assert "o200k_base" not in tokens._loaded  # all of it counted without tiktoken's encoder
    message = ChatMessage.user("What is in this file?")
    assert counter.count_message(message) == len(reference.encode_ordinary(message.text)) + 3 + 1

    assert counter.count_text("naïve café") == len(reference.encode_ordinary("naïve café"))
    assert "o200k_base" in tokens._loaded  # text that is not ASCII builds the encoder
    assert [counter.count_text(t) for t in CORPUS] == [len(reference.encode_ordinary(t)) for t in CORPUS]


@pytest.mark.parametrize("text", ["a" * 5000, "naïve café"])
def test_text_the_python_count_declines_builds_the_encoder(
    text: str,
    fresh_loads: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference_encodings: dict[str, tiktoken.Encoding],
) -> None:
    counter = _counted_without_encoder(fresh_loads, monkeypatch)
    assert counter.count_text(text) == len(reference_encodings["o200k_base"].encode_ordinary(text))
    assert "o200k_base" in tokens._loaded


def test_the_encoder_is_built_once_the_allowance_is_counted(
    fresh_loads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "QUICK_ALLOWANCE", 120)
    counter = _counted_without_encoder(fresh_loads, monkeypatch)
    counter.count_text("a" * 60)
    assert "o200k_base" not in tokens._loaded
    assert counter.count_text(" ".join(["hello world"] * 4)) == 8  # 47 more: within the allowance
    assert "o200k_base" not in tokens._loaded
    counter.count_text("b" * 60)  # past the allowance: the encoder is built for this text
    assert "o200k_base" in tokens._loaded


def test_load_builds_the_encoder_now_and_other_counters_use_it(
    fresh_loads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _counted_without_encoder(fresh_loads, monkeypatch)
    other = tokens.TiktokenCounter("o200k_base")
    assert counter.load() is counter and "o200k_base" in tokens._loaded
    assert other.count_text("hello world") == 2
    assert other._encoding is tokens._loaded["o200k_base"]
    with pytest.raises(ValueError, match="unknown encoding"):
        tokens.TiktokenCounter("p50k_base")


def test_a_damaged_ascii_cache_is_not_used_and_is_rewritten(
    fresh_loads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _counted_without_encoder(fresh_loads, monkeypatch)
    path = encoding_cache_path("o200k_base", "ascii")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert counter.count_text("hello world") == 2  # counted by the encoder instead
    assert "o200k_base" in tokens._loaded
    assert tokens._cached_ranks("o200k_base", "ascii") is not None  # rewritten whole
    assert path.read_bytes() != bytes(data)
