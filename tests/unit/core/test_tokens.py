"""Token counts are exact: equal to the reference encoder's on a mixed corpus, offline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
import tiktoken.registry

from sessionforge import ChatMessage, ToolCall, counter_for_model
from sessionforge.core.tokens import bundled_encoding_path, bundled_encoding_sha256, encoding_for_model

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
    assert message.token_cache == {"o200k_base": first}
    counter_for_model("gpt-4").count_message(message)
    assert set(message.token_cache) == {"o200k_base", "cl100k_base"}
    assert counter.count_message(message) == first


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
