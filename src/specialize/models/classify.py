"""``predict`` for text classifiers: texts or a file in, one JSON line per text with its labels out."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import numpy as np

from specialize.data.document import Document
from specialize.data.io import input_documents, jsonl_output
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)

TASK = "classification"  # config.json specialize.task of a text classifier folder
OWNED_FIELDS = ("id", "text", "labels", "scores", "meta")  # what classify writes; other input fields pass through


def is_classifier_folder(path: str | Path) -> bool:
    """True for a folder whose config.json says ``specialize.task == "classification"`` (no torch import)."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text()).get("specialize", {}).get("task") == TASK
    except (OSError, json.JSONDecodeError):
        return False


@runtime_checkable
class Classifier(Protocol):
    """What every text classifier offers, torch (``TextClassifier``) or exported (``OnnxClassifier``).

    A classifier also has ``predict`` and ``labels``, like a span predictor: test ``isinstance(x, Classifier)``
    first to tell the two apart.
    """

    name: str

    @property
    def labels(self) -> list[str]: ...

    @property
    def multi_label(self) -> bool: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def decide(self, probabilities: np.ndarray) -> list[list[str]]: ...

    def predict(self, texts: Sequence[str]) -> list[list[str]]: ...


def load_classifier(path: str | Path) -> Classifier:
    """A text classifier folder: written by ``specialize train --task classification`` (torch), or by
    ``specialize export`` (``model.onnx``: runs without torch)."""
    path = Path(path)
    if (path / "model.onnx").is_file():
        from specialize.runtime.onnx_classifier import OnnxClassifier

        return OnnxClassifier.load(path)
    from specialize.models.text_classifier import TextClassifier

    return TextClassifier.load(path)


def load_classifier_or_predictor(spec: str, label_map: Mapping[str, str] | None = None) -> Classifier | SpanPredictor:
    """A text classifier for a classifier folder, else the span predictor ``load_predictor`` makes of ``spec``."""
    if not spec.startswith("spacy:") and is_classifier_folder(spec):
        return load_classifier(spec)
    from specialize.models.loading import load_predictor

    return load_predictor(spec, label_map=label_map)


def label_scores(labels: Sequence[str], probabilities: np.ndarray) -> list[dict[str, float]]:
    """Every label's probability for each row of ``probabilities``, as the ``scores`` of a classify record."""
    return [{label: round(float(p), 6) for label, p in zip(labels, row, strict=True)} for row in probabilities]


def classify(
    model: Classifier | str | Path,
    inputs: Sequence[str] | Sequence[Document] | str | Path,
    output: str | Path | IO[str] | None = None,
    *,
    text_field: str = "text",
    chunk_size: int = 256,
) -> list[dict[str, Any]]:
    """Labels of each input text: ``{"id", "text", "labels": [...], "scores": {label: probability}, "meta"}``.

    ``model`` is a :class:`Classifier` or its folder (torch or exported); ``inputs`` a
    list of texts or documents, or anything ``specialize.data.io.read_texts`` reads (text, JSONL, CSV, a
    folder of .txt files). ``scores`` holds every label's probability, so a caller can choose its own
    threshold. With ``output`` (a path or an open stream) the lines are written as they are produced.
    """
    if isinstance(model, str | Path):
        model = load_classifier(model)
    docs = input_documents(inputs, text_field=text_field)
    results: list[dict[str, Any]] = []
    with jsonl_output(output) as write:
        for lo in range(0, len(docs), chunk_size):
            batch = docs[lo : lo + chunk_size]
            probabilities = model.predict_proba([d.text for d in batch])
            scores = label_scores(model.labels, probabilities)
            for doc, labels, row in zip(batch, model.decide(probabilities), scores, strict=True):
                record: dict[str, Any] = {} if doc.id is None else {"id": doc.id}
                record.update(text=doc.text, **doc.extra_fields(OWNED_FIELDS), labels=labels, scores=row)
                if doc.meta:
                    record["meta"] = doc.meta
                results.append(record)
                write(record)
    logger.info("classified %d texts", len(results))
    return results
