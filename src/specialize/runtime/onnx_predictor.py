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
from specialize.utils.optional import require

logger = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"

# onnxruntime graph rewrites left out because they make BERT-style models slower on CPU. SkipLayerNormFusion
# merges each residual Add with its LayerNormalization; in onnxruntime 1.32 on a 2-core AMD EPYC (AVX-512) the
# fused fp32 kernel took 1.23 ms for a 640x384 input where Add + LayerNormalization took 0.17 ms, and leaving
# it out made the int8 MiniLM-L6 CoNLL-2003 specialist 11% faster end to end at 1 thread (7,474 -> 8,312
# tokens/s; F1 0.8912 -> 0.8918 from rounding order). Re-measure when upgrading onnxruntime.
SLOW_FUSIONS = ("SkipLayerNormFusion",)


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


class OnnxPredictor(WindowTagger):
    """An exported specialist as a :class:`~specialize.models.base.SpanPredictor` (onnxruntime + tokenizers)."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        settings: InferenceSettings,
        label_list: Sequence[str],
        name: str = "onnx",
    ) -> None:
        self.session = session
        self.name = name
        self._init_tagging(tokenizer, settings, label_list)
        # Models without token-type embeddings (DistilBERT-style) are exported without that input.
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_name = session.get_outputs()[0].name

    @classmethod
    def load(
        cls,
        folder: str | Path,
        threads: int | None = None,
        *,
        name: str | None = None,
        batch_size: int | None = None,
    ) -> OnnxPredictor:
        """Load an exported folder. ``threads`` caps onnxruntime's intra-op threads (``None``: its default,
        one per physical core); ``batch_size`` overrides the saved number of windows per forward pass."""
        folder = Path(folder)
        model_path = folder / MODEL_FILE
        if not model_path.is_file():
            raise FileNotFoundError(f"{folder} has no {MODEL_FILE}; pass a folder written by `specialize export`")
        labels, settings, _ = read_export_config(folder)
        if batch_size is not None:
            settings.batch_size = batch_size
        ort = require("onnxruntime", "onnx")
        tokenizers = require("tokenizers", "onnx")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One model run at a time: parallelism comes from intra-op threads inside each operator.
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = int(threads)
        session = ort.InferenceSession(
            str(model_path),
            sess_options=options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(SLOW_FUSIONS),
        )
        tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        logger.info("loaded %s (%d labels, threads=%s)", model_path, len(labels), threads or "default")
        return cls(session, tokenizer, settings, labels, name=name or folder.name)

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """Raw logits (batch, positions, labels) for one padded batch from ``pad_batch``."""
        feeds = {name: batch[name] for name in self.input_names}
        out: np.ndarray = self.session.run([self.output_name], feeds)[0]
        return out

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return softmax(self.logits(batch))

    def __repr__(self) -> str:
        return f"OnnxPredictor(name={self.name!r}, labels={self.labels}, inputs={self.input_names})"
