"""Teacher vs student after distillation: accuracy side by side, agreement, and speed measured in one run; for
span models and text classifiers alike.

Speed is only comparable when both models run on the same machine, with the same threads, in the same
process and under the same background load; so both are measured here, interleaved, rather than taken from
the teacher's own model card.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from specialize.evaluation.classification import LabelPredictor
from specialize.evaluation.span_metrics import score_spans
from specialize.models.base import SpanPredictor
from specialize.training.train import LoadedData
from specialize.training.train_classifier import LabelledData

logger = logging.getLogger(__name__)


class Timed(Protocol):
    """Anything timed by :func:`measure_throughput`: span predictors and text classifiers alike."""

    name: str

    def predict(self, texts: Sequence[str]) -> Sequence[Any]: ...


MAX_THROUGHPUT_DOCS = 1000  # enough for a stable median; more only makes the run longer
WARMUP_DOCS = 16  # first calls pay for lazy initialisation and allocator growth


def compare_on_splits(
    teacher: SpanPredictor, student: SpanPredictor, splits: Sequence[LoadedData], n_bootstrap: int
) -> list[dict[str, Any]]:
    """Records of both models on each gold split (paired bootstrap CIs), tagged with ``role``; the student's
    records also carry ``agreement``: strict span P/R/F1 of its predictions against the teacher's."""
    from specialize.evaluation.evaluate import evaluate

    records: list[dict[str, Any]] = []
    for data in splits:
        result = evaluate([teacher, student], data.documents, n_bootstrap=n_bootstrap)
        teacher_record, student_record = result.to_records(dataset=data.source, split=data.role)
        agreement = score_spans(result.models[0].predictions, result.models[1].predictions).micro
        teacher_record["role"], student_record["role"] = "teacher", "student"
        student_record["agreement"] = {
            "precision": round(agreement.precision, 6),
            "recall": round(agreement.recall, 6),
            "f1": round(agreement.f1, 6),
        }
        records += [teacher_record, student_record]
        logger.info(
            "%s: teacher F1 %.4f, student F1 %.4f, agreement F1 %.4f",
            data.role,
            teacher_record["f1"],
            student_record["f1"],
            agreement.f1,
        )
    return records


def measure_throughput(
    predictors: Sequence[Timed], texts: Sequence[str], *, repeats: int = 3, threads: int | None = None
) -> dict[str, Any]:
    """Docs/s and whitespace-tokens/s of each predictor on ``texts``: median of ``repeats`` timed passes after a
    warm-up. Passes are interleaved (A, B, A, B, ...) so a change in background load hits both models alike."""
    texts = list(texts[:MAX_THROUGHPUT_DOCS])
    if not texts or repeats < 1:
        raise ValueError("throughput needs at least one text and one repeat")
    n_tokens = sum(len(t.split()) for t in texts)
    for predictor in predictors:
        predictor.predict(texts[:WARMUP_DOCS])
    seconds: list[list[float]] = [[] for _ in predictors]
    for _ in range(repeats):
        for i, predictor in enumerate(predictors):
            start = time.perf_counter()
            predictor.predict(texts)
            seconds[i].append(time.perf_counter() - start)
    models = []
    for predictor, times in zip(predictors, seconds, strict=True):
        median = max(statistics.median(times), 1e-9)
        models.append(
            {
                "model": predictor.name,
                "docs_per_s": round(len(texts) / median, 3),
                "tokens_per_s": round(n_tokens / median, 3),
                "median_seconds": round(median, 6),
                "seconds": [round(t, 6) for t in times],
            }
        )
    return {"n_docs": len(texts), "n_tokens": n_tokens, "threads": threads, "repeats": repeats, "models": models}


def f1_cell(stats: dict[str, Any] | None, key: str = "f1", ci_key: str = "f1_ci") -> str:
    if stats is None:
        return "-"
    ci = stats.get(ci_key)
    return f"{stats[key]:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _per_kind_rows(split: str, teacher: dict[str, Any], student: dict[str, Any], key: str) -> list[str]:
    """One table row per entity type (``per_type``) or label (``per_label``): support, teacher and student F1."""
    rows = []
    for name in sorted(set(teacher[key]) | set(student[key])):
        t, s = teacher[key].get(name), student[key].get(name)
        support = (t or s or {}).get("support", 0)
        rows.append(f"| {split} | {name} | {support} | {f1_cell(t)} | {f1_cell(s)} |")
    return rows


def render_report(records: Sequence[dict[str, Any]], throughput: dict[str, Any] | None, texts_role: str) -> str:
    """Markdown tables: per-type and micro F1 of teacher and student per split, agreement, then speed."""
    lines: list[str] = []
    pairs = [(records[i], records[i + 1]) for i in range(0, len(records) - 1, 2)]
    if pairs:
        lines += [
            "Strict span F1 with 95% bootstrap confidence intervals over documents (paired resamples); "
            "agreement is the student's span F1 against the teacher's predictions.",
            "",
            "| split | type | support | teacher F1 | student F1 |",
            "|---|---|---|---|---|",
        ]
    for teacher, student in pairs:
        split = f"{student.get('split')} ({student.get('dataset')})"
        lines += _per_kind_rows(split, teacher, student, "per_type")
        lines.append(f"| {split} | **micro** | | {f1_cell(teacher)} | {f1_cell(student)} |")
        lines.append(
            f"| {split} | macro | | {f1_cell(teacher, 'macro_f1', 'macro_f1_ci')} "
            f"| {f1_cell(student, 'macro_f1', 'macro_f1_ci')} |"
        )
        lines.append(f"| {split} | agreement with teacher | | | {student['agreement']['f1']:.3f} |")
    return "\n".join(lines + throughput_lines(throughput, texts_role))


def throughput_lines(throughput: dict[str, Any] | None, texts_role: str) -> list[str]:
    """The speed part of the report: both models' docs/s and tokens/s, and the student's speed ratio."""
    if not throughput:
        return []
    teacher_speed, student_speed = throughput["models"]
    speedup = student_speed["docs_per_s"] / max(teacher_speed["docs_per_s"], 1e-9)
    return [
        "",
        f"Throughput on the {texts_role} texts ({throughput['n_docs']} documents, {throughput['n_tokens']} "
        f"whitespace tokens; {throughput['threads']} torch threads; median of {throughput['repeats']} "
        f"interleaved passes after a warm-up, both models in the same process):",
        "",
        "| model | docs/s | tokens/s |",
        "|---|---|---|",
        f"| teacher `{teacher_speed['model']}` | {teacher_speed['docs_per_s']:.1f} | "
        f"{teacher_speed['tokens_per_s']:.0f} |",
        f"| student `{student_speed['model']}` | {student_speed['docs_per_s']:.1f} | "
        f"{student_speed['tokens_per_s']:.0f} |",
        "",
        f"The student is {speedup:.2f}x the teacher's speed.",
    ]


def compare_classifiers(
    teacher: LabelPredictor, student: LabelPredictor, splits: Sequence[LabelledData], n_bootstrap: int
) -> list[dict[str, Any]]:
    """Records of both models on each gold split (paired bootstrap CIs), tagged with ``role``; the student's
    records also carry ``agreement``: micro P/R/F1 and exact-match rate of its labels against the teacher's."""
    from specialize.evaluation.classification import evaluate_classification
    from specialize.evaluation.classification_metrics import score_labels

    records: list[dict[str, Any]] = []
    for data in splits:
        result = evaluate_classification([teacher, student], data.texts, n_bootstrap=n_bootstrap)
        teacher_record, student_record = result.to_records(dataset=data.source, split=data.role)
        agreement = score_labels(result.models[0].predictions, result.models[1].predictions)
        micro = agreement.labels.micro
        teacher_record["role"], student_record["role"] = "teacher", "student"
        student_record["agreement"] = {
            "precision": round(micro.precision, 6),
            "recall": round(micro.recall, 6),
            "f1": round(micro.f1, 6),
            "exact_match": round(agreement.accuracy, 6),
        }
        records += [teacher_record, student_record]
        logger.info(
            "%s: teacher micro F1 %.4f, student micro F1 %.4f, agreement F1 %.4f",
            data.role,
            teacher_record["f1"],
            student_record["f1"],
            micro.f1,
        )
    return records


def render_classifier_report(records: Sequence[dict[str, Any]], throughput: dict[str, Any] | None, role: str) -> str:
    """Markdown: per-label, micro and macro F1 and accuracy of teacher and student per split, agreement, speed."""
    lines: list[str] = []
    pairs = [(records[i], records[i + 1]) for i in range(0, len(records) - 1, 2)]
    if pairs:
        lines += [
            "F1 with 95% bootstrap confidence intervals over texts (paired resamples); agreement is the student's "
            "micro F1 (and exact-match rate) against the teacher's labels.",
            "",
            "| split | label | support | teacher | student |",
            "|---|---|---|---|---|",
        ]
    for teacher, student in pairs:
        split = f"{student.get('split')} ({student.get('dataset')})"
        lines += _per_kind_rows(split, teacher, student, "per_label")
        for name, key in (("**micro F1**", "f1"), ("macro F1", "macro_f1"), ("accuracy", "accuracy")):
            lines.append(
                f"| {split} | {name} | | {f1_cell(teacher, key, key + '_ci')} | {f1_cell(student, key, key + '_ci')} |"
            )
        agreement = student["agreement"]
        lines.append(
            f"| {split} | agreement with teacher | | | {agreement['f1']:.3f} (exact match "
            f"{agreement['exact_match']:.3f}) |"
        )
    return "\n".join(lines + throughput_lines(throughput, role))


def write_report(
    output: Path,
    info: dict[str, Any],
    records: Sequence[dict[str, Any]],
    throughput: dict[str, Any] | None,
    markdown: str,
) -> None:
    """``distillation.json`` (how it was distilled, both models' records, their speed) and ``distillation.md``."""
    output.mkdir(parents=True, exist_ok=True)
    report = {"distillation": info, "records": list(records), "throughput": throughput}
    (output / "distillation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (output / "distillation.md").write_text(f"# Teacher vs student\n\n{markdown}\n", encoding="utf-8")
