"""A text classifier exported to ONNX, run with onnxruntime: no torch, no transformers.

The folder is what ``specialize export`` writes for a classifier: ``model.onnx`` (one logit vector per
window), ``tokenizer.json`` and ``config.json`` (labels and the ``specialize.classifier`` settings: windowing,
pooling, single- or multi-label, threshold). Text goes through the same code as the torch
:class:`~specialize.models.text_classifier.TextClassifier` (:class:`~specialize.data.window_classifier.
WindowClassifier`: windows, length-sorted batches, pooling, activation, decision), so both give the same labels
for the same logits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.window_classifier import ClassifierSettings, WindowClassifier, read_classifier_config
from specialize.runtime.session import OnnxModel

logger = logging.getLogger(__name__)


class OnnxClassifier(OnnxModel, WindowClassifier):
    """An exported text classifier as a :class:`~specialize.models.classify.Classifier` (onnxruntime +
    tokenizers)."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        settings: ClassifierSettings,
        label_list: Sequence[str],
        name: str = "onnx",
    ) -> None:
        self.name = name
        self._init_session(session)
        self._init_classifier(tokenizer, settings, label_list)

    @staticmethod
    def read_config(folder: Path) -> tuple[list[str], ClassifierSettings]:
        return read_classifier_config(folder)

    def batch_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.logits(batch)

    def __repr__(self) -> str:
        kind = "multi-label" if self.multi_label else "single-label"
        return f"OnnxClassifier(name={self.name!r}, labels={self.labels}, {kind}, inputs={self.input_names})"
