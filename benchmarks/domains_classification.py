"""Text classification benchmarks (domain specialists): MTSamples specialty and CUAD clause types.

    python benchmarks/domains_classification.py                              # both tasks
    python benchmarks/domains_classification.py --tasks cuad-clauses         # one; the other's records are kept
    python benchmarks/domains_classification.py --reuse                      # re-score the saved classifiers

For each task, on the same deterministic test split (see specialize/data/classification_datasets.py):
- the MiniLM-L6 text classifier (``specialize train --task classification``), sized for a 1-thread CPU budget
  (see TASKS: max_length, windows used per training text, epochs, training subsample), and
- a TF-IDF (word 1-2-grams) + logistic regression baseline fitted on the same training texts,
scored with accuracy (exact label-set match), micro and macro F1 and per-label F1, with 95% bootstrap CIs over
test texts (1,000 resamples, paired). Records replace only this script's tasks in benchmarks/results/domains.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "domains.json"
RUNS = ROOT / "runs" / "domains"

# Sized for the shared 2-core machine (2 torch threads). Both tasks are multi-label: the threshold is chosen on dev
# micro F1 at every dev evaluation (once per epoch, which also picks the checkpoint), on a fixed random subsample of
# the dev texts (dev_limit) to bound the cost of those evaluations.
# MTSamples: 3 epochs on every 128-subword window of each note (14,191 windows of 1,875 notes; each window carries
# its note's labels, and prediction mean-pools the windows of a note), dev on 120 of its 245 notes. CUAD: 3 epochs,
# 128 subwords, on all ~16,700 training passages, dev on 800 of 2,555 passages. Default learning rates (encoder
# and its [CLS] pooler 1e-4, head 1e-3); the head starts from a linear probe of the frozen encoder
# (model.head_init = "probe", the default). The baseline is fitted on the same training texts (whole texts). Each
# record keeps these settings under "training", with n_train/n_train_available and n_dev_used.
TASKS: dict[str, dict[str, Any]] = {
    "mtsamples-specialty": {
        "dataset": "mtsamples-specialty",
        "overrides": {
            "model.max_length": 128,
            "model.stride": 32,
            "training.epochs": 3,
        },
        "train_limit": None,
        "dev_limit": 120,
    },
    "cuad-clauses": {
        "dataset": "cuad-clauses",
        "overrides": {"model.max_length": 128, "model.stride": 32, "training.epochs": 3},
        "train_limit": None,
        "dev_limit": 800,
    },
}


def _subsample(texts: list[Any], limit: int | None, seed: int) -> list[Any]:
    if limit is None or len(texts) <= limit:
        return texts
    picked = sorted(random.Random(seed).sample(range(len(texts)), limit))
    return [texts[i] for i in picked]


def run_task(task: str, threads: int, n_bootstrap: int, runs: Path = RUNS, reuse: bool = False) -> list[dict[str, Any]]:
    from specialize.config import load_config
    from specialize.data.classification_datasets import load_labelled_dataset
    from specialize.evaluation.evaluate import evaluate, machine_info
    from specialize.models.text_classifier import TextClassifier
    from specialize.models.tfidf_baseline import TfidfBaseline
    from specialize.training.train import train

    spec = TASKS[task]
    dataset = spec["dataset"]
    train_all = load_labelled_dataset(f"{dataset}:train")
    dev = load_labelled_dataset(f"{dataset}:dev")
    test = load_labelled_dataset(f"{dataset}:test")
    train_texts = _subsample(train_all, spec["train_limit"], seed=0)
    dev_used = _subsample(dev, spec["dev_limit"], seed=0)
    logging.info(
        "%s: %d train (of %d), %d dev, %d test texts", task, len(train_texts), len(train_all), len(dev), len(test)
    )

    baseline = TfidfBaseline().fit(train_texts)
    overrides = {
        "model.task": "classification",
        "training.threads": threads,
        **spec["overrides"],
    }
    config = load_config(overrides=overrides)
    start = time.perf_counter()
    wall: float | None = None
    if reuse:  # a classifier this script trained before (its training.json says how); only re-scored here
        import torch

        specialist = TextClassifier.load(runs / task)
        torch.set_num_threads(threads)
    else:
        # The dev texts choose the checkpoint and the multi-label threshold (model.threshold unset = auto).
        result = train(config, runs / task, train_documents=train_texts, dev_documents=dev_used, n_bootstrap=0)
        specialist, wall = result.specialist, time.perf_counter() - start
    evaluation = evaluate([specialist, baseline], test, task="classification", n_bootstrap=n_bootstrap)
    command = shlex.join(["python", *sys.argv])
    machine = {**machine_info(), "torch_threads": threads}
    records = evaluation.to_records(dataset=dataset, split="test", command=command, machine=machine)
    training = json.loads((runs / task / "training.json").read_text())
    sizes = {
        "n_train": len(train_texts),
        "n_train_available": len(train_all),
        "n_dev": len(dev),
        "n_dev_used": len(dev_used),
        "n_test": len(test),
    }
    out = []
    for record, model in zip(records, (specialist, baseline), strict=True):
        is_specialist = model is specialist
        record = {
            # The benchmark's task under a key of its own: the record's "task" is the model's (classification),
            # which the report reads to tell a classifier's record from a span model's.
            "benchmark_task": task,
            **record,
            "model": f"MiniLM-L6 classifier ({runs.name}/{task})" if is_specialist else "TF-IDF + logistic regression",
            **sizes,
            "train_seconds": round(training["train_seconds"] if is_specialist else baseline.fit_seconds, 1),
        }
        if is_specialist:
            record["train_wall_seconds"] = None if wall is None else round(wall, 1)
            record["training_command"] = training["command"]
            record["training"] = {
                "overrides": overrides,
                "windows": training["windows"],
                "linear_probe": training.get("linear_probe"),
                "threshold": specialist.settings.threshold,
                "threshold_source": specialist.settings.threshold_source,
                "best_dev_micro_f1": training["best_dev_f1"],
                "best_step": training["best_step"],
                "steps": training["steps"],
            }
        else:
            record["training"] = {"features": "word 1-2-grams, sublinear tf, min_df 2", "C": baseline.c}
        out.append(record)
    return out


def merge(records: list[dict[str, Any]], tasks: list[str], path: Path = RESULTS) -> list[dict[str, Any]]:
    """Records of other tasks (other scripts) kept as they are; this run's tasks replaced (records written before
    ``benchmark_task`` name it under ``task``)."""
    existing = json.loads(path.read_text()) if path.exists() else []
    kept = [r for r in existing if r.get("benchmark_task", r.get("task")) not in tasks]
    merged = kept + records
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated: {', '.join(TASKS)}")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the trained classifiers are saved")
    parser.add_argument(
        "--reuse", action="store_true", help="score the classifiers already in --runs (trained by this script)"
    )
    parser.add_argument("--no-save", action="store_true", help="print the records, leave the results file alone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    for task in tasks:
        records = run_task(task, args.threads, args.bootstrap, args.runs, args.reuse)
        if not args.no_save:
            merge(records, [task])  # after each task, so a finished task lands even if a later one fails
        for r in records:
            print(
                f"{task} {r['model']}: accuracy {r['accuracy']:.3f} micro F1 {r['micro_f1']:.3f} {r['micro_f1_ci']} "
                f"macro F1 {r['macro_f1']:.3f} {r['macro_f1_ci']} (train {r['train_seconds']} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
