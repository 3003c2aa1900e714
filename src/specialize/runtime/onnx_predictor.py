"""A specialist exported to ONNX, run with onnxruntime: no torch, no transformers.

The folder is what ``specialize export`` writes: ``model.onnx``, ``tokenizer.json`` and ``config.json`` (labels
and the ``specialize.inference`` settings the model was trained with). Text goes through the same code as the
torch specialist (``specialize.data``: tokenization, windows, length-sorted batches, window merge, constrained
decoding), so both give the same spans for the same logits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.features import InferenceSettings
from specialize.data.model_folder import read_saved_settings
from specialize.data.window_tagger import WindowTagger
from specialize.runtime.session import OnnxModel

logger = logging.getLogger(__name__)


def read_export_config(folder: Path) -> tuple[list[str], InferenceSettings]:
    """(IOB2 label list in id order, inference settings) from an exported folder's config.json."""
    return read_saved_settings(
        folder,
        "inference",
        InferenceSettings,
        kind="span model",
        how_to_fix="pass a folder written by `specialize export`",
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in float32, shifted by the max so large logits cannot overflow."""
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return out


class OnnxPredictor(OnnxModel, WindowTagger):
    """An exported specialist as a :class:`~specialize.models.base.SpanPredictor` (onnxruntime + tokenizers)."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        settings: InferenceSettings,
        label_list: Sequence[str],
        name: str = "onnx",
    ) -> None:
        self.name = name
        self._init_session(session)
        self._init_tagging(tokenizer, settings, label_list)

    @staticmethod
    def read_config(folder: Path) -> tuple[list[str], InferenceSettings]:
        labels, settings = read_export_config(folder)
        return labels, settings

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return softmax(self.logits(batch))

    def __repr__(self) -> str:
        return f"OnnxPredictor(name={self.name!r}, labels={self.labels}, inputs={self.input_names})"
