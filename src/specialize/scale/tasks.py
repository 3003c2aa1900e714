"""What ``apply`` adds to each record, by kind of model: ``spans`` from a span predictor, ``labels`` and
``scores`` from a text classifier (the fields of ``specialize predict``'s classify records).

This is the only task-specific step of ``apply``: sharding, the manifest, resuming and both engines are the same
for every model, and call :func:`predict_fields` on a shard's texts. Blank texts get an empty answer (no spans;
no labels and no scores) without a model call: nothing in them to find, and an LLM fallback would be billed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from specialize.config import Task
from specialize.data.document import Span
from specialize.models.base import SpanPredictor
from specialize.models.classify import Classifier, is_classifier_folder, label_scores
from specialize.scale.sources import spans_to_dicts

OUTPUT_FIELDS: Mapping[Task, tuple[str, ...]] = {Task.NER: ("spans",), Task.CLASSIFICATION: ("labels", "scores")}

A = TypeVar("A")


def task_of(model: SpanPredictor | Classifier | str) -> Task:
    """The task of a model object, or of a spec without loading it (a classifier folder, else spans)."""
    if isinstance(model, str):
        spec_is_classifier = not model.startswith("spacy:") and is_classifier_folder(Path(model))
        return Task.CLASSIFICATION if spec_is_classifier else Task.NER
    # A classifier also has predict and labels, like a span predictor: test for it first.
    return Task.CLASSIFICATION if isinstance(model, Classifier) else Task.NER


def _non_blank(
    texts: Sequence[str],
    batch_size: int,
    predict: Callable[[list[str]], Sequence[A]],
    empty: Callable[[], A],
    name: str,
) -> list[A]:
    """``predict`` over the non-blank texts in batches of ``batch_size``; blank texts get ``empty()``."""
    out: list[A] = [empty() for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip()]
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        predicted = predict([texts[i] for i in chunk])
        if len(predicted) != len(chunk):
            raise RuntimeError(f"{name} returned {len(predicted)} results for {len(chunk)} texts")
        for i, answer in zip(chunk, predicted, strict=True):
            out[i] = answer
    return out


def predict_texts(model: SpanPredictor, texts: Sequence[str], batch_size: int = 64) -> list[list[Span]]:
    """Spans per text; blank texts get none without a model call."""
    found: list[list[Span]] = _non_blank(texts, batch_size, model.predict, list, model.name)
    return [list(s) for s in found]


def _classify(model: Classifier, texts: list[str]) -> list[dict[str, Any]]:
    probabilities = model.predict_proba(texts)
    scores = label_scores(model.labels, probabilities)
    return [{"labels": labels, "scores": s} for labels, s in zip(model.decide(probabilities), scores, strict=True)]


def _no_labels() -> dict[str, Any]:
    return {"labels": [], "scores": {}}


def predict_fields(
    model: SpanPredictor | Classifier, texts: Sequence[str], batch_size: int = 64
) -> list[dict[str, Any]]:
    """The fields each record gets, one dict per text: ``{"spans": [...]}`` or ``{"labels", "scores"}``."""
    if isinstance(model, Classifier):
        return _non_blank(texts, batch_size, lambda t: _classify(model, t), _no_labels, model.name)
    spans = predict_texts(model, texts, batch_size)
    return [{"spans": spans_to_dicts(t, s)} for t, s in zip(texts, spans, strict=True)]
