"""Sliding windows over long documents: one windowing for labeling, training and inference.

A document is tokenized whole; windows of at most ``max_tokens`` subwords step through it with ``stride``
tokens of overlap, starting and ending on word boundaries where possible. Every word is *owned* by exactly one
window (the one where it sits farthest from an edge, so it has the most context) and its prediction is taken
from there. Nothing is truncated: a word past any model limit still lands in some window.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Tokens ``[start, end)`` of a document; words ``[own_start, own_end)`` take their labels from here."""

    start: int
    end: int
    own_start: int  # word index
    own_end: int  # word index (exclusive)


def make_windows(word_starts: Sequence[int], n_tokens: int, max_tokens: int, stride: int) -> list[Window]:
    """Windows over ``n_tokens`` tokens whose words begin at ``word_starts`` (token indices).

    ``stride`` is the overlap in tokens between consecutive windows; it must be smaller than ``max_tokens``.
    """
    if max_tokens < 2:
        raise ValueError(f"max_tokens must be at least 2, got {max_tokens}")
    if not 0 <= stride < max_tokens:
        raise ValueError(f"stride must be in [0, max_tokens), got stride={stride}, max_tokens={max_tokens}")
    n_words = len(word_starts)
    if n_tokens <= max_tokens:
        return [Window(0, n_tokens, 0, n_words)]

    bounds = [(start, word_starts[i + 1] if i + 1 < n_words else n_tokens) for i, start in enumerate(word_starts)]
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + max_tokens, n_tokens)
        if end < n_tokens:
            # Pull the end back to a word boundary so no word is cut, unless one word alone fills the window.
            k = bisect.bisect_right(word_starts, end) - 1  # last word start <= end
            if k >= 0 and word_starts[k] > start:
                end = word_starts[k]
        windows.append((start, end))
        if end >= n_tokens:
            break
        next_start = max(end - stride, start + 1)
        # Start the next window on a word boundary at or after next_start (never past end).
        k = bisect.bisect_left(word_starts, next_start)  # first word start >= next_start
        aligned = word_starts[k] if k < n_words and word_starts[k] < end else next_start
        start = aligned
    return _assign_ownership(windows, bounds)


def _assign_ownership(windows: list[tuple[int, int]], bounds: list[tuple[int, int]]) -> list[Window]:
    """Each word goes to the window whose nearer edge is farthest from the word's first token."""
    owner: list[int] = []
    first = 0  # windows are sorted by start and by end: skip those that ended before this word
    for first_token, _ in bounds:
        while windows[first][1] <= first_token:
            first += 1
        best, best_margin = first, -1
        i = first
        while i < len(windows) and windows[i][0] <= first_token:
            start, end = windows[i]
            margin = min(first_token - start, end - 1 - first_token)
            if margin > best_margin:
                best, best_margin = i, margin
            i += 1
        owner.append(best)
    # Owners never decrease from word to word, so each window owns a contiguous run of words.
    result = []
    for i, (start, end) in enumerate(windows):
        own_start = bisect.bisect_left(owner, i)
        own_end = bisect.bisect_right(owner, i)
        result.append(Window(start, end, own_start, own_end))
    return result
