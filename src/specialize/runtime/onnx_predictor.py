"""A specialist exported to ONNX, run with onnxruntime: no torch, no transformers.

The folder is what ``specialize export`` writes: ``model.onnx``, ``tokenizer.json`` and ``config.json`` (labels
and the ``specialize.inference`` settings the model was trained with). Text goes through the same code as the
torch specialist (``specialize.data``: tokenization, windows, length-sorted batches, window merge, constrained
decoding), so both give the same spans for the same logits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specialize.data.features import InferenceSettings
from specialize.data.window_tagger import WindowTagger
from specialize.runtime.session import OnnxModel

logger = logging.getLogger(__name__)


def read_export_config(folder: Path) -> tuple[list[str], InferenceSettings, dict[str, Any]]:
    """(IOB2 label list in id order, inference settings, raw config) from an exported folder's config.json."""
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{folder} has no config.json; pass a folder written by `specialize export`")
    raw = json.loads(config_path.read_text(encoding="utf-8"))
    saved = raw.get("specialize", {}).get("inference")
    if saved is None:
        raise ValueError(f"{config_path} has no 'specialize.inference' section: not a folder written by specialize")
    id2label = {int(k): v for k, v in (raw.get("id2label") or {}).items()}
    if not id2label:
        raise ValueError(f"{config_path} has no id2label: cannot name the model's outputs")
    labels = [id2label[i] for i in range(len(id2label))]
    fields = InferenceSettings.__dataclass_fields__
    settings = InferenceSettings(**{k: v for k, v in saved.items() if k in fields})
    return labels, settings, raw


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
        labels, settings, _ = read_export_config(folder)
        return labels, settings

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return softmax(self.logits(batch))

    def __repr__(self) -> str:
        return f"OnnxPredictor(name={self.name!r}, labels={self.labels}, inputs={self.input_names})"
