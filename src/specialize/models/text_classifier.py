"""A text classifier: a sequence-classification encoder plus the windowing that lets it read long texts.

Inference runs as preprocess (tokenize whole texts, cut the same windows the token classifier uses, see
``specialize.data.chunking``) -> forward (length-sorted batches, one logit vector per window) -> postprocess
(pool each text's window logits, then softmax or sigmoid). Pooling (``settings.pooling``):

* ``mean`` (default): the average of the windows' logits, i.e. the text as a whole;
* ``max``: per label the highest window logit, i.e. "somewhere in the text" (multi-label detection).

Nothing is truncated: a text of any length is read through all its windows. Single-label models predict the
arg-max label; multi-label models every label whose probability reaches ``settings.threshold`` (possibly none).

The saved folder is a plain ``transformers`` folder (``AutoModelForSequenceClassification``, problem_type
single_label_classification or multi_label_classification); ``specialize``'s settings live under the
``specialize`` key of config.json with ``"task": "classification"``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel

from specialize.data.alignment import tokenize_texts
from specialize.data.classification import Pooling
from specialize.data.features import WindowFeatures, build_features, length_sorted_batches, pad_batch
from specialize.models.classify import TASK, is_classifier_folder

__all__ = [
    "TASK",
    "THRESHOLD_GRID",
    "ClassifierSettings",
    "TextClassifier",
    "build_sequence_classifier",
    "is_classifier_folder",
    "select_threshold",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1

# Multi-label thresholds tried on dev: a briefly trained sigmoid head rarely reaches 0.5 on rare labels, so the
# usable cut-off is often far below it.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))


@dataclass
class ClassifierSettings:
    """How text becomes windows and window logits become labels; saved with the model."""

    max_length: int = 256  # subwords per window, [CLS] and [SEP] included
    stride: int = 64  # overlap between consecutive windows of a long text
    batch_size: int = 32
    multi_label: bool = False
    pooling: str = Pooling.MEAN.value
    threshold: float = 0.5  # multi-label: a label is predicted when its probability reaches this
    threshold_source: str = "default"  # "dev" (chosen on dev micro F1), "config" (set by the user) or "default"
    cls_id: int = 101
    sep_id: int = 102
    pad_id: int = 0

    def validate(self) -> None:
        Pooling(self.pooling)
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")


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


def pool_logits(window_logits: Sequence[np.ndarray], doc_index: Sequence[int], n_docs: int, pooling: str) -> np.ndarray:
    """(n_docs, n_labels) logits from per-window logit vectors, pooled per document by mean or max."""
    if not window_logits:
        return np.zeros((n_docs, 0), dtype=np.float32)
    n_labels = len(window_logits[0])
    stacked = np.stack(window_logits).astype(np.float32)
    index = np.asarray(doc_index)
    counts = np.bincount(index, minlength=n_docs)
    if np.any(counts == 0):
        raise ValueError("every text must have at least one window")
    if Pooling(pooling) is Pooling.MAX:
        out = np.full((n_docs, n_labels), -np.inf, dtype=np.float32)
        np.maximum.at(out, index, stacked)
        return out
    out = np.zeros((n_docs, n_labels), dtype=np.float32)
    np.add.at(out, index, stacked)
    return out / counts[:, None]


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


def activate(logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """Sigmoid per label (multi-label) or softmax over labels (single-label)."""
    if multi_label:
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class TextClassifier:
    """Texts in, label lists (and label probabilities) out; the torch model behind it is ``self.model``."""

    def __init__(
        self, model: PreTrainedModel, hf_tokenizer: Any, settings: ClassifierSettings, name: str = "classifier"
    ):
        settings.validate()
        self.model = model
        self.hf_tokenizer = hf_tokenizer
        self.settings = settings
        self.name = name
        id2label: dict[Any, str] = dict(model.config.id2label or {})
        self.label_list = [id2label[i] for i in range(len(id2label))]
        # The Rust tokenizer reads whole texts; windows are cut by specialize.data, never by the tokenizer.
        self.tokenizer = hf_tokenizer.backend_tokenizer
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    @property
    def labels(self) -> list[str]:
        return list(self.label_list)

    @property
    def multi_label(self) -> bool:
        return self.settings.multi_label

    def preprocess(self, texts: Sequence[str]) -> list[WindowFeatures]:
        s = self.settings
        docs = tokenize_texts(self.tokenizer, texts)
        # Plain BERT inputs (token types 0): casing matters little for a text's class, and the folder then
        # works in transformers without the word-shape tokenizer.
        return build_features(
            docs, max_length=s.max_length, stride=s.stride, cls_id=s.cls_id, sep_id=s.sep_id, word_shapes=False
        )

    @torch.inference_mode()
    def batch_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        logits = self.model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits
        result: np.ndarray = logits.float().numpy()
        return result

    def forward(self, features: Sequence[WindowFeatures]) -> list[np.ndarray]:
        """One logit vector per window, in length-sorted batches; dropout off, then back as it was."""
        was_training = self.model.training
        self.model.eval()
        out: list[np.ndarray] = [np.empty(0)] * len(features)
        try:
            for batch_indices in length_sorted_batches(features, self.settings.batch_size):
                logits = self.batch_logits(pad_batch([features[i] for i in batch_indices], self.settings.pad_id))
                for row, i in enumerate(batch_indices):
                    out[i] = logits[row]
        finally:
            self.model.train(was_training)
        return out

    def postprocess(
        self, features: Sequence[WindowFeatures], window_logits: list[np.ndarray], n_docs: int
    ) -> np.ndarray:
        pooled = pool_logits(window_logits, [f.doc_index for f in features], n_docs, self.settings.pooling)
        return activate(pooled, self.settings.multi_label)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) probabilities, columns in ``self.labels`` order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.label_list)), dtype=np.float32)
        features = self.preprocess(texts)
        return self.postprocess(features, self.forward(features), len(texts))

    def decide(self, probabilities: np.ndarray) -> list[list[str]]:
        """Label lists from probabilities: arg-max, or every label at or above the threshold."""
        if self.settings.multi_label:
            return [
                [self.label_list[j] for j in np.flatnonzero(row >= self.settings.threshold)] for row in probabilities
            ]
        return [[self.label_list[int(np.argmax(row))]] for row in probabilities]

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        return self.decide(self.predict_proba(texts))

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, extra_config: dict[str, Any] | None = None) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.config.specialize = {
            "format_version": FORMAT_VERSION,
            "task": TASK,
            "classifier": asdict(self.settings),
            **(extra_config or {}),
        }
        self.model.save_pretrained(directory)
        self.hf_tokenizer.save_pretrained(directory)
        return directory

    @classmethod
    def load(cls, directory: str | Path, name: str | None = None) -> TextClassifier:
        directory = Path(directory)
        config_path = directory / "config.json"
        if not config_path.is_file():
            raise FileNotFoundError(f"{directory} is not a model folder (no config.json)")
        saved = json.loads(config_path.read_text()).get("specialize", {})
        if saved.get("task") != TASK:
            raise ValueError(
                f"{directory} is not a text classifier written by specialize (config.json specialize.task is "
                f"{saved.get('task')!r}); train one with `specialize train --task classification`"
            )
        fields = ClassifierSettings.__dataclass_fields__
        settings = ClassifierSettings(**{k: v for k, v in saved["classifier"].items() if k in fields})
        model = AutoModelForSequenceClassification.from_pretrained(str(directory))
        hf_tokenizer = AutoTokenizer.from_pretrained(str(directory), use_fast=True)
        return cls(model, hf_tokenizer, settings, name=name or directory.name)
