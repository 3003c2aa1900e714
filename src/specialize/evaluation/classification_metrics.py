"""Classification metrics with document-level bootstrap CIs, built on the span metrics.

A text's label set is scored like a document's spans: each label is one "span" that is either predicted and
gold (TP), predicted only (FP) or gold only (FN). So per-label precision/recall/F1, micro and macro F1 and
their bootstrap intervals are exactly :func:`~specialize.evaluation.span_metrics.score_spans` and
:func:`~specialize.evaluation.span_metrics.bootstrap_ci` on one-character pseudo-spans, with the same
conventions (macro F1 over the labels that occur in gold; 0.0, never NaN, for empty denominators).

* single-label (one gold and one predicted label per text): micro P = micro R = micro F1 = accuracy;
* multi-label: micro F1 over all (text, label) decisions; **accuracy is exact match** (the predicted set
  equals the gold set, the empty set included), which is strict: with 40 labels it is much lower than micro F1.

Texts are the bootstrap unit; the accuracy interval resamples texts with its own generator seeded alike, so
two models scored with the same seed get paired intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from specialize.data.document import Span
from specialize.evaluation.span_metrics import BootstrapCI, SpanScores, bootstrap_ci, score_spans


def _as_spans(labels: Sequence[str]) -> list[Span]:
    return [Span(0, 1, label) for label in dict.fromkeys(labels)]


@dataclass
class ClassificationScores:
    """Accuracy (exact match), per-text correctness and the label-level P/R/F1 scores."""

    accuracy: float
    correct: np.ndarray  # (n_texts,) bool: predicted set == gold set
    labels: SpanScores  # per label ("type"), micro, macro; doc_counts for the bootstrap

    @property
    def micro_f1(self) -> float:
        return self.labels.micro.f1

    @property
    def macro_f1(self) -> float:
        return self.labels.macro_f1


@dataclass(frozen=True)
class ClassificationCI:
    accuracy: tuple[float, float]
    labels: BootstrapCI


def score_labels(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], *, labels: Sequence[str] | None = None
) -> ClassificationScores:
    """Score predicted label lists against gold ones (same order). ``labels`` adds labels to report even if
    absent from both sides."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold label lists but {len(predicted)} predicted ones")
    scores = score_spans([_as_spans(g) for g in gold], [_as_spans(p) for p in predicted], types=labels)
    correct = np.array([set(g) == set(p) for g, p in zip(gold, predicted, strict=True)], dtype=bool)
    accuracy = float(correct.mean()) if len(correct) else 0.0
    return ClassificationScores(accuracy, correct, scores)


def bootstrap_classification(
    scores: ClassificationScores, *, n_samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> ClassificationCI:
    """Percentile bootstrap intervals over texts for accuracy, micro/macro F1 and per-label F1."""
    label_ci = bootstrap_ci(scores.labels, n_samples=n_samples, confidence=confidence, seed=seed)
    n = len(scores.correct)
    if n == 0:
        return ClassificationCI((0.0, 0.0), label_ci)
    rng = np.random.default_rng(seed)
    correct = scores.correct.astype(np.float64)
    means = np.empty(n_samples)
    step = max(1, 4_000_000 // n)  # bound the index matrix like span_metrics does
    for lo in range(0, n_samples, step):
        hi = min(n_samples, lo + step)
        means[lo:hi] = correct[rng.integers(0, n, size=(hi - lo, n))].mean(axis=1)
    low, high = np.percentile(means, (100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2))
    return ClassificationCI((float(low), float(high)), label_ci)
