"""A text classifier: a sequence-classification encoder plus the windowing that lets it read long texts.

Inference runs as preprocess (tokenize whole texts, cut the same windows the token classifier uses, see
``specialize.data.chunking``) -> forward (length-sorted batches, one logit vector per window) -> postprocess
(pool each text's window logits by mean or max, then softmax or sigmoid) -> decide (arg-max, or every label at
or above the threshold). Everything but the forward pass is shared with the torch-free ONNX classifier and
lives in :mod:`specialize.inference.window_classifier`.

The saved folder is a plain ``transformers`` folder (``AutoModelForSequenceClassification``, problem_type
single_label_classification or multi_label_classification); ``specialize``'s settings live under the
``specialize`` key of config.json with ``"task": "classification"``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, PreTrainedModel

from specialize.data.model_folder import CLASSIFICATION_TASK, ModelFolder
from specialize.inference.window_classifier import ClassifierSettings, WindowClassifier, activate, pool_logits
from specialize.models.encoder_model import EncoderModel

__all__ = [
    "THRESHOLD_GRID",
    "ClassifierSettings",
    "TextClassifier",
    "activate",
    "build_sequence_classifier",
    "pool_logits",
    "select_threshold",
]

logger = logging.getLogger(__name__)

# Multi-label thresholds tried on dev: a briefly trained sigmoid head rarely reaches 0.5 on rare labels, so the
# usable cut-off is often far below it.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))


def build_sequence_classifier(
    base: str | Path,
    labels: Sequence[str],
    *,
    multi_label: bool,
    layers: Sequence[int] | None = None,
    intermediate_size: int | None = None,
    seed: int = 0,
) -> PreTrainedModel:
    """A sequence classifier over ``labels`` initialised from the encoder folder ``base`` (layer selection and
    feed-forward pruning as for the token classifier)."""
    from specialize.models.token_classifier import _encoder_layers, keep_layers, prune_feed_forward

    torch.manual_seed(seed)
    id2label = dict(enumerate(labels))
    config = AutoConfig.from_pretrained(
        str(base),
        num_labels=len(labels),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        problem_type="multi_label_classification" if multi_label else "single_label_classification",
    )
    model = AutoModelForSequenceClassification.from_pretrained(str(base), config=config)
    if layers is not None and list(layers) != list(range(len(_encoder_layers(model)))):
        model = keep_layers(model, layers)
    if intermediate_size is not None:
        model = prune_feed_forward(model, intermediate_size)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info("built %s from %s: %.1fM parameters", type(model).__name__, base, n_params / 1e6)
    return model


def select_threshold(
    gold: Sequence[Sequence[str]],
    probabilities: np.ndarray,
    labels: Sequence[str],
    grid: Sequence[float] = THRESHOLD_GRID,
) -> tuple[float, float]:
    """The grid threshold with the best micro F1 of ``probabilities`` (texts x ``labels``) against ``gold`` label
    lists, and that F1. Ties go to the threshold nearest 0.5 (the least surprising cut-off)."""
    if not grid:
        raise ValueError("the threshold grid is empty")
    index = {label: j for j, label in enumerate(labels)}
    truth = np.zeros(probabilities.shape, dtype=bool)
    for row, text_labels in enumerate(gold):
        # Gold labels the model does not know count as misses at every threshold (they only lower F1 uniformly).
        truth[row, [index[label] for label in text_labels if label in index]] = True
    n_gold = sum(len(g) for g in gold)
    best: tuple[float, float] | None = None
    for threshold in sorted(grid, key=lambda t: (abs(t - 0.5), t)):
        predicted = probabilities >= threshold
        tp = int(np.sum(predicted & truth))
        denominator = int(predicted.sum()) + n_gold
        f1 = 2 * tp / denominator if denominator else 0.0
        if best is None or f1 > best[1]:
            best = (float(threshold), f1)
    assert best is not None
    return best


class TextClassifier(EncoderModel, WindowClassifier):
    """Texts in, label lists (and label probabilities) out; the torch model behind it is ``self.model``."""

    task = CLASSIFICATION_TASK
    settings_type = ClassifierSettings
    section = "classifier"
    what = "text classifier"

    def __init__(
        self, model: PreTrainedModel, hf_tokenizer: Any, settings: ClassifierSettings, name: str = "classifier"
    ):
        label_list = self._init_encoder(model, hf_tokenizer, name)
        self._init_classifier(hf_tokenizer.backend_tokenizer, settings, label_list)

    def batch_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        logits: np.ndarray = self.model_outputs(batch).numpy()
        return logits

    @classmethod
    def _auto_model(cls, folder: ModelFolder) -> PreTrainedModel:
        return AutoModelForSequenceClassification.from_pretrained(str(folder.path))
