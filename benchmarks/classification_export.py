"""Text classifiers exported to ONNX: torch vs ONNX fp32 vs ONNX int8 on the test split, at one thread.

    python benchmarks/classification_export.py                              # both tasks
    python benchmarks/classification_export.py --tasks cuad-clauses         # one; the other's records are kept

For each task the trained MiniLM-L6 classifier folder (``runs/domains/TASK``, written by
benchmarks/domains_classification.py; ``--models`` for another parent folder) is exported with
``specialize.export.export`` twice, fp32 and int8 (per-channel dynamic quantization), each checked against the
torch model on the dev split with the default limits (micro F1 drop <= 0.5 points, every label's recall drop
<= 1 point). An int8 export that fails the check is recorded with its failures and exported again without
limits, so its test scores can still be shown. Then torch, fp32 and int8 are scored on the same test texts with
``evaluate_classification`` (accuracy, micro/macro F1, 95% bootstrap CIs over texts, paired), each predicting
at ``--threads`` (torch intra-op threads; onnxruntime intra-op threads), one after the other in this process.
Speed is texts per second of wall time and per second of this process's CPU time (the latter is less moved by
other work on a shared machine). Records replace this script's tasks in
benchmarks/results/classification_export.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "classification_export.json"
MODELS = ROOT / "runs" / "domains"
EXPORTS = ROOT / "runs" / "h1"
TASKS = ("mtsamples-specialty", "cuad-clauses")


class Timed:
    """A classifier whose ``predict`` also counts this process's CPU seconds (wall time is measured by the
    evaluation itself)."""

    def __init__(self, inner: Any, name: str) -> None:
        self.inner = inner
        self.name = name
        self.cpu_seconds = 0.0

    @property
    def labels(self) -> list[str]:
        return list(self.inner.labels)

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        start = time.process_time()
        out: list[list[str]] = self.inner.predict(texts)
        self.cpu_seconds += time.process_time() - start
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_summary(check: Any) -> dict[str, Any] | None:
    if check is None:
        return None
    failed = [t for t, c in check.per_type.items() if not c.passed]
    return {
        "n_texts": check.n_docs,
        "source_micro_f1": round(check.source_f1, 6),
        "exported_micro_f1": round(check.exported_f1, 6),
        "f1_drop_points": check.f1_drop,
        "label_agreement": round(check.span_agreement, 6),
        "passed": check.passed,
        "failures": check.failures,
        "labels_failed": failed,
    }


def export_checked(source: Path, target: Path, dev: str, int8: bool) -> dict[str, Any]:
    """Export with the default check on dev; an int8 export failing it is redone without limits (recorded)."""
    from specialize.export import ExportCheckFailed, export, format_check_report

    info: dict[str, Any] = {"int8": int8, "check_data": dev, "limits": "default (0.5 F1 points, 1.0 recall points)"}
    start = time.perf_counter()
    try:
        result = export(source, target, int8=int8, check=dev, overwrite=True)
        info["check_at_default_limits"] = _check_summary(result.check)
    except ExportCheckFailed as exc:
        if not int8 or exc.report is None:
            raise
        print(format_check_report(exc.report))
        info["check_at_default_limits"] = _check_summary(exc.report)
        info["limits"] = "none (the export failed the default check; exported again to score it on test)"
        result = export(source, target, int8=int8, check=dev, overwrite=True, max_f1_drop=100, max_recall_drop=100)
    info["export_seconds"] = round(time.perf_counter() - start, 1)
    info["model_onnx_mb"] = round((target / "model.onnx").stat().st_size / 1e6, 1)
    info["numerics_vs_torch"] = {k: result.numerics[k] for k in ("windows", "max_abs_diff", "argmax_agreement")}
    return info


def run_task(task: str, models: Path, threads: int, n_bootstrap: int) -> list[dict[str, Any]]:
    import torch

    from specialize.data.classification_datasets import load_labelled_dataset
    from specialize.evaluation.evaluate import evaluate, machine_info
    from specialize.models.text_classifier import TextClassifier
    from specialize.runtime import OnnxClassifier

    source = models / task
    if not (source / "config.json").is_file():
        raise SystemExit(f"{source} is missing: train it with benchmarks/domains_classification.py --tasks {task}")
    exports = {"fp32": EXPORTS / f"{task}-onnx", "int8": EXPORTS / f"{task}-onnx-int8"}
    export_info = {kind: export_checked(source, path, f"{task}:dev", kind == "int8") for kind, path in exports.items()}

    torch.set_num_threads(threads)
    test = load_labelled_dataset(f"{task}:test")
    torch_model = TextClassifier.load(source)
    runs = [
        Timed(torch_model, "torch"),
        Timed(OnnxClassifier.load(exports["fp32"], threads=threads), "ONNX fp32"),
        Timed(OnnxClassifier.load(exports["int8"], threads=threads), "ONNX int8"),
    ]
    n_windows = len(torch_model.preprocess([t.text for t in test]))
    evaluation = evaluate(runs, test, task="classification", n_bootstrap=n_bootstrap)
    command = shlex.join(["python", *sys.argv])
    machine = {**machine_info(), "threads": threads}
    records = evaluation.to_records(dataset=task, split="test", command=command, machine=machine)
    settings = torch_model.settings
    out = []
    for record, run, model in zip(records, runs, evaluation.models, strict=True):
        kind = {"torch": "torch", "ONNX fp32": "fp32", "ONNX int8": "int8"}[run.name]
        folder = source if kind == "torch" else exports[kind]
        record.update(
            benchmark_task=task,  # the record's own "task" (classification) is what the report reads it by
            model=f"MiniLM-L6 classifier ({models.name}/{task}), {run.name}",
            runtime=kind,
            folder=str(folder.relative_to(ROOT)) if folder.is_relative_to(ROOT) else str(folder),
            threads=threads,
            n_windows=n_windows,
            texts_per_s=round(len(test) / model.predict_seconds, 3),
            texts_per_cpu_s=round(len(test) / run.cpu_seconds, 3) if run.cpu_seconds else None,
            windows_per_s=round(n_windows / model.predict_seconds, 2),
            classifier={
                "max_length": settings.max_length,
                "stride": settings.stride,
                "pooling": settings.pooling,
                "threshold": settings.threshold,
                "multi_label": settings.multi_label,
            },
        )
        if kind == "torch":
            record["source_sha256"] = _sha256(source / "model.safetensors")
            record["size_mb"] = round((source / "model.safetensors").stat().st_size / 1e6, 1)
        else:
            record["export"] = export_info[kind]
            record["size_mb"] = export_info[kind]["model_onnx_mb"]
        out.append(record)
    torch_f1 = out[0]["micro_f1"]
    for record in out[1:]:
        record["micro_f1_drop_points_vs_torch"] = round(100 * (torch_f1 - record["micro_f1"]), 3)
        record["speedup_vs_torch"] = round(record["texts_per_s"] / out[0]["texts_per_s"], 3)
    return out


def merge(records: list[dict[str, Any]], tasks: list[str], path: Path = RESULTS) -> None:
    """Records of tasks not run now are kept; this run's tasks are replaced (records written before
    ``benchmark_task`` name it under ``task``)."""
    existing = json.loads(path.read_text()) if path.exists() else []
    kept = [r for r in existing if r.get("benchmark_task", r.get("task")) not in tasks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept + records, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated: {', '.join(TASKS)}")
    parser.add_argument("--models", type=Path, default=MODELS, help="folder holding one trained classifier per task")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    for task in tasks:
        records = run_task(task, args.models.resolve(), args.threads, args.bootstrap)
        merge(records, [task])  # after each task, so a finished task lands even if a later one fails
        for r in records:
            print(
                f"{task} {r['runtime']}: micro F1 {r['micro_f1']:.3f} {r['micro_f1_ci']} macro F1 {r['macro_f1']:.3f} "
                f"accuracy {r['accuracy']:.3f}; {r['texts_per_s']:.1f} texts/s ({r['texts_per_cpu_s']} per CPU s) "
                f"at {r['threads']} thread(s); {r['size_mb']} MB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
