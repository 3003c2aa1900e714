"""How sure a span predictor is of each document: one number in [0, 1] per text, lowest = least sure.

The cascade (:mod:`specialize.serve.cascade`) defers its least confident documents to a bigger model; the
correction loop (:mod:`specialize.correction.select`) hands them to a human. Both read these measures.

Document confidence is how sure the model is of its *least* sure decision, since one wrong span spoils
the document:

* ``min_span_score``: the lowest score among its spans (1.0 for a document without spans: nothing found
  means nothing doubtful, as far as span scores can tell);
* ``min_word_prob``: the lowest, over all words, of the probability of the word's most likely tag, and of the
  span scores. Unlike span scores, it also sees a *missed* entity (a word the model almost tagged);
* ``min_token_margin``: the lowest, over all words, of the gap between the two most likely tags.

The word-level measures need a model with ``word_probabilities`` and a ``decoder`` (a specialist, or an
exported ONNX one); they come from the same forward pass as the spans, so they cost nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.models.base import SpanPredictor

CONFIDENCES = ("min_span_score", "min_word_prob", "min_token_margin")

ConfidenceFn = Callable[[SpanPredictor, Sequence[str]], tuple[list[list[Span]], list[float]]]


@runtime_checkable
class WordScorer(Protocol):
    """What ``Specialist`` and ``OnnxPredictor`` offer beyond ``predict``: per-word tag distributions."""

    decoder: Any

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[Any], list[np.ndarray]]: ...


def span_confidence(spans: Sequence[Span]) -> float:
    # Unscored spans (rules, spaCy) say nothing about confidence; they never make a document doubtful alone.
    scores = [s.score for s in spans if s.score is not None]
    return float(min(scores)) if scores else 1.0


def word_confidences(model: SpanPredictor, texts: Sequence[str], measure: str) -> tuple[list[list[Span]], list[float]]:
    """Spans and ``min_word_prob`` or ``min_token_margin`` confidences from one pass of word probabilities."""
    if not isinstance(model, WordScorer):
        raise ConfigError(
            f"confidence {measure!r} needs a model with word probabilities (a specialist folder or an "
            f"exported one); {model.name!r} has none. Use confidence='min_span_score'"
        )
    docs, word_probs = model.word_probabilities(texts)
    spans = [model.decoder.decode(p, d.word_offsets) for p, d in zip(word_probs, docs, strict=True)]
    confidences = []
    for probs, doc_spans in zip(word_probs, spans, strict=True):
        if len(probs) == 0:
            confidences.append(1.0)
            continue
        if measure == "min_token_margin":
            top2 = np.sort(probs, axis=-1)[:, -2:]
            confidences.append(float((top2[:, 1] - top2[:, 0]).min()))
        else:
            confidences.append(min(float(probs.max(axis=-1).min()), span_confidence(doc_spans)))
    return spans, confidences


def primary_confidences(
    model: SpanPredictor, texts: Sequence[str], confidence: str | ConfidenceFn = "min_span_score"
) -> tuple[list[list[Span]], list[float]]:
    """The model's spans and one confidence in [0, 1] per text (see the module docstring for measures)."""
    texts = list(texts)
    if not texts:
        return [], []
    if callable(confidence):
        return confidence(model, texts)
    if confidence == "min_span_score":
        spans = [list(s) for s in model.predict(texts)]
        return spans, [span_confidence(s) for s in spans]
    if confidence in ("min_word_prob", "min_token_margin"):
        return word_confidences(model, texts, confidence)
    raise ConfigError(f"unknown confidence {confidence!r}; use one of {', '.join(CONFIDENCES)}")


# -- text classifiers ---------------------------------------------------------------------------------------------
# A text's confidence, in [0, 1]: single-label, the probability of its predicted (top) label; multi-label, how far
# its least certain label is from the decision threshold ``t``, as a share of the room on that side: ``(t - p) / t``
# below the threshold, ``(p - t) / (1 - t)`` above it. 0 on the threshold, 1 at ``p = 0`` or ``p = 1``. Scaled so
# that one bound means the same whatever ``t`` is: a dev-chosen ``t = 0.3`` leaves 0.3 of room below it and 0.7
# above, and a raw distance bound of 0.4 could never be met below it.
LABEL_CONFIDENCE = "label_margin"


def decision_threshold(model: Any) -> float | None:
    """The probability from which a multi-label model predicts a label; None for a single-label model."""
    if not model.multi_label:
        return None
    # Both TextClassifier and OnnxClassifier keep it in their settings (saved with the model, chosen on dev).
    threshold = getattr(getattr(model, "settings", None), "threshold", getattr(model, "threshold", None))
    if threshold is None:
        raise ConfigError(
            f"multi-label classifier {model.name!r} has no settings.threshold, so its confidence cannot be measured"
        )
    return float(threshold)


def label_confidences(probabilities: np.ndarray, threshold: float | None) -> np.ndarray:
    """One confidence per row of ``probabilities`` (texts x labels), as defined above."""
    if len(probabilities) == 0 or probabilities.shape[1] == 0:
        return np.ones(len(probabilities))
    if threshold is None:
        return np.asarray(probabilities.max(axis=1), dtype=float)
    room = np.where(probabilities < threshold, threshold, 1.0 - threshold)
    return np.asarray((np.abs(probabilities - threshold) / room).min(axis=1), dtype=float)
