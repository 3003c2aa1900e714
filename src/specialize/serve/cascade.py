"""A cascade: the small specialist answers what it is sure of and defers the rest to a bigger fallback model, for
every task.

A text goes to the fallback when the primary's confidence in its answer is below a threshold. How confidence is
measured is the task's (:mod:`specialize.evaluation.confidence`): for spans, the least sure decision of the document
(``min_span_score``, ``min_word_prob``, ``min_token_margin``), since one wrong span spoils it; for a text
classifier, its top probability, or its least certain label's distance to the decision threshold.

``cascade_curve`` answers "which threshold?": it predicts once with each model over a gold set and mixes the
answers for every threshold, giving the F1 against the share of texts deferred.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from specialize.config import DataConfig
from specialize.data.loading import LoadedData
from specialize.errors import ConfigError, DataError
from specialize.tasks.base import Task
from specialize.tasks.registry import task_of

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)

A = TypeVar("A")


@dataclass(frozen=True)
class Routed:
    """One text's answer (spans, or labels), the model that gave it, the primary's confidence, whether it was
    deferred, and every label's probability where the answering model gives them (classifiers)."""

    answer: Any
    model: str
    confidence: float
    deferred: bool
    scores: dict[str, float] | None = None

    @property
    def spans(self) -> Any:
        return self.answer

    @property
    def labels(self) -> Any:
        return self.answer


def ask_fallback(
    texts: Sequence[str],
    confidences: Sequence[float],
    threshold: float,
    fallback: Callable[[list[str]], Sequence[A]],
    fallback_name: str,
) -> dict[int, A]:
    """The fallback's answers, by text index, for the texts whose confidence is below ``threshold``: one fallback
    call with only the deferred texts, since the fallback is the expensive model."""
    deferred = [i for i, c in enumerate(confidences) if c < threshold]
    if not deferred:
        return {}
    answers = list(fallback([texts[i] for i in deferred]))
    if len(answers) != len(deferred):
        raise RuntimeError(f"{fallback_name} returned {len(answers)} results for {len(deferred)}")
    logger.debug("cascade: %d of %d texts deferred to %s", len(deferred), len(texts), fallback_name)
    return dict(zip(deferred, answers, strict=True))


class Cascade:
    """Answers from ``primary``; with a ``fallback``, the texts whose confidence is below ``threshold`` get the
    fallback's. Without one, :meth:`route` still says how sure the primary is of each answer.

    ``confidence`` names the task's measure (default: the task's first) or, for spans, is a function
    ``(model, texts) -> (spans, confidences)``. The fallback must do the same task (for classifiers: the same labels,
    single- or multi-label alike), so that every answer means the same whichever model gave it.
    """

    def __init__(
        self, primary: Any, fallback: Any | None = None, threshold: float = 0.8, confidence: Any = None
    ) -> None:
        self.task: Task = task_of(primary)
        measures = self.task.confidence_measures
        confidence = confidence if confidence is not None else measures[0]
        if isinstance(confidence, str) and confidence not in measures:
            raise ConfigError(
                f"confidence {confidence!r} does not apply to a {self.task.what}; use one of {', '.join(measures)}"
            )
        if fallback is not None:
            self.task.check_fallback(primary, fallback)
        self.primary = primary
        self.fallback = fallback
        self.threshold = float(threshold)
        self.confidence = confidence
        self.self_check()
        tail = f"->{fallback.name}@{self.threshold:g}" if fallback is not None else ""
        self.name = f"cascade({primary.name}{tail})"

    def self_check(self) -> None:
        """Measure nothing yet, but fail at startup on what would fail on the first request (a word-level measure
        of a model without word probabilities, a multi-label classifier without a threshold)."""
        self.task.answers_with_confidence(self.primary, [], self.confidence)

    @property
    def labels(self) -> list[str]:
        labels = set(self.primary.labels) | (set(self.fallback.labels) if self.fallback is not None else set())
        return sorted(labels)

    @property
    def multi_label(self) -> bool:
        return bool(getattr(self.primary, "multi_label", False))

    def route(self, texts: Sequence[str]) -> list[Routed]:
        texts = list(texts)
        answers, confidences, scores = self.task.answers_with_confidence(self.primary, texts, self.confidence)
        deferred: dict[int, tuple[Any, dict[str, float] | None]] = {}
        fallback = self.fallback
        if fallback is not None:

            def ask(chunk: list[str]) -> list[tuple[Any, dict[str, float] | None]]:
                # The fallback answers; its own confidence is not asked for (the cheapest measure comes with it).
                got, _, got_scores = self.task.answers_with_confidence(
                    fallback, chunk, self.task.confidence_measures[0]
                )
                no_scores: list[dict[str, float] | None] = [None] * len(got)
                return list(zip(got, got_scores or no_scores, strict=True))

            deferred = ask_fallback(texts, confidences, self.threshold, ask, fallback.name)
        out = []
        for i, (answer, c) in enumerate(zip(answers, confidences, strict=True)):
            if i in deferred:
                assert fallback is not None
                out.append(Routed(deferred[i][0], fallback.name, c, True, deferred[i][1]))
            else:
                out.append(Routed(answer, self.primary.name, c, False, scores[i] if scores else None))
        return out

    def predict(self, texts: Sequence[str]) -> list[Any]:
        return [r.answer for r in self.route(texts)]


def load_fallback(spec: Any, primary: Any, *, label_map: Mapping[str, str] | None = None) -> Any:
    """The fallback of ``primary`` from a spec (any spec :func:`specialize.models.resolve.load_model` takes: a
    model folder, ``spacy:NAME``, ``llm:MODEL``, ``gazetteer:FILE``, ``vote:A+B``...), checked against the primary.
    An ``llm:`` fallback looks for the primary's labels; ``label_map`` renames a spaCy pipeline's labels."""
    from specialize.models.resolve import ModelSpec, load_model

    if isinstance(spec, str | Path):
        kind = ModelSpec.parse(spec).kind
        if kind == "llm":
            fallback = load_model(spec, labels=list(primary.labels))
        else:
            fallback = load_model(spec, label_map=label_map if kind != "folder" else None)
    else:
        fallback = spec
    task_of(primary).check_fallback(primary, fallback)
    return fallback


# -- threshold sweep ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    deferred: float
    """Share of texts sent to the fallback."""
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
    task: str = "ner"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "cascade",
            "task": self.task,
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
    primary: Any,
    fallback: Any,
    data: Sequence[Any] | str | Path,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    *,
    confidence: Any = None,
    label_map: Mapping[str, str] | None = None,
    data_config: DataConfig | None = None,
) -> CascadeCurve:
    """Micro F1 of the cascade at each threshold, from one prediction pass per model.

    ``data`` is gold items (documents, or labelled texts) or a file/dataset name the primary's task reads; models
    are objects or specs (``label_map`` goes to a spaCy primary or fallback). The fallback answers every text once,
    so the sweep costs two passes however many thresholds there are.
    """
    from specialize.models.resolve import load_model

    primary_model = load_model(primary, label_map=label_map) if isinstance(primary, str | Path) else primary
    task = task_of(primary_model)
    fallback_model = load_fallback(fallback, primary_model, label_map=label_map)
    if isinstance(data, str | Path):
        gold = task.load("test", data, data_config or DataConfig())
    else:
        gold = LoadedData("test", "(in memory)", list(data))
    task.validate(gold)  # the one gold validation (issue #15): no scores against duplicated or overlapping spans
    items = gold.items
    if not items:
        raise DataError("no documents to compute the cascade curve on")
    measure = confidence if confidence is not None else task.confidence_measures[0]
    texts = [item.text for item in items]
    primary_answers, confidences, _ = task.answers_with_confidence(primary_model, texts, measure)
    fallback_answers = task.predict(fallback_model, texts)

    def micro(answers: Sequence[Any]) -> Any:
        return task.score(items, answers, n_bootstrap=0, seed=0, confidence=0.95, examples=0).scores.micro

    points = []
    for threshold in sorted(thresholds):
        deferred = [c < threshold for c in confidences]
        mixed = [f if d else p for p, f, d in zip(primary_answers, fallback_answers, deferred, strict=True)]
        score = micro(mixed)
        n = sum(deferred)
        points.append(CurvePoint(float(threshold), n / len(items), n, score.f1, score.precision, score.recall))
    return CascadeCurve(
        primary=primary_model.name,
        fallback=fallback_model.name,
        confidence=measure if isinstance(measure, str) else getattr(measure, "__name__", "custom"),
        n_docs=len(items),
        primary_f1=micro(primary_answers).f1,
        fallback_f1=micro(fallback_answers).f1,
        points=points,
        task=task.name,
    )


def format_curve(curve: CascadeCurve) -> str:
    """A text table: threshold, share deferred, F1, P, R; both models alone on the first lines."""
    lines = [
        f"Cascade {curve.primary} -> {curve.fallback} on {curve.n_docs} texts (confidence: {curve.confidence})",
        f"{'threshold':>9}  {'deferred':>8}  {'F1':>6}  {'P':>6}  {'R':>6}",
        f"{'-' * 9}  {'-' * 8}  {'-' * 6}  {'-' * 6}  {'-' * 6}",
        f"{'primary':>9}  {0.0:>8.1%}  {curve.primary_f1:>6.3f}",
    ]
    for p in curve.points:
        lines.append(f"{p.threshold:>9.2f}  {p.deferred:>8.1%}  {p.f1:>6.3f}  {p.precision:>6.3f}  {p.recall:>6.3f}")
    lines.append(f"{'fallback':>9}  {1.0:>8.1%}  {curve.fallback_f1:>6.3f}")
    return "\n".join(lines)
