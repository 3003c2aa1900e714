"""Teacher vs student after distillation: accuracy side by side, agreement, and speed measured in one run; for
every task.

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

from specialize.data.loading import LoadedData
from specialize.tasks.base import Task

logger = logging.getLogger(__name__)


class Timed(Protocol):
    """Anything timed by :func:`measure_throughput`: span predictors and text classifiers alike."""

    name: str

    def predict(self, texts: Sequence[str]) -> Sequence[Any]: ...


MAX_THROUGHPUT_DOCS = 1000  # enough for a stable median; more only makes the run longer
WARMUP_DOCS = 16  # first calls pay for lazy initialisation and allocator growth


def compare_on_splits(
    teacher: Any, student: Any, splits: Sequence[LoadedData[Any]], task: Task, n_bootstrap: int
) -> list[dict[str, Any]]:
    """Records of both models on each gold split (paired bootstrap CIs), tagged with ``role``; the student's
    records also carry ``agreement``: how far its answers agree with the teacher's (strict span P/R/F1, or micro
    P/R/F1 and the exact-match rate of label sets)."""
    from specialize.evaluation.evaluate import evaluate

    records: list[dict[str, Any]] = []
    for data in splits:
        result = evaluate([teacher, student], data.items, task=task, n_bootstrap=n_bootstrap)
        teacher_record, student_record = result.typed_records(dataset=data.source, split=data.role)
        teacher_record.role, student_record.role = "teacher", "student"
        student_record.agreement = task.agreement(result.models[0].predictions, result.models[1].predictions)
        records += [teacher_record.to_dict(), student_record.to_dict()]
        logger.info(
            "%s: teacher F1 %.4f, student F1 %.4f, agreement F1 %.4f",
            data.role,
            teacher_record.f1,
            student_record.f1,
            student_record.agreement["f1"],
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
    """Markdown tables: per-type (per-label) and micro/macro F1 of teacher and student per split (accuracy too for
    classifiers), the student's agreement with the teacher, then speed."""
    lines: list[str] = []
    pairs = [(records[i], records[i + 1]) for i in range(0, len(records) - 1, 2)]
    classification = bool(records) and records[0].get("task") == "classification"
    key = "per_label" if classification else "per_type"
    if pairs:
        what = "F1" if classification else "Strict span F1"
        unit = "texts" if classification else "documents"
        lines += [
            f"{what} with 95% bootstrap confidence intervals over {unit} (paired resamples); agreement is the "
            "student's F1 against the teacher's answers"
            + (" (and the exact-match rate of label sets)." if classification else "."),
            "",
            f"| split | {'label' if classification else 'type'} | support | teacher F1 | student F1 |",
            "|---|---|---|---|---|",
        ]
    for teacher, student in pairs:
        split = f"{student.get('split')} ({student.get('dataset')})"
        lines += _per_kind_rows(split, teacher, student, key)
        lines.append(f"| {split} | **micro** | | {f1_cell(teacher)} | {f1_cell(student)} |")
        lines.append(
            f"| {split} | macro | | {f1_cell(teacher, 'macro_f1', 'macro_f1_ci')} "
            f"| {f1_cell(student, 'macro_f1', 'macro_f1_ci')} |"
        )
        if classification:
            lines.append(
                f"| {split} | accuracy | | {f1_cell(teacher, 'accuracy', 'accuracy_ci')} "
                f"| {f1_cell(student, 'accuracy', 'accuracy_ci')} |"
            )
        agreement = student["agreement"]
        exact = f" (exact match {agreement['exact_match']:.3f})" if "exact_match" in agreement else ""
        lines.append(f"| {split} | agreement with teacher | | | {agreement['f1']:.3f}{exact} |")
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
