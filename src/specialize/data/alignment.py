"""Tokenize documents with a fast tokenizer and align character spans to its words and subword tokens.

A "word" here is the tokenizer's pre-tokenized word (BERT splits on whitespace and punctuation); entity
boundaries are predicted per word, on the word's first subword. Gold spans whose edges fall inside a word
cannot be represented exactly: they are widened to whole words and counted, never dropped in silence.
"""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specialize.data.document import Span
from specialize.data.word_shape import word_shape_ids

logger = logging.getLogger(__name__)


@dataclass
class TokenizedDocument:
    """Subword tokens of one whole document (no special tokens, never truncated)."""

    text: str
    ids: list[int]
    offsets: list[tuple[int, int]]
    shapes: list[int]
    word_starts: list[int]  # per word: index of its first token
    word_offsets: list[tuple[int, int]]  # per word: character range

    @property
    def n_tokens(self) -> int:
        return len(self.ids)

    @property
    def n_words(self) -> int:
        return len(self.word_starts)

    def token_to_word(self) -> list[int]:
        """Word index of every token."""
        out: list[int] = []
        bounds = [*self.word_starts, self.n_tokens]
        for w in range(self.n_words):
            out.extend([w] * (bounds[w + 1] - bounds[w]))
        return out


def tokenize_texts(tokenizer: Any, texts: Sequence[str]) -> list[TokenizedDocument]:
    """Tokenize whole texts with a ``tokenizers.Tokenizer`` (no special tokens, no truncation)."""
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    docs = []
    for text, enc in zip(texts, encodings, strict=True):
        word_ids = enc.word_ids
        offsets = [tuple(o) for o in enc.offsets]
        word_starts: list[int] = []
        word_offsets: list[tuple[int, int]] = []
        previous: int | None = None
        for i, (w, (start, end)) in enumerate(zip(word_ids, offsets, strict=True)):
            if w is None:
                continue
            if w != previous:
                word_starts.append(i)
                word_offsets.append((start, end))
                previous = w
            else:
                word_offsets[-1] = (word_offsets[-1][0], max(word_offsets[-1][1], end))
        docs.append(
            TokenizedDocument(
                text=text,
                ids=list(enc.ids),
                offsets=offsets,
                shapes=word_shape_ids(text, offsets, word_ids),
                word_starts=word_starts,
                word_offsets=word_offsets,
            )
        )
    return docs


@dataclass
class AlignmentReport:
    """Counts of spans that did not fall exactly on the tokenizer's word boundaries."""

    spans: int = 0
    widened: int = 0  # edges inside a word: widened to whole words
    no_tokens: int = 0  # covers no token at all (whitespace only, or text the tokenizer drops)
    overlapping: int = 0  # overlaps an earlier span of the same document once widened
    examples: list[str] = field(default_factory=list)
    by_label: Counter[str] = field(default_factory=Counter)

    def add_example(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)

    @property
    def problems(self) -> int:
        return self.widened + self.no_tokens + self.overlapping

    def summary(self) -> str:
        if not self.problems:
            return f"all {self.spans} spans fall on token boundaries"
        return (
            f"{self.problems} of {self.spans} spans do not fall on token boundaries: {self.widened} widened to "
            f"whole words, {self.no_tokens} cover no token (skipped), {self.overlapping} overlap another span "
            f"once widened (skipped); examples: {'; '.join(self.examples)}"
        )

    def merge(self, other: AlignmentReport) -> None:
        self.spans += other.spans
        self.widened += other.widened
        self.no_tokens += other.no_tokens
        self.overlapping += other.overlapping
        self.by_label.update(other.by_label)
        for example in other.examples:
            self.add_example(example)


def spans_to_word_tags(
    doc: TokenizedDocument, spans: Sequence[Span], report: AlignmentReport | None = None
) -> list[str]:
    """IOB2 tag per word for ``spans``; misaligned spans are widened or skipped and counted in ``report``."""
    report = report if report is not None else AlignmentReport()
    tags = ["O"] * doc.n_words
    starts = [s for s, _ in doc.word_offsets]
    ends = [e for _, e in doc.word_offsets]
    for span in sorted(spans):
        report.spans += 1
        # Words are sorted and disjoint: the covered ones are a contiguous run found by bisection.
        covered = range(bisect.bisect_right(ends, span.start), bisect.bisect_left(starts, span.end))
        snippet = f"{doc.text[span.start : span.end]!r} ({span.label} {span.start}-{span.end})"
        if not covered:
            report.no_tokens += 1
            report.by_label[span.label] += 1
            report.add_example(snippet + " covers no token")
            continue
        first, last = covered[0], covered[-1]
        if any(tags[w] != "O" for w in covered):
            report.overlapping += 1
            report.by_label[span.label] += 1
            report.add_example(snippet + " overlaps another span")
            continue
        if starts[first] != span.start or ends[last] != span.end:
            report.widened += 1
            report.by_label[span.label] += 1
            report.add_example(f"{snippet} -> {doc.text[starts[first] : ends[last]]!r}")
        tags[first] = f"B-{span.label}"
        for w in range(first + 1, last + 1):
            tags[w] = f"I-{span.label}"
    return tags


def map_word_probabilities(
    teacher_doc: TokenizedDocument, probs: np.ndarray, student_doc: TokenizedDocument, labels: Sequence[str]
) -> np.ndarray:
    """The teacher's per-word distributions on the student's words, matched by character offsets.

    Identical pre-tokenization (e.g. two BERT-family tokenizers) maps word to word. Otherwise a student word
    takes the distribution of the teacher word containing its first character, with B-X moved to I-X when it
    starts inside that word (it continues the entity); a word no teacher word covers gets NaN (no target).
    """
    if teacher_doc.word_offsets == student_doc.word_offsets:
        return probs
    inside = np.array([labels.index("I-" + x[2:]) if x.startswith("B-") else i for i, x in enumerate(labels)])
    starts = [s for s, _ in teacher_doc.word_offsets]
    out = np.full((student_doc.n_words, len(labels)), np.nan, dtype=np.float32)
    for w, (start, _) in enumerate(student_doc.word_offsets):
        t = bisect.bisect_right(starts, start) - 1
        if t < 0 or teacher_doc.word_offsets[t][1] <= start:
            continue
        if starts[t] == start:
            out[w] = probs[t]
        else:
            out[w] = np.bincount(inside, weights=probs[t], minlength=len(labels))
    return out
