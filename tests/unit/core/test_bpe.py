"""The pure-Python BPE counts ASCII text exactly as tiktoken's encoder does."""

from __future__ import annotations

import random
import string

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionforge.core import tokens
from sessionforge.core.bpe import MAX_MERGED_PIECE, AsciiBpe, ascii_ranks

NAMES = ("o200k_base", "cl100k_base")

_WORDS = [
    *["the", "quick", "brown", "fox", "don't", "I'll", "we've", "they'RE", "HTTPServer", "getX2"],
    *["x_y", "foo-bar", "3.14159", "1234567", "0xDEADBEEF", "...", "!!!", "'''", '"q"', "(a)"],
    *["[b]", "{c}", "<|endoftext|>", "#include", "<stdio.h>", "print('hi')"],
]
_SEPARATORS = [" ", "  ", "\n", "\n\n", "\t", " \n ", "\r\n", "   \n\t", ""]


@pytest.fixture(scope="module", params=NAMES)
def pair(request: pytest.FixtureRequest) -> tuple[AsciiBpe, tiktoken.Encoding]:
    name: str = request.param
    return _quick(name), tokens.load_encoding(name)


def _seeded_texts(count: int) -> list[str]:
    rnd = random.Random(20261203)
    alphabet = [chr(i) for i in range(128)]
    texts = []
    for i in range(count):
        if i % 3 == 0:  # any ASCII characters, control characters included
            texts.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80))))
        elif i % 3 == 1:  # words, code and punctuation with varied whitespace
            texts.append(
                "".join(rnd.choice(_WORDS) + rnd.choice(_SEPARATORS) for _ in range(rnd.randint(0, 30)))
            )
        else:  # rare letter, digit and case runs that are not tokens and must be merged
            pool = string.ascii_letters + string.digits + "'_- "
            texts.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 120))))
    return texts


def test_tokens_equal_the_encoders_on_varied_ascii(pair: tuple[AsciiBpe, tiktoken.Encoding]) -> None:
    quick, encoding = pair
    differing = [
        text
        for text in _seeded_texts(3000)
        if quick.encode(text) != encoding.encode_ordinary(text)
        or quick.count(text) != len(encoding.encode_ordinary(text))
    ]
    assert differing == []


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_counts_equal_the_encoders_on_any_ascii(text: str) -> None:
    for name in NAMES:
        quick = _quick(name)
        assert quick.count(text) == len(tokens.load_encoding(name).encode_ordinary(text))


_QUICK: dict[str, AsciiBpe] = {}


def _quick(name: str) -> AsciiBpe:
    if name not in _QUICK:
        _QUICK[name] = AsciiBpe(ascii_ranks(tokens._bundled_ranks(name)), tokens._ENCODINGS[name][0])
    return _QUICK[name]


def test_a_piece_too_long_to_merge_here_is_declined(pair: tuple[AsciiBpe, tiktoken.Encoding]) -> None:
    quick, _ = pair
    assert quick.count("zq" * MAX_MERGED_PIECE) is None  # one piece of 512 letters
    assert quick.encode("zq" * MAX_MERGED_PIECE) is None
    assert quick.count("zq" * 10) is not None


def test_ascii_ranks_are_the_ascii_tokens_only() -> None:
    ranks = {b"ab": 3, b"\xc3\xa9": 4, b" the": 7}
    assert ascii_ranks(ranks) == {b"ab": 3, b" the": 7}
