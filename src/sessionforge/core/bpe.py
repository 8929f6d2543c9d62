"""Exact BPE token counts of ASCII text in pure Python, for a process's first counts.

tiktoken's encoder is a Rust table of every rank plus its compiled split pattern; building it for
``o200k_base`` takes about 150 ms, longer than a short-lived process (a command, a script, a worker
that counts one session) spends counting. This module counts the way that encoder does, with none of
that set-up:

- the text is split with the encoding's own pattern (the ``regex`` module reads the same syntax);
- a piece that is a token counts 1; any other piece is merged by byte-pair encoding, always joining the
  adjacent pair of lowest rank, the leftmost on a tie, as tiktoken's ``byte_pair_merge`` does.

Only ASCII text is taken. Merging ASCII bytes only ever forms ASCII byte strings, so the ranks needed
are the ASCII tokens alone (about two thirds of ``o200k_base``), which load in half the time of the full
table. And on ASCII, Unicode classes such as ``\\p{L}`` or ``\\s`` cannot differ between Python's
``regex`` and the Rust engine's Unicode tables, which keeps the two counts equal (a test compares them
on many thousands of texts). Anything else is the caller's to count with the full encoder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

__all__ = ["MAX_MERGED_PIECE", "AsciiBpe", "ascii_ranks"]

MAX_MERGED_PIECE = 256
"""Longest piece (in bytes) merged here. Merging is quadratic in the piece's length; a longer piece
that is not a token (a run of thousands of spaces, say) is left to the Rust encoder."""


def ascii_ranks(ranks: dict[bytes, int]) -> dict[bytes, int]:
    """The part of an encoding's ranks that ASCII text can reach."""
    return {token: rank for token, rank in ranks.items() if token.isascii()}


class AsciiBpe:
    """Counts the tokens of ASCII text with an encoding's split pattern and its ASCII ranks."""

    __slots__ = ("_pattern", "_ranks")

    def __init__(self, ranks: dict[bytes, int], pattern: str) -> None:
        import regex  # tiktoken's own dependency; imported only when a counter needs it

        self._ranks = ranks
        self._pattern: regex.Pattern[str] = regex.compile(pattern)

    def count(self, text: str) -> int | None:
        """The token count of ASCII ``text``; ``None`` if a piece is too long to merge here."""
        ranks = self._ranks
        total = 0
        for piece in self._pattern.findall(text):
            raw = piece.encode("ascii")
            if raw in ranks:
                total += 1
            elif len(raw) > MAX_MERGED_PIECE:
                return None
            else:
                total += len(self._merged(raw))
        return total

    def encode(self, text: str) -> list[int] | None:
        """The token ids of ASCII ``text``; ``None`` if a piece is too long to merge here."""
        ranks = self._ranks
        ids: list[int] = []
        for piece in self._pattern.findall(text):
            raw = piece.encode("ascii")
            rank = ranks.get(raw)
            if rank is not None:
                ids.append(rank)
            elif len(raw) > MAX_MERGED_PIECE:
                return None
            else:
                ids.extend(ranks[part] for part in self._merged(raw))
        return ids

    def _merged(self, raw: bytes) -> list[bytes]:
        """The tokens byte-pair merging makes of ``raw``."""
        get = self._ranks.get
        parts = [raw[i : i + 1] for i in range(len(raw))]
        while len(parts) > 1:
            best_rank: int | None = None
            best = -1
            for i in range(len(parts) - 1):
                rank = get(parts[i] + parts[i + 1])
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best = rank, i
            if best_rank is None:
                break
            parts[best : best + 2] = [parts[best] + parts[best + 1]]
        return parts
