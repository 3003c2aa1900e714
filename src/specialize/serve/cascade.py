"""A cascade: the small specialist answers what it is sure of and defers the rest to a bigger fallback model.

Document confidence is how sure the primary is of its *least* sure decision, since one wrong span spoils
the document:

* ``min_span_score``: the lowest score among its spans (1.0 for a document without spans: nothing found
  means nothing doubtful, as far as span scores can tell);
* ``min_word_prob``: the lowest, over all words, of the probability of the word's most likely tag, and of the
  span scores. Unlike span scores, it also sees a *missed* entity (a word the model almost tagged);
* ``min_token_margin``: the lowest, over all words, of the gap between the two most likely tags.

The word-level measures need a primary with ``word_probabilities`` and a ``decoder`` (a specialist, or an
exported ONNX one); they come from the same forward pass as the spans, so they cost nothing extra.

``cascade_curve`` answers "which threshold?": it predicts once with each model over a gold set and mixes
the answers for every threshold, giving the F1 against the share of documents deferred.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from specialize.data.document import Document, Span
from specialize.data.validation import check_gold
from specialize.evaluation.span_metrics import score_spans
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)

CONFIDENCES = ("min_span_score", "min_word_prob", "min_token_margin")
DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)

ConfidenceFn = Callable[[SpanPredictor, Sequence[str]], tuple[list[list[Span]], list[float]]]
A = TypeVar("A")


@runtime_checkable
class _WordScorer(Protocol):
    """What ``Specialist`` and ``OnnxPredictor`` offer beyond ``predict``: per-word tag distributions."""

    decoder: Any

    def word_probabilities(self, texts: Sequence[str]) -> tuple[list[Any], list[np.ndarray]]: ...


@dataclass(frozen=True)
class Routed:
    """One document's answer: spans, the model that gave them, the primary's confidence, whether deferred."""

    spans: list[Span]
    model: str
    confidence: float
    deferred: bool


def span_confidence(spans: Sequence[Span]) -> float:
    # Unscored spans (rules, spaCy) say nothing about confidence; they never trigger a deferral on their own.
    scores = [s.score for s in spans if s.score is not None]
    return float(min(scores)) if scores else 1.0


def _word_confidences(model: SpanPredictor, texts: Sequence[str], measure: str) -> tuple[list[list[Span]], list[float]]:
    if not isinstance(model, _WordScorer):
        raise ValueError(
            f"confidence {measure!r} needs a primary model with word probabilities (a specialist folder or an "
            f"exported one); {model.name!r} has none. Use confidence='min_span_score'"
        )
    docs, word_probs = model.word_probabilities(texts)
    spans = [model.decoder.decode(p, d.word_offsets) for p, d in zip(word_probs, docs, strict=True)]
    confidences = []
    for probs, doc_spans in zip(word_probs, spans, strict=True):
        if len(probs) == 0:
            confidences.append(1.0)
            continue
        if measure == "min_token_margin":
            top2 = np.sort(probs, axis=-1)[:, -2:]
            confidences.append(float((top2[:, 1] - top2[:, 0]).min()))
        else:
            confidences.append(min(float(probs.max(axis=-1).min()), span_confidence(doc_spans)))
    return spans, confidences


def primary_confidences(
    model: SpanPredictor, texts: Sequence[str], confidence: str | ConfidenceFn = "min_span_score"
) -> tuple[list[list[Span]], list[float]]:
    """The primary's spans and one confidence in [0, 1] per text (see the module docstring for measures)."""
    texts = list(texts)
    if not texts:
        return [], []
    if callable(confidence):
        return confidence(model, texts)
    if confidence == "min_span_score":
        spans = [list(s) for s in model.predict(texts)]
        return spans, [span_confidence(s) for s in spans]
    if confidence in ("min_word_prob", "min_token_margin"):
        return _word_confidences(model, texts, confidence)
    raise ValueError(f"unknown confidence {confidence!r}; use one of {', '.join(CONFIDENCES)}")


def ask_fallback(
    texts: Sequence[str],
    confidences: Sequence[float],
    threshold: float,
    fallback: Callable[[list[str]], Sequence[A]],
    fallback_name: str,
) -> dict[int, A]:
    """The fallback's answers, by text index, for the texts whose confidence is below ``threshold``.

    The routing rule every cascade shares (spans here, labels in :mod:`specialize.serve.classifier`): one
    fallback call with only the deferred texts, since the fallback is the expensive model.
    """
    deferred = [i for i, c in enumerate(confidences) if c < threshold]
    if not deferred:
        return {}
    answers = list(fallback([texts[i] for i in deferred]))
    if len(answers) != len(deferred):
        raise RuntimeError(f"{fallback_name} returned {len(answers)} results for {len(deferred)}")
    logger.debug("cascade: %d of %d documents deferred to %s", len(deferred), len(texts), fallback_name)
    return dict(zip(deferred, answers, strict=True))


class Cascade:
    """A :class:`SpanPredictor` that asks ``fallback`` about the documents ``primary`` is unsure of.

    A document goes to the fallback when the primary's confidence is below ``threshold``. :meth:`route` says
    which model answered each document; :meth:`predict` gives just the spans.
    """

    def __init__(
        self,
        primary: SpanPredictor,
        fallback: SpanPredictor,
        threshold: float = 0.8,
        confidence: str | ConfidenceFn = "min_span_score",
    ) -> None:
        if isinstance(confidence, str) and confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {confidence!r}; use one of {', '.join(CONFIDENCES)}")
        if confidence in ("min_word_prob", "min_token_margin") and not isinstance(primary, _WordScorer):
            raise ValueError(
                f"confidence {confidence!r} needs a primary with word probabilities; {primary.name!r} has none"
            )
        self.primary = primary
        self.fallback = fallback
        self.threshold = float(threshold)
        self.confidence = confidence
        self.name = f"cascade({primary.name}->{fallback.name}@{self.threshold:g})"

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.primary.labels) | set(self.fallback.labels))

    def route(self, texts: Sequence[str]) -> list[Routed]:
        texts = list(texts)
        spans, confidences = primary_confidences(self.primary, texts, self.confidence)
        deferred = ask_fallback(texts, confidences, self.threshold, self.fallback.predict, self.fallback.name)
        return [
            Routed(sorted(deferred[i]), self.fallback.name, c, True)
            if i in deferred
            else Routed(sorted(s), self.primary.name, c, False)
            for i, (s, c) in enumerate(zip(spans, confidences, strict=True))
        ]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [r.spans for r in self.route(texts)]


class _TeacherPredictor:
    """A teacher seen as a span predictor (teachers built on ``TeacherBase`` have ``predict`` already)."""

    def __init__(self, teacher: Any) -> None:
        self.teacher = teacher
        self.name = str(teacher.name)

    @property
    def labels(self) -> list[str]:
        return list(self.teacher.labels)

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [list(out.spans) for out in self.teacher.label(list(texts))]


def load_fallback(
    spec: str | SpanPredictor,
    *,
    labels: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> SpanPredictor:
    """A fallback from a spec: a model folder (specialist or exported), ``spacy:NAME``, or any teacher spec
    (``llm:MODEL``, ``gazetteer:FILE``, ``vote:A+B``...). ``labels`` (usually the primary's) tell an ``llm:``
    teacher what to look for; ``label_map`` renames a spaCy pipeline's labels."""
    if not isinstance(spec, str):
        return spec
    if spec.startswith("spacy:") or Path(spec).is_dir():
        from specialize.models.resolve import load_model

        return load_model(spec, label_map=label_map)
    from specialize.models.resolve import ModelSpec
    from specialize.teachers.spec import load_teacher

    kind = ModelSpec.parse(spec).kind
    options: dict[str, Any] = {}
    if kind == "llm" and labels is not None:
        options["labels"] = list(labels)
    teacher = load_teacher(spec, label_map=label_map if kind != "llm" else None, **options)
    return _TeacherPredictor(teacher)


# -- threshold sweep ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    deferred: float
    """Share of documents sent to the fallback."""
    n_deferred: int
    f1: float
    precision: float
    recall: float


@dataclass
class CascadeCurve:
    """F1 against deferral for each threshold, with both models alone for reference."""

    primary: str
    fallback: str
    confidence: str
    n_docs: int
    primary_f1: float
    fallback_f1: float
    points: list[CurvePoint]

    def to_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary,
            "fallback": self.fallback,
            "confidence": self.confidence,
            "n_docs": self.n_docs,
            "primary_f1": round(self.primary_f1, 6),
            "fallback_f1": round(self.fallback_f1, 6),
            "points": [
                {
                    "threshold": p.threshold,
                    "deferred": round(p.deferred, 6),
                    "n_deferred": p.n_deferred,
                    "f1": round(p.f1, 6),
                    "precision": round(p.precision, 6),
                    "recall": round(p.recall, 6),
                }
                for p in self.points
            ],
        }


def cascade_curve(
    primary: SpanPredictor | str,
    fallback: SpanPredictor | str,
    docs: Sequence[Document] | str | Path,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    *,
    confidence: str | ConfidenceFn = "min_span_score",
    label_map: Mapping[str, str] | None = None,
) -> CascadeCurve:
    """Strict span F1 of the cascade at each threshold, from one prediction pass per model.

    ``docs`` are gold documents or a path/dataset name read by ``read_documents``; models are predictors or
    specs (``label_map`` goes to a spaCy fallback). The fallback predicts every document once, so the sweep
    costs two passes however many thresholds there are.
    """
    source = docs if isinstance(docs, str | Path) else None
    if isinstance(docs, str | Path):
        from specialize.data.io import read_documents

        docs = read_documents(docs)
    docs = list(docs)
    check_gold(docs, source)
    if not docs:
        raise ValueError("no documents to compute the cascade curve on")
    if isinstance(primary, str):
        from specialize.models.resolve import load_model

        primary_model: SpanPredictor = load_model(primary, label_map=label_map)
    else:
        primary_model = primary
    primary = primary_model
    fallback = load_fallback(fallback, labels=primary_model.labels, label_map=label_map)
    texts = [d.text for d in docs]
    gold = [d.spans for d in docs]
    types = sorted({s.label for spans in gold for s in spans})
    primary_spans, confidences = primary_confidences(primary, texts, confidence)
    fallback_spans = [list(s) for s in fallback.predict(texts)]
    points = []
    for threshold in sorted(thresholds):
        deferred = [c < threshold for c in confidences]
        mixed = [f if d else p for p, f, d in zip(primary_spans, fallback_spans, deferred, strict=True)]
        micro = score_spans(gold, mixed, types=types).micro
        n = sum(deferred)
        points.append(CurvePoint(float(threshold), n / len(docs), n, micro.f1, micro.precision, micro.recall))
    return CascadeCurve(
        primary=primary.name,
        fallback=fallback.name,
        confidence=confidence if isinstance(confidence, str) else getattr(confidence, "__name__", "custom"),
        n_docs=len(docs),
        primary_f1=score_spans(gold, primary_spans, types=types).micro.f1,
        fallback_f1=score_spans(gold, fallback_spans, types=types).micro.f1,
        points=points,
    )


def format_curve(curve: CascadeCurve) -> str:
    """A text table: threshold, share deferred, F1, P, R; both models alone on the first lines."""
    lines = [
        f"Cascade {curve.primary} -> {curve.fallback} on {curve.n_docs} documents (confidence: {curve.confidence})",
        f"{'threshold':>9}  {'deferred':>8}  {'F1':>6}  {'P':>6}  {'R':>6}",
        f"{'-' * 9}  {'-' * 8}  {'-' * 6}  {'-' * 6}  {'-' * 6}",
        f"{'primary':>9}  {0.0:>8.1%}  {curve.primary_f1:>6.3f}",
    ]
    for p in curve.points:
        lines.append(f"{p.threshold:>9.2f}  {p.deferred:>8.1%}  {p.f1:>6.3f}  {p.precision:>6.3f}  {p.recall:>6.3f}")
    lines.append(f"{'fallback':>9}  {1.0:>8.1%}  {curve.fallback_f1:>6.3f}")
    return "\n".join(lines)
