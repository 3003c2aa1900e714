"""What every model offers, whatever runs underneath: span predictors (a specialist, an export, a spaCy pipeline, a
teacher) and text classifiers (torch or exported)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from specialize.data.document import Span


@runtime_checkable
class SpanPredictor(Protocol):
    """Texts in, character-offset spans out, one list per text, in input order."""

    name: str

    @property
    def labels(self) -> list[str]:
        """Entity types this predictor can return (after any label mapping)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[list[Span]]: ...


@runtime_checkable
class Classifier(Protocol):
    """What every text classifier offers, torch (``TextClassifier``) or exported (``OnnxClassifier``).

    A classifier also has ``predict`` and ``labels``, like a span predictor: ``predict_proba`` and ``multi_label``
    tell the two apart (:func:`specialize.tasks.registry.task_of`).
    """

    name: str

    @property
    def labels(self) -> list[str]: ...

    @property
    def multi_label(self) -> bool: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def decide(self, probabilities: np.ndarray) -> list[list[str]]: ...

    def predict(self, texts: Sequence[str]) -> list[list[str]]: ...
