"""Teacher vs student after distillation: accuracy side by side, agreement, and speed measured in one run.

Speed is only comparable when both models run on the same machine, with the same threads, in the same
process and under the same background load; so both are measured here, interleaved, rather than taken from
the teacher's own model card.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Sequence
from typing import Any

from specialize.evaluation.span_metrics import score_spans
from specialize.models.base import SpanPredictor
from specialize.training.train import LoadedData

logger = logging.getLogger(__name__)

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
    predictors: Sequence[SpanPredictor], texts: Sequence[str], *, repeats: int = 3, threads: int | None = None
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


def _f1_cell(stats: dict[str, Any] | None, key: str = "f1", ci_key: str = "f1_ci") -> str:
    if stats is None:
        return "-"
    ci = stats.get(ci_key)
    return f"{stats[key]:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


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
        for entity_type in sorted(set(teacher["per_type"]) | set(student["per_type"])):
            t, s = teacher["per_type"].get(entity_type), student["per_type"].get(entity_type)
            support = (t or s or {}).get("support", 0)
            lines.append(f"| {split} | {entity_type} | {support} | {_f1_cell(t)} | {_f1_cell(s)} |")
        lines.append(f"| {split} | **micro** | | {_f1_cell(teacher)} | {_f1_cell(student)} |")
        lines.append(
            f"| {split} | macro | | {_f1_cell(teacher, 'macro_f1', 'macro_f1_ci')} "
            f"| {_f1_cell(student, 'macro_f1', 'macro_f1_ci')} |"
        )
        lines.append(f"| {split} | agreement with teacher | | | {student['agreement']['f1']:.3f} |")
    if throughput:
        teacher_speed, student_speed = throughput["models"]
        speedup = student_speed["docs_per_s"] / max(teacher_speed["docs_per_s"], 1e-9)
        lines += [
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
    return "\n".join(lines)
