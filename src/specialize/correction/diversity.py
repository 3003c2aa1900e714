"""Vectors of documents and a k-center greedy pick that spreads a selection over them.

Uncertainty alone tends to pick near-duplicates (ten sentences with the same rare word); spreading the
picks over the candidates' vectors spends the same human time on more kinds of mistakes. Vectors are the
specialist's own encoder states, mean-pooled over each document's subwords, when the model is a torch
specialist, else TF-IDF of lower-cased words (an exported ONNX model only gives tag probabilities).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

_WORD = re.compile(r"\w+")


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = vectors / np.where(norms == 0, 1.0, norms)
    return out


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows (sublinear term frequency, smoothed idf) over the texts' own vocabulary."""
    counts = [Counter(w.lower() for w in _WORD.findall(t)) for t in texts]
    vocab = {w: i for i, w in enumerate(sorted({w for c in counts for w in c}))}
    df = np.zeros(len(vocab), dtype=np.float64)
    for c in counts:
        for w in c:
            df[vocab[w]] += 1
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    out = np.zeros((len(texts), max(len(vocab), 1)), dtype=np.float32)
    for row, c in enumerate(counts):
        for w, n in c.items():
            out[row, vocab[w]] = (1 + math.log(n)) * idf[vocab[w]]
    return _normalized(out)


def encoder_vectors(model: Any, texts: Sequence[str]) -> np.ndarray | None:
    """Mean-pooled last encoder states per document for a torch specialist (windows averaged), else None."""
    encoder = getattr(getattr(model, "model", None), "base_model", None)
    if encoder is None or not callable(getattr(model, "preprocess", None)):
        return None
    import torch

    from specialize.data.features import length_sorted_batches, pad_batch

    if not isinstance(encoder, torch.nn.Module):
        return None
    _, features = model.preprocess(list(texts))
    sums: np.ndarray | None = None  # (documents, hidden size), allocated at the first batch
    windows = np.zeros(len(texts))
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.inference_mode():
            for batch_indices in length_sorted_batches(features, model.settings.batch_size):
                batch = pad_batch([features[i] for i in batch_indices], model.settings.pad_id)
                inputs = {k: torch.from_numpy(v) for k, v in batch.items() if k != "labels"}
                hidden = encoder(**inputs).last_hidden_state.float()
                mask = inputs["attention_mask"].unsqueeze(-1).float()
                pooled = ((hidden * mask).sum(1) / mask.sum(1).clamp_min(1)).numpy()
                if sums is None:
                    sums = np.zeros((len(texts), pooled.shape[1]), dtype=np.float64)
                for row, i in enumerate(batch_indices):
                    sums[features[i].doc_index] += pooled[row]
                    windows[features[i].doc_index] += 1
    finally:
        encoder.train(was_training)
    if sums is None:  # no windows at all (empty texts)
        return None
    return _normalized((sums / np.maximum(windows, 1)[:, None]).astype(np.float32))


def document_vectors(model: Any, texts: Sequence[str]) -> tuple[np.ndarray, str]:
    """(vectors, ``"encoder"`` or ``"tfidf"``): the model's encoder states when it has them, else TF-IDF."""
    vectors = encoder_vectors(model, texts)
    if vectors is not None:
        return vectors, "encoder"
    return tfidf_vectors(texts), "tfidf"


def k_center_greedy(vectors: np.ndarray, k: int, first: int = 0) -> list[int]:
    """``k`` row indices, starting with ``first``, each next one the row farthest (cosine distance on
    normalised rows) from all picked so far; ties go to the lowest index."""
    n = len(vectors)
    if k <= 0 or n == 0:
        return []
    picked = [first]
    distance = 1.0 - vectors @ vectors[first]
    distance[first] = -np.inf
    while len(picked) < min(k, n):
        nxt = int(np.argmax(distance))
        picked.append(nxt)
        distance = np.minimum(distance, 1.0 - vectors @ vectors[nxt])
        distance[picked] = -np.inf
    return picked
