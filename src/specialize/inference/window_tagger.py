"""What every window-based tagger shares: text -> windows -> (model) -> merged word scores -> spans.

The torch specialist, the static student and the torch-free ONNX predictor differ only in how one padded batch
of windows becomes label probabilities; everything around it lives here, once, so that they cut text, merge
windows and decode spans identically (the same spans for the same probabilities).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from specialize.data.alignment import TokenizedDocument, tokenize_texts
from specialize.data.document import Span
from specialize.data.features import InferenceSettings, WindowFeatures, build_features, merge_word_scores, pad_batch
from specialize.data.steps import window_batches
from specialize.data.tagging import SpanDecoder, entity_types


class WindowTagger:
    """Base class: subclasses implement :meth:`batch_probabilities` for one padded batch of windows."""

    name: str
    tokenizer: Any  # a ``tokenizers.Tokenizer``
    settings: InferenceSettings
    label_list: list[str]
    decoder: SpanDecoder

    def _init_tagging(self, tokenizer: Any, settings: InferenceSettings, label_list: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        # Whole documents, offsets always: windows are cut by specialize.data, never by the tokenizer.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.settings = settings
        self.label_list = list(label_list)
        self.decoder = SpanDecoder(self.label_list)

    @property
    def labels(self) -> list[str]:
        return entity_types(self.label_list)

    def batch_probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """Label probabilities (batch, positions, labels) for a batch from :func:`pad_batch`."""
        raise NotImplementedError

    def preprocess(self, texts: Sequence[str]) -> tuple[list[TokenizedDocument], list[WindowFeatures]]:
        docs = tokenize_texts(self.tokenizer, texts)
        s = self.settings
        features = build_features(
            docs, max_length=s.max_length, stride=s.stride, cls_id=s.cls_id, sep_id=s.sep_id, word_shapes=s.word_shapes
        )
        return docs, features

    def forward(self, features: Sequence[WindowFeatures]) -> list[np.ndarray]:
        """Label probabilities (positions, labels) for every window, in length-sorted batches (steps between which
        a scheduler may run other work: :mod:`specialize.data.steps`)."""
        out: list[np.ndarray] = [np.empty(0)] * len(features)
        for batch_indices in window_batches(features, self.settings.batch_size):
            probs = self.batch_probabilities(pad_batch([features[i] for i in batch_indices], self.settings.pad_id))
            for row, i in enumerate(batch_indices):
                out[i] = probs[row, : len(features[i])]
        return out

    def postprocess(
        self, docs: Sequence[TokenizedDocument], features: Sequence[WindowFeatures], window_probs: list[np.ndarray]
    ) -> list[list[Span]]:
        word_probs = merge_word_scores(docs, features, window_probs, len(self.label_list))
        return [self.decoder.decode(p, d.word_offsets) for p, d in zip(word_probs, docs, strict=True)]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        texts = list(texts)
        if not texts:
            return []
        docs, features = self.preprocess(texts)
        return self.postprocess(docs, features, self.forward(features))

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[TokenizedDocument], list[np.ndarray]]:
        """Per-word label distributions (soft labels for distillation, confidence for the cascade)."""
        docs, features = self.preprocess(texts)
        return docs, merge_word_scores(docs, features, self.forward(features), len(self.label_list))
