"""Evaluate models side by side on one gold set, for any task: scores, bootstrap CIs, errors, speed, records.

Span models are scored by strict span match (start, end and type), text classifiers by their label sets
(accuracy = exact match, micro/macro F1 over labels); both with percentile bootstrap intervals over texts, and
every model sees the same resamples (same seed), so their intervals are paired. The task comes from the models
(a text classifier folder, or ``task=``); what differs is in :mod:`specialize.tasks`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.config import DataConfig
from specialize.data.labels import describe_drops, label_map_drops
from specialize.data.loading import LoadedData
from specialize.data.sampling import select
from specialize.errors import DataError
from specialize.evaluation.error_analysis import CATEGORIES, ErrorAnalysis
from specialize.evaluation.records import EvaluationRecord, rounded, rounded_ci
from specialize.evaluation.span_metrics import BootstrapCI, SpanScores
from specialize.tasks.base import Task
from specialize.tasks.registry import get_task, task_of
from specialize.utils.provenance import command_line, machine_info

logger = logging.getLogger(__name__)

__all__ = [
    "EvaluationResult",
    "ModelEvaluation",
    "command_line",
    "evaluate",
    "format_table",
    "machine_info",
    "per_type_record",
    "rounded",
    "rounded_ci",
]


@dataclass
class ModelEvaluation:
    """Everything measured for one model on the gold set."""

    name: str
    labels: list[str]
    """Types (labels) the model says it can predict (after label mapping)."""
    scores: SpanScores
    """Per type (entity type, or label), micro and macro."""
    ci: BootstrapCI | None
    predict_seconds: float
    docs_per_s: float
    tokens_per_s: float
    """Whitespace tokens of the input texts per second: comparable across tokenizers."""
    errors: ErrorAnalysis | None = None  # spans only
    accuracy: float | None = None  # classification only: exact match of the label set
    accuracy_ci: tuple[float, float] | None = None
    predictions: list[Any] = field(repr=False, default_factory=list)
    dropped_spans: dict[str, int] = field(default_factory=dict)
    """Predicted spans the model's label map dropped (types it does not map), per original type."""


@dataclass
class EvaluationResult:
    task: str
    models: list[ModelEvaluation]
    gold_types: list[str]
    n_docs: int
    n_tokens: int
    n_bootstrap: int
    seed: int
    multi_label: bool | None = None  # classification: whether the gold data gives texts other than one label
    data_note: str | None = None  # the part of the data scored (--limit/--sample), None for all of it

    def typed_records(
        self,
        dataset: str | None = None,
        split: str | None = None,
        command: str | None = None,
        machine: Mapping[str, Any] | None = None,
        error_examples: bool = False,
    ) -> list[EvaluationRecord]:
        """One record per model. ``command`` defaults to this process's command line and ``machine`` to
        :func:`machine_info`, so that a record says how and where it was produced. ``error_examples`` adds the
        kept error examples (``evaluate(examples=N)`` per category); off by default because they quote the texts."""
        command = command if command is not None else command_line()
        machine = dict(machine) if machine is not None else machine_info()
        return [self._record(m, dataset, split, command, machine, error_examples) for m in self.models]

    def to_records(
        self,
        dataset: str | None = None,
        split: str | None = None,
        command: str | None = None,
        machine: Mapping[str, Any] | None = None,
        error_examples: bool = False,
    ) -> list[dict[str, Any]]:
        """:meth:`typed_records` as JSON-ready dicts."""
        return [r.to_dict() for r in self.typed_records(dataset, split, command, machine, error_examples)]

    def _record(
        self,
        m: ModelEvaluation,
        dataset: str | None,
        split: str | None,
        command: str,
        machine: dict[str, Any],
        error_examples: bool,
    ) -> EvaluationRecord:
        s, ci = m.scores, m.ci
        errors = m.errors
        examples = None
        if errors is not None and error_examples:
            examples = [e for ex in errors.to_dict()["examples"].values() for e in ex]
        return EvaluationRecord(
            task=self.task,
            dataset=dataset,
            split=split,
            model=m.name,
            f1=rounded(s.micro.f1),
            f1_ci=rounded_ci(ci.micro_f1 if ci else None),
            precision=rounded(s.micro.precision),
            recall=rounded(s.micro.recall),
            macro_f1=rounded(s.macro_f1),
            macro_f1_ci=rounded_ci(ci.macro_f1 if ci else None),
            per_type=per_type_record(s, ci),
            predict_seconds=rounded(m.predict_seconds),
            docs_per_s=rounded(m.docs_per_s),
            tokens_per_s=None if errors is None else rounded(m.tokens_per_s),
            n_docs=self.n_docs,
            n_bootstrap=self.n_bootstrap,
            command=command,
            machine=machine,
            accuracy=None if m.accuracy is None else rounded(m.accuracy),
            accuracy_ci=rounded_ci(m.accuracy_ci),
            multi_label=self.multi_label,
            errors=None if errors is None else dict(errors.counts),
            errors_per_type=None if errors is None else {t: dict(c) for t, c in errors.per_type.items()},
            confusions=None if errors is None else dict(errors.confusions),
            error_examples=examples,
            extra={"data_selection": self.data_note, "dropped_by_label_map": m.dropped_spans},
        )


def per_type_record(scores: SpanScores, ci: BootstrapCI | None) -> dict[str, dict[str, Any]]:
    """Per type (entity type, or label for classifiers): P/R/F1, F1's interval and support, for a record."""
    return {
        t: {
            "precision": rounded(prf.precision),
            "recall": rounded(prf.recall),
            "f1": rounded(prf.f1),
            "f1_ci": rounded_ci(ci.per_type_f1.get(t) if ci else None),
            "support": prf.support,
        }
        for t, prf in scores.per_type.items()
    }


def _common_task(models: Sequence[Any], task: Task | str | None) -> Task:
    tasks = {task_of(m).name for m in models}
    if task is not None:
        chosen = get_task(task) if isinstance(task, str) else task
        wrong = [getattr(m, "name", m) for m in models if task_of(m).name != chosen.name]
        if wrong:
            raise DataError(f"{wrong} are not {chosen.what}s; evaluate models of one task together")
        return chosen
    if len(tasks) > 1:
        by_task = {t: [getattr(m, "name", m) for m in models if task_of(m).name == t] for t in sorted(tasks)}
        raise DataError(f"these models do different tasks ({by_task}); evaluate each task's models separately")
    return get_task(tasks.pop())


def evaluate(
    models: Sequence[Any],
    data: Sequence[Any] | str | Path,
    *,
    task: Task | str | None = None,
    label_map: Mapping[str, str] | str | None = None,
    data_config: DataConfig | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    examples: int = 5,
    confidence: float = 0.95,
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
) -> EvaluationResult:
    """Predict with each model on ``data``'s texts and score against its gold answers.

    ``models`` are model objects or specs (a folder, an exported folder, ``spacy:NAME``, any teacher spec; see
    :func:`specialize.models.resolve.load_model`). ``label_map`` (a mapping, ``"A=B,C=D"`` or a preset such as
    ``"conll"``) goes to span models loaded from specs; it never touches the gold labels or the objects passed in.
    ``data`` is gold items (documents or labelled texts) or a file/dataset name the task reads, as
    ``data_config`` says (``context="document"``: sentences joined into their documents).
    ``n_bootstrap=0`` skips the intervals. Gold is validated first (the task's ``validate``: for spans,
    :func:`specialize.data.validation.check_gold`). ``limit`` scores the first items only, ``sample`` that many
    drawn with ``sample_seed`` (:func:`specialize.data.sampling.select`); the records say so (``data_selection``).

    Gold types a model cannot predict are scored F1 0 (they count in micro recall and macro F1); types it
    predicts that are not in gold count as false positives.
    """
    from specialize.models.resolve import distinct_names, load_model

    if isinstance(label_map, str):
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(label_map)
    loaded = [load_model(m, label_map=label_map) if isinstance(m, str | Path) else m for m in models]
    chosen = _common_task(loaded, task)
    data_config = data_config or DataConfig()
    gold = (
        chosen.load("test", data, data_config)
        if isinstance(data, str | Path)
        else LoadedData("test", "(in memory)", list(data))
    )
    chosen.validate(gold)
    items, data_note = select(gold.items, limit=limit, sample=sample, seed=sample_seed)
    if not items:
        raise DataError("no documents to evaluate on")
    texts = [item.text for item in items]
    n_tokens = sum(len(t.split()) for t in texts)
    results = []
    names = distinct_names([str(getattr(m, "name", type(m).__name__)) for m in loaded], models)
    for name, model in zip(names, loaded, strict=True):
        before = label_map_drops(model)
        start = time.perf_counter()
        predictions = chosen.predict(model, texts)
        seconds = time.perf_counter() - start
        dropped = label_map_drops(model, before)
        if dropped:
            logger.warning("%s: the label map %s", name, describe_drops(dropped, "types it does not map"))
        if len(predictions) != len(texts):
            raise DataError(f"{name} returned {len(predictions)} answers for {len(texts)} texts")
        scored = chosen.score(
            items, predictions, n_bootstrap=n_bootstrap, seed=seed, confidence=confidence, examples=examples
        )
        results.append(
            ModelEvaluation(
                name=name,
                labels=list(getattr(model, "labels", [])),
                scores=scored.scores,
                ci=scored.ci,
                predict_seconds=seconds,
                docs_per_s=len(texts) / seconds if seconds > 0 else float("inf"),
                tokens_per_s=n_tokens / seconds if seconds > 0 else float("inf"),
                errors=scored.errors,
                accuracy=scored.accuracy,
                accuracy_ci=scored.accuracy_ci,
                predictions=predictions,
                dropped_spans=dict(dropped),
            )
        )
        logger.info(
            "%s: F1 %.4f (P %.4f R %.4f) in %.2f s (%.0f docs/s)",
            name,
            scored.scores.micro.f1,
            scored.scores.micro.precision,
            scored.scores.micro.recall,
            seconds,
            results[-1].docs_per_s,
        )
    # Types (labels) with gold support: the same for every model, since all score the same items.
    gold_types = sorted(results[0].scores.gold_types)
    multi_label = None
    if chosen.name == "classification":
        multi_label = any(len(chosen.gold(item)) != 1 for item in items)
    return EvaluationResult(
        chosen.name, results, gold_types, len(items), n_tokens, n_bootstrap, seed, multi_label, data_note
    )


def _cell(value: float, interval: tuple[float, float] | None) -> str:
    return f"{value:.4f}" if interval is None else f"{value:.4f} [{interval[0]:.4f}, {interval[1]:.4f}]"


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned so decimals line up."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def format_table(result: EvaluationResult) -> str:
    """Side-by-side text tables: F1 per type (label) / micro / macro with CIs, micro P and R, accuracy for
    classifiers, speed; then the span errors.

    Types that occur only in some model's predictions (not in gold) are listed after the gold types as
    ``TYPE (not in gold)`` with the number of spans each model predicted, not an F1 (there is nothing to find:
    they count as false positives in micro P/F1, not in macro F1); a model that never predicts a gold type
    shows F1 0.0000 there.
    """
    names = [m.name for m in result.models]
    extra = sorted({t for m in result.models for t in m.scores.types} - set(result.gold_types))
    support = {t: 0 for t in extra}
    for m in result.models:
        support.update({t: m.scores.per_type[t].support for t in result.gold_types if t in m.scores.per_type})
    rows: list[list[str]] = []
    for t in [*result.gold_types, *extra]:
        row = [t if t in result.gold_types else f"{t} (not in gold)", str(support.get(t, 0))]
        for m in result.models:
            prf = m.scores.per_type.get(t)
            ci = m.ci.per_type_f1.get(t) if m.ci and prf else None
            if t not in result.gold_types:
                row.append(f"{prf.fp} predicted" if prf is not None and prf.fp else "-")
            else:
                row.append("-" if prf is None else _cell(prf.f1, ci))
        rows.append(row)
    n_gold = sum(support.get(t, 0) for t in result.gold_types)

    def metric_row(label: str, sup: str, value: str, interval: str) -> list[str]:
        cells = []
        for m in result.models:
            obj = m.scores.micro if value.startswith("micro.") else m.scores
            ci: tuple[float, float] | None = getattr(m.ci, interval) if m.ci else None
            cells.append(_cell(getattr(obj, value.removeprefix("micro.")), ci))
        return [label, sup, *cells]

    rows.append(metric_row("micro F1", str(n_gold), "micro.f1", "micro_f1"))
    rows.append(metric_row("macro F1", "", "macro_f1", "macro_f1"))
    rows.append(metric_row("micro P", "", "micro.precision", "micro_precision"))
    rows.append(metric_row("micro R", "", "micro.recall", "micro_recall"))
    if any(m.accuracy is not None for m in result.models):
        rows.append(["accuracy", "", *(_cell(m.accuracy or 0.0, m.accuracy_ci) for m in result.models)])
    rows.append(["docs/s", "", *(f"{m.docs_per_s:.1f}" for m in result.models)])
    rows.append(["predict s", "", *(f"{m.predict_seconds:.2f}" for m in result.models)])
    first_ci = result.models[0].ci if result.models else None
    ci_note = (
        f"; [{round(first_ci.confidence * 100)}% bootstrap CI, {first_ci.n_samples} document resamples]"
        if first_ci
        else ""
    )
    if result.task == "classification":
        kind = "multi-label; accuracy = exact label-set match" if result.multi_label else "single-label"
        title = f"Classification of {result.n_docs} texts ({kind}); F1 per label{ci_note}"
    else:
        title = f"Strict span F1 on {result.n_docs} documents ({result.n_tokens} whitespace tokens){ci_note}"
    if result.data_note:
        title += f"; {result.data_note} {'texts' if result.task == 'classification' else 'documents'}"
    parts = [title, render_table(["type" if result.task != "classification" else "label", "support", *names], rows)]
    if extra:
        parts.append(
            "(not in gold): types predicted that the gold data does not have; their spans are false positives in "
            "micro P and F1, not part of macro F1"
        )
    parts += [f"{m.name}: the label map {describe_drops(m.dropped_spans, 'types it does not map')}"
              for m in result.models if m.dropped_spans]  # fmt: skip
    if all(m.errors is not None for m in result.models) and result.models:
        err_rows = [[c, *(str(m.errors.counts.get(c, 0)) for m in result.models if m.errors)] for c in CATEGORIES]
        err_rows.append(["total", *(str(m.errors.total) for m in result.models if m.errors)])
        parts += [
            "",
            "Errors (events; see specialize.evaluation.error_analysis)",
            render_table(["error", *names], err_rows),
        ]
    return "\n".join(parts)
