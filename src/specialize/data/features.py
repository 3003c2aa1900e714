"""Model inputs for whole documents: windows of subword ids with [CLS]/[SEP], shapes and word labels.

Shared by training (labels on each word's first subword, -100 elsewhere), inference (which positions to read
each owned word's prediction from) and the torch-free runtime. Plain Python lists; batching to tensors or
arrays happens in the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from specialize.data.alignment import TokenizedDocument
from specialize.data.chunking import Window, make_windows

IGNORE_INDEX = -100


@dataclass
class InferenceSettings:
    """How text becomes model windows; saved with the model so every runtime cuts text the same way."""

    max_length: int = 256  # subwords per window, [CLS] and [SEP] included
    stride: int = 64  # overlap between consecutive windows of a long document
    batch_size: int = 32
    word_shapes: bool = True
    cls_id: int = 101
    sep_id: int = 102
    pad_id: int = 0


@dataclass
class WindowFeatures:
    doc_index: int
    window: Window
    input_ids: list[int]
    type_ids: list[int]
    owned_positions: list[int]  # positions in input_ids of the first subword of each owned word, in order
    label_ids: list[int] | None = None  # per position; IGNORE_INDEX where no label applies

    def __len__(self) -> int:
        return len(self.input_ids)


def build_features(
    docs: Sequence[TokenizedDocument],
    *,
    max_length: int,
    stride: int,
    cls_id: int,
    sep_id: int,
    word_shapes: bool,
    word_tags: Sequence[Sequence[str]] | None = None,
    label2id: Mapping[str, int] | None = None,
) -> list[WindowFeatures]:
    """Windows of at most ``max_length`` ids (special tokens included) covering every token of every doc."""
    if word_tags is not None and label2id is None:
        raise ValueError("label2id is required with word_tags")
    features = []
    for doc_index, doc in enumerate(docs):
        windows = make_windows(doc.word_starts, doc.n_tokens, max_length - 2, stride)
        for window in windows:
            ids = [cls_id, *doc.ids[window.start : window.end], sep_id]
            types = [0, *doc.shapes[window.start : window.end], 0] if word_shapes else [0] * len(ids)
            owned = [doc.word_starts[w] - window.start + 1 for w in range(window.own_start, window.own_end)]
            labels = None
            if word_tags is not None and label2id is not None:
                labels = [IGNORE_INDEX] * len(ids)
                tags = word_tags[doc_index]
                # Every word whose first subword is inside the window gets a label, owned or not: the
                # overlap is extra training signal, and the context is real.
                for w, first_token in enumerate(doc.word_starts):
                    if window.start <= first_token < window.end:
                        labels[first_token - window.start + 1] = label2id[tags[w]]
            features.append(WindowFeatures(doc_index, window, ids, types, owned, labels))
    return features


def merge_word_scores(
    docs: Sequence[TokenizedDocument],
    features: Sequence[WindowFeatures],
    window_scores: Sequence[np.ndarray],
    n_labels: int,
) -> list[np.ndarray]:
    """Per-document (words, labels) arrays, each word's row taken from the window that owns it."""
    merged = [np.zeros((doc.n_words, n_labels), dtype=np.float32) for doc in docs]
    for feature, scores in zip(features, window_scores, strict=True):
        window = feature.window
        if window.own_end > window.own_start:
            merged[feature.doc_index][window.own_start : window.own_end] = scores[feature.owned_positions]
    return merged


def pad_batch(features: Sequence[WindowFeatures], pad_id: int) -> dict[str, np.ndarray]:
    """int64 arrays input_ids / attention_mask / token_type_ids (and labels when present), right-padded."""
    width = max(len(f) for f in features)
    n = len(features)
    ids = np.full((n, width), pad_id, dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    types = np.zeros((n, width), dtype=np.int64)
    labels = np.full((n, width), -100, dtype=np.int64) if features[0].label_ids is not None else None
    for i, f in enumerate(features):
        length = len(f)
        ids[i, :length] = f.input_ids
        mask[i, :length] = 1
        types[i, :length] = f.type_ids
        if labels is not None and f.label_ids is not None:
            labels[i, :length] = f.label_ids
    batch = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    if labels is not None:
        batch["labels"] = labels
    return batch


def length_sorted_batches(features: Sequence[WindowFeatures], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, so little compute is spent on padding."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
