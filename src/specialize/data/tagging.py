"""Tag schemes and decoding: from per-word label probabilities back to character spans.

Decoding is constrained Viterbi over IOB2 (an ``I-X`` may only follow ``B-X`` or ``I-X``), so a model's
probabilities always turn into well-formed spans. Pure numpy: the torch-free runtime uses the same code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from specialize.data.document import Span

OUTSIDE = "O"


def iob2_labels(entity_types: Iterable[str]) -> list[str]:
    """``["O", "B-T1", "I-T1", ...]`` for the sorted entity types."""
    labels = [OUTSIDE]
    for entity_type in sorted(set(entity_types)):
        labels += [f"B-{entity_type}", f"I-{entity_type}"]
    return labels


def entity_types(labels: Sequence[str]) -> list[str]:
    """Entity types of an IOB2 label list, in order of first appearance."""
    seen: dict[str, None] = {}
    for label in labels:
        if label != OUTSIDE:
            seen.setdefault(label[2:], None)
    return list(seen)


def _allowed_transitions(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(start_allowed[n], transition_allowed[n, n]) for IOB2."""
    n = len(labels)
    start = np.array([not label.startswith("I-") for label in labels])
    trans = np.ones((n, n), dtype=bool)
    for j, label in enumerate(labels):
        if label.startswith("I-"):
            for i, previous in enumerate(labels):
                trans[i, j] = previous[2:] == label[2:] and previous != OUTSIDE
    return start, trans


class SpanDecoder:
    """Turns per-word probabilities into spans with constrained Viterbi decoding."""

    def __init__(self, labels: Sequence[str]):
        self.labels = list(labels)
        start, trans = _allowed_transitions(self.labels)
        # -inf would make every path impossible when a row is all-forbidden; a large penalty cannot.
        self._start_penalty = np.where(start, 0.0, -1e4)
        self._transition_penalty = np.where(trans, 0.0, -1e4)
        self._start_allowed = start
        self._transition_allowed = trans

    def best_path(self, probs: np.ndarray) -> np.ndarray:
        """Most likely valid label sequence for ``probs`` of shape (words, labels)."""
        n_words = probs.shape[0]
        if n_words == 0:
            return np.zeros(0, dtype=np.int64)
        # Transitions are only allowed (0) or forbidden, never scored: when the per-word argmax is already a
        # valid sequence it maximises the unconstrained score, so it is the constrained optimum too. A trained
        # model's argmax is valid for nearly every sentence, and this check is a few array operations where
        # the Viterbi loop below is a Python iteration per word (the slowest step for fast models).
        argmax = probs.argmax(axis=1)
        if self._start_allowed[argmax[0]] and self._transition_allowed[argmax[:-1], argmax[1:]].all():
            return argmax.astype(np.int64, copy=False)
        log_probs = np.log(np.clip(probs, 1e-9, 1.0))
        score = log_probs[0] + self._start_penalty
        backpointers = np.zeros((n_words, len(self.labels)), dtype=np.int64)
        for t in range(1, n_words):
            candidates = score[:, None] + self._transition_penalty
            backpointers[t] = candidates.argmax(axis=0)
            score = candidates.max(axis=0) + log_probs[t]
        path = np.zeros(n_words, dtype=np.int64)
        path[-1] = int(score.argmax())
        for t in range(n_words - 1, 0, -1):
            path[t - 1] = backpointers[t, path[t]]
        return path

    def decode(self, probs: np.ndarray, word_offsets: Sequence[tuple[int, int]]) -> list[Span]:
        """Spans (character offsets from ``word_offsets``) scored by the mean probability of their tags."""
        path = self.best_path(probs)
        spans: list[Span] = []
        current: tuple[int, str, list[float]] | None = None  # (first word, type, tag probabilities)

        def close(last_word: int) -> None:
            if current is not None:
                first, entity_type, scores = current
                spans.append(
                    Span(
                        word_offsets[first][0],
                        word_offsets[last_word][1],
                        entity_type,
                        math.fsum(scores) / len(scores),  # np.mean per span costs more than the decoding
                    )
                )

        # One fancy-indexing call and plain lists: numpy scalar access per word dominated decoding time.
        chosen = probs[np.arange(len(path)), path].tolist()
        for w, label_id in enumerate(path.tolist()):
            label = self.labels[label_id]
            prob = chosen[w]
            if label.startswith("I-") and current is not None and current[1] == label[2:]:
                current[2].append(prob)
                continue
            close(w - 1)
            current = (w, label[2:], [prob]) if label != OUTSIDE else None
        close(len(path) - 1)
        return spans
