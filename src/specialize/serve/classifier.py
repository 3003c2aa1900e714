"""Serving a text classifier: labels and scores per text, and a cascade that defers unsure texts to a bigger one.

A text's confidence, in [0, 1]:

* single-label: the probability of its predicted (top) label;
* multi-label: how far its least certain label is from the decision threshold ``t``, as a share of the room
  on that side: ``(t - p) / t`` below the threshold, ``(p - t) / (1 - t)`` above it. 0 on the threshold, 1 at
  ``p = 0`` or ``p = 1``. Scaled so that one bound means the same whatever ``t`` is: a dev-chosen ``t = 0.3``
  leaves 0.3 of room below it and 0.7 above, and a raw distance bound of 0.4 could never be met below it.

The routing itself (which texts go to the fallback, one fallback call with just those) is the span cascade's,
:func:`~specialize.serve.cascade.ask_fallback`. Plain Python and numpy: no web framework needed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specialize.data.model_folder import CLASSIFICATION_TASK, folder_task
from specialize.models.base import Classifier, SpanPredictor
from specialize.models.resolve import load_folder
from specialize.serve.cascade import ask_fallback
from specialize.tasks.classification import label_scores


@dataclass(frozen=True)
class Labelled:
    """One text's answer: its labels, every label's probability, the model that answered, whether deferred."""

    labels: list[str]
    scores: dict[str, float]
    model: str
    confidence: float
    deferred: bool


def decision_threshold(model: Classifier) -> float | None:
    """The probability from which a multi-label model predicts a label; None for a single-label model."""
    if not model.multi_label:
        return None
    # Both TextClassifier and OnnxClassifier keep it in their settings (saved with the model, chosen on dev).
    threshold = getattr(getattr(model, "settings", None), "threshold", None)
    if threshold is None:
        raise ValueError(
            f"multi-label classifier {model.name!r} has no settings.threshold, so its confidence cannot be measured"
        )
    return float(threshold)


def label_confidences(probabilities: np.ndarray, threshold: float | None) -> np.ndarray:
    """One confidence per row of ``probabilities`` (texts x labels), as the module docstring defines it."""
    if len(probabilities) == 0 or probabilities.shape[1] == 0:
        return np.ones(len(probabilities))
    if threshold is None:
        return np.asarray(probabilities.max(axis=1), dtype=float)
    room = np.where(probabilities < threshold, threshold, 1.0 - threshold)
    return np.asarray((np.abs(probabilities - threshold) / room).min(axis=1), dtype=float)


def _answers(model: Classifier, texts: list[str]) -> tuple[list[tuple[list[str], dict[str, float]]], list[float]]:
    """(labels, scores) per text and the model's confidence in each, from one ``predict_proba`` call."""
    if not texts:
        return [], []
    probabilities = model.predict_proba(texts)
    labels = model.decide(probabilities)
    confidences = label_confidences(probabilities, decision_threshold(model))
    answers = list(zip(labels, label_scores(model.labels, probabilities), strict=True))
    return answers, [float(c) for c in confidences]


def load_classifier_fallback(spec: str | Classifier | SpanPredictor) -> Classifier:
    """A classifier fallback: a classifier folder (torch or exported) or a :class:`Classifier` object."""
    if not isinstance(spec, str):
        if not isinstance(spec, Classifier):
            raise ValueError(f"the fallback of a text classifier must be a text classifier, not {type(spec).__name__}")
        return spec
    if folder_task(spec) != CLASSIFICATION_TASK:
        raise ValueError(
            f"the fallback of a text classifier must be a classifier folder (written by `specialize train --task "
            f"classification` or exported from one); {spec!r} is not (no config.json with specialize.task = "
            "classification)"
        )
    classifier: Classifier = load_folder(Path(spec))
    return classifier


class ClassifierCascade:
    """Labels from ``primary``; with a ``fallback``, texts whose confidence is below ``threshold`` get its labels.

    Both models must name the same labels and agree on single- vs multi-label, so that every answer means the
    same whichever model gave it.
    """

    def __init__(self, primary: Classifier, fallback: Classifier | None = None, threshold: float = 0.8) -> None:
        if fallback is not None:
            if sorted(fallback.labels) != sorted(primary.labels):
                only_primary = sorted(set(primary.labels) - set(fallback.labels))
                only_fallback = sorted(set(fallback.labels) - set(primary.labels))
                raise ValueError(
                    f"the fallback {fallback.name!r} and {primary.name!r} must have the same labels; only "
                    f"{primary.name!r} has {only_primary}, only {fallback.name!r} has {only_fallback}"
                )
            if fallback.multi_label != primary.multi_label:
                kinds = {True: "multi-label", False: "single-label"}
                raise ValueError(
                    f"{primary.name!r} is {kinds[primary.multi_label]} but its fallback {fallback.name!r} is "
                    f"{kinds[fallback.multi_label]}; use a fallback of the same kind"
                )
        decision_threshold(primary)  # a multi-label model without a threshold fails here, at startup
        self.primary = primary
        self.fallback = fallback
        self.threshold = float(threshold)

    @property
    def labels(self) -> list[str]:
        return list(self.primary.labels)

    @property
    def multi_label(self) -> bool:
        return self.primary.multi_label

    def route(self, texts: Sequence[str]) -> list[Labelled]:
        texts = list(texts)
        answers, confidences = _answers(self.primary, texts)
        fallback = self.fallback
        if fallback is None:
            return [Labelled(*a, self.primary.name, c, False) for a, c in zip(answers, confidences, strict=True)]
        deferred = ask_fallback(texts, confidences, self.threshold, lambda t: _answers(fallback, t)[0], fallback.name)
        return [
            Labelled(*deferred[i], fallback.name, c, True)
            if i in deferred
            else Labelled(*a, self.primary.name, c, False)
            for i, (a, c) in enumerate(zip(answers, confidences, strict=True))
        ]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        return [r.labels for r in self.route(texts)]
