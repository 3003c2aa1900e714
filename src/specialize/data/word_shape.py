"""Word shapes: the casing signal an uncased encoder loses.

Uncased encoders (the default all-MiniLM-L6-v2 base) lowercase their input, yet casing is one of the strongest
NER signals. The shape of the word each subword belongs to is fed to the model through BERT's token-type
embeddings (one row per shape), so the saved model is still a plain ``BertForTokenClassification``.

This module is deliberately self-contained (standard library only): it is copied verbatim next to the
tokenizer code inside every saved model folder, so ``transformers`` can compute the same shapes without
``specialize`` installed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

# Row 0 is the encoder's original token-type row and stays the id of special and padding tokens.
SHAPE_SPECIAL = 0
SHAPE_LOWER = 1  # "disease"
SHAPE_CAPITALIZED = 2  # "Paris", "A"
SHAPE_UPPER = 3  # "BRCA", "USA"
SHAPE_MIXED = 4  # "McDonald", "iPhone", "mRNA"
SHAPE_DIGIT = 5  # "1996", "3.5" pieces
SHAPE_OTHER = 6  # punctuation and symbols

NUM_SHAPES = 7
SHAPE_NAMES = ["special", "lower", "capitalized", "upper", "mixed", "digit", "other"]


def shape_of(word: str) -> int:
    """Shape id of one word (a pre-tokenized word, not a subword piece)."""
    cased = [c for c in word if c.isupper() or c.islower()]
    if not cased:
        if any(c.isdigit() for c in word):
            return SHAPE_DIGIT
        return SHAPE_OTHER
    uppers = sum(1 for c in cased if c.isupper())
    if uppers == 0:
        return SHAPE_LOWER
    if uppers == len(cased):
        return SHAPE_UPPER if len(cased) > 1 else SHAPE_CAPITALIZED
    if cased[0].isupper() and uppers == 1:
        return SHAPE_CAPITALIZED
    return SHAPE_MIXED


# Words repeat (Zipf): a cache turns most shape computations into one lookup; shapes were a third of the
# preprocessing time of a fast model.
_cached_shape_of = functools.lru_cache(maxsize=1 << 16)(shape_of)


def word_shape_ids(
    text: str,
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None],
) -> list[int]:
    """One shape id per token: the shape of the word the token belongs to, 0 for special tokens.

    ``offsets`` and ``word_ids`` are a fast tokenizer's ``Encoding.offsets`` and ``Encoding.word_ids``.
    """
    spans: dict[int, tuple[int, int]] = {}
    for word, (start, end) in zip(word_ids, offsets, strict=True):
        if word is None or end <= start:
            continue
        lo, hi = spans.get(word, (start, end))
        spans[word] = (min(lo, start), max(hi, end))
    shapes = {word: _cached_shape_of(text[lo:hi]) for word, (lo, hi) in spans.items()}
    return [SHAPE_SPECIAL if word is None else shapes.get(word, SHAPE_SPECIAL) for word in word_ids]
