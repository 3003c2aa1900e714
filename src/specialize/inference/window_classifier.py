"""What every window-based text classifier shares: text -> windows -> (model) -> pooled logits -> labels.

The torch :class:`~specialize.models.text_classifier.TextClassifier` and the torch-free
:class:`~specialize.runtime.onnx_classifier.OnnxClassifier` differ only in how one padded batch of windows
becomes one logit vector per window; tokenization, windowing (``specialize.data.chunking``), length-sorted
batches, pooling, activation and the decision live here, once, so both give the same labels for the same
logits. Pooling (``settings.pooling``):

* ``mean`` (default): the average of the windows' logits, i.e. the text as a whole;
* ``max``: per label the highest window logit, i.e. "somewhere in the text" (multi-label detection).

Nothing is truncated: a text of any length is read through all its windows. Single-label models predict the
arg-max label; multi-label models every label whose probability reaches ``settings.threshold`` (possibly none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialize.data.alignment import tokenize_texts
from specialize.data.classification import Pooling
from specialize.data.features import WindowFeatures, build_features, pad_batch
from specialize.data.steps import window_batches
from specialize.errors import ConfigError


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
            raise ConfigError(f"threshold must be in (0, 1), got {self.threshold}")


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


def activate(logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """Sigmoid per label (multi-label) or softmax over labels (single-label)."""
    if multi_label:
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class WindowClassifier:
    """Base class: subclasses implement :meth:`batch_logits` for one padded batch of windows."""

    name: str
    tokenizer: Any  # a ``tokenizers.Tokenizer``
    settings: ClassifierSettings
    label_list: list[str]

    def _init_classifier(self, tokenizer: Any, settings: ClassifierSettings, label_list: Sequence[str]) -> None:
        settings.validate()
        # The tokenizer reads whole texts; windows are cut by specialize.data, never by the tokenizer.
        self.tokenizer = tokenizer
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.settings = settings
        self.label_list = list(label_list)

    @property
    def labels(self) -> list[str]:
        return list(self.label_list)

    @property
    def multi_label(self) -> bool:
        return self.settings.multi_label

    def batch_logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """Logits (batch, labels), one vector per window, for a batch from :func:`pad_batch`."""
        raise NotImplementedError

    def preprocess(self, texts: Sequence[str]) -> list[WindowFeatures]:
        s = self.settings
        docs = tokenize_texts(self.tokenizer, texts)
        # Plain BERT inputs (token types 0): casing matters little for a text's class, and the folder then
        # works in transformers without the word-shape tokenizer.
        return build_features(
            docs, max_length=s.max_length, stride=s.stride, cls_id=s.cls_id, sep_id=s.sep_id, word_shapes=False
        )

    def forward(self, features: Sequence[WindowFeatures]) -> list[np.ndarray]:
        """One logit vector per window, in length-sorted batches (steps: :mod:`specialize.data.steps`)."""
        out: list[np.ndarray] = [np.empty(0)] * len(features)
        for batch_indices in window_batches(features, self.settings.batch_size):
            logits = self.batch_logits(pad_batch([features[i] for i in batch_indices], self.settings.pad_id))
            for row, i in enumerate(batch_indices):
                out[i] = logits[row]
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
