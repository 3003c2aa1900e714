"""Evaluate text classifiers side by side on one labelled set: accuracy, micro/macro F1, per-label scores, CIs.

A classifier is anything with ``name``, ``labels`` and ``predict(texts) -> list[list[str]]``: a trained
:class:`~specialize.models.text_classifier.TextClassifier` or the TF-IDF baseline
(:mod:`specialize.models.tfidf_baseline`). All models are scored on the same texts with the same bootstrap
resamples (same seed), so their intervals are paired.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from specialize.data.classification import LabelledText, is_multi_label, label_set, read_labelled
from specialize.data.sampling import select
from specialize.evaluation.classification_metrics import (
    ClassificationCI,
    ClassificationScores,
    bootstrap_classification,
    score_labels,
)
from specialize.evaluation.evaluate import per_type_record, rounded, rounded_ci

logger = logging.getLogger(__name__)


@runtime_checkable
class LabelPredictor(Protocol):
    """Texts in, one label list per text out, in input order."""

    name: str

    @property
    def labels(self) -> list[str]: ...

    def predict(self, texts: Sequence[str]) -> list[list[str]]: ...


@dataclass
class ClassifierEvaluation:
    name: str
    scores: ClassificationScores
    ci: ClassificationCI | None
    predict_seconds: float
    docs_per_s: float
    predictions: list[list[str]] = field(repr=False, default_factory=list)


@dataclass
class ClassificationResult:
    models: list[ClassifierEvaluation]
    labels: list[str]  # gold labels of the data, sorted
    multi_label: bool
    n_docs: int
    n_bootstrap: int
    seed: int
    data_note: str | None = None  # the part of the data scored (--limit/--sample), None for all of it

    def to_records(
        self,
        dataset: str | None = None,
        split: str | None = None,
        command: str | None = None,
        machine: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """One JSON-ready record per model, with the command and machine that produced it."""
        from specialize.evaluation.evaluate import command_line, machine_info

        command = command if command is not None else command_line()
        machine = dict(machine) if machine is not None else machine_info()
        return [_record(m, self, dataset, split, command, machine) for m in self.models]


def _record(
    m: ClassifierEvaluation,
    result: ClassificationResult,
    dataset: str | None,
    split: str | None,
    command: str,
    machine: dict[str, Any],
) -> dict[str, Any]:
    s, ci = m.scores.labels, m.ci
    per_label = per_type_record(s, ci.labels if ci else None)
    micro_ci = rounded_ci(ci.labels.micro_f1 if ci else None)
    return {
        "task": "classification",
        "dataset": dataset,
        "split": split,
        "model": m.name,
        "multi_label": result.multi_label,
        "accuracy": rounded(m.scores.accuracy),
        "accuracy_ci": rounded_ci(ci.accuracy if ci else None),
        "micro_f1": rounded(s.micro.f1),
        "micro_f1_ci": micro_ci,
        "macro_f1": rounded(s.macro_f1),
        "macro_f1_ci": rounded_ci(ci.labels.macro_f1 if ci else None),
        # Same names as the span records, so printers and the model card read both.
        "f1": rounded(s.micro.f1),
        "f1_ci": micro_ci,
        "precision": rounded(s.micro.precision),
        "recall": rounded(s.micro.recall),
        "per_label": per_label,
        "predict_seconds": rounded(m.predict_seconds),
        "docs_per_s": rounded(m.docs_per_s),
        "n_docs": result.n_docs,
        "data_selection": result.data_note,
        "n_bootstrap": result.n_bootstrap,
        "command": command,
        "machine": machine,
    }


def _resolve(model: LabelPredictor | str) -> LabelPredictor:
    if not isinstance(model, str | Path):
        return model
    from specialize.models.classify import load_classifier

    return load_classifier(model)


def evaluate_classification(
    models: Sequence[LabelPredictor | str],
    data: Sequence[LabelledText] | str | Path,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
) -> ClassificationResult:
    """Predict with each model on ``data`` (labelled texts, a file or a dataset name) and score against gold.

    ``models`` are predictor objects or classifier folders. Gold labels a model does not know count as misses
    (F1 0 in the macro mean); ``n_bootstrap=0`` skips the intervals. ``limit``/``sample`` (``sample_seed``)
    score part of the data, as :func:`specialize.evaluation.evaluate.evaluate` does.
    """
    texts_data = read_labelled(data) if isinstance(data, str | Path) else list(data)
    texts_data, data_note = select(texts_data, limit=limit, sample=sample, seed=sample_seed)
    if not texts_data:
        raise ValueError("no labelled texts to evaluate on")
    predictors = [_resolve(m) for m in models]
    texts = [t.text for t in texts_data]
    gold = [t.labels for t in texts_data]
    labels = label_set(texts_data)
    results = []
    for predictor in predictors:
        start = time.perf_counter()
        predicted = [list(p) for p in predictor.predict(texts)]
        seconds = time.perf_counter() - start
        if len(predicted) != len(texts):
            raise ValueError(f"{predictor.name} returned {len(predicted)} label lists for {len(texts)} texts")
        scores = score_labels(gold, predicted, labels=labels)
        ci = (
            bootstrap_classification(scores, n_samples=n_bootstrap, seed=seed, confidence=confidence)
            if n_bootstrap
            else None
        )
        results.append(
            ClassifierEvaluation(
                predictor.name, scores, ci, seconds, len(texts) / seconds if seconds > 0 else float("inf"), predicted
            )
        )
        logger.info(
            "%s: accuracy %.4f, micro F1 %.4f, macro F1 %.4f in %.1f s",
            predictor.name,
            scores.accuracy,
            scores.micro_f1,
            scores.macro_f1,
            seconds,
        )
    multi = is_multi_label(texts_data)
    return ClassificationResult(results, labels, multi, len(texts), n_bootstrap, seed, data_note)


def _cell(value: float, interval: tuple[float, float] | None) -> str:
    return f"{value:.3f}" if interval is None else f"{value:.3f} [{interval[0]:.3f}-{interval[1]:.3f}]"


def format_classification_table(result: ClassificationResult) -> str:
    """Per-label F1 (with CIs) and support, then accuracy, micro and macro F1 and speed, one column per model."""
    from specialize.evaluation.evaluate import _render

    rows = []
    for label in result.labels:
        support = result.models[0].scores.labels.per_type[label].support if result.models else 0
        cells = []
        for m in result.models:
            prf = m.scores.labels.per_type[label]
            cells.append(_cell(prf.f1, m.ci.labels.per_type_f1.get(label) if m.ci else None))
        rows.append([label, str(support), *cells])
    rows.append(["accuracy", "", *(_cell(m.scores.accuracy, m.ci.accuracy if m.ci else None) for m in result.models)])
    rows.append(
        ["micro F1", "", *(_cell(m.scores.micro_f1, m.ci.labels.micro_f1 if m.ci else None) for m in result.models)]
    )
    rows.append(
        ["macro F1", "", *(_cell(m.scores.macro_f1, m.ci.labels.macro_f1 if m.ci else None) for m in result.models)]
    )
    rows.append(["docs/s", "", *(f"{m.docs_per_s:.1f}" for m in result.models)])
    kind = "multi-label; accuracy = exact set match" if result.multi_label else "single-label"
    title = f"Classification on {result.n_docs} texts ({kind}); F1 per label"
    if result.data_note:
        title += f" ({result.data_note} texts)"
    if result.n_bootstrap:
        title += f" [95% bootstrap CI, {result.n_bootstrap} text resamples]"
    return title + "\n" + _render(["label", "support", *(m.name for m in result.models)], rows)
