"""``specialize distill``: train a small student on what a teacher predicts, and compare the two."""

from __future__ import annotations

import argparse
import json
from typing import Any

from specialize.cli.common import add_overwrite_option, score_with_ci
from specialize.errors import ConfigError

HELP = (
    "distil a teacher (a specialist or text classifier folder, spacy:NAME, a gazetteer...) into a smaller, "
    "faster student"
)


def add_parser(subparsers: Any) -> None:
    from specialize.cli.train import add_training_options

    p = subparsers.add_parser(
        "distill",
        help=HELP,
        description=HELP + ". Soft labels (default) train on the teacher's per-word label distributions and "
        "need a specialist teacher; --hard trains on the teacher's spans and works with any teacher. Without "
        "--base the student is the teacher with layers dropped. A text classifier teacher (a folder written by "
        "'specialize train --task classification') trains a student classifier on its label probabilities; "
        "--train, --dev and --test are then labelled texts. Writes the student folder with its model card, "
        "evaluation.json and a teacher-vs-student report (distillation.json / distillation.md).",
    )
    p.add_argument(
        "--teacher",
        required=True,
        help="a folder written by 'specialize train' (or hf:PATH; a span specialist or a text classifier), "
        "spacy:NAME, gazetteer:FILE, regex:FILE, vote:SPEC+SPEC",
    )
    p.add_argument(
        "--task",
        choices=["ner", "classification"],
        help="what the teacher does (default: detected from the teacher; classification for a classifier folder)",
    )
    p.add_argument(
        "--label-map",
        help="rename a span teacher's labels, e.g. PERSON=PER,GPE=LOC or a preset: conll (not for classifiers)",
    )
    p.add_argument(
        "--unlabeled",
        help="unlabeled texts: .txt (one per line), .jsonl/.json, .csv or a folder (classification: also a "
        "dataset name such as mtsamples-specialty:train, its labels ignored)",
    )
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument(
        "--train",
        action="append",
        help="gold training data (path or dataset name), learned next to the teacher; repeatable",
    )
    p.add_argument("--dev", help="dev data: picks the best checkpoint; both models are scored on it")
    p.add_argument("--test", help="test data: both models are scored on it and timed on its texts")
    p.add_argument("--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    p.add_argument(
        "--base",
        help="start the student from this encoder (a folder, or a known base: minilm, mpnet) instead of the teacher",
    )
    p.add_argument("--layers", help="student layers, e.g. 0,2,4 (default: every other layer of the teacher)")
    p.add_argument("--temperature", type=float, help="softmax temperature of the soft labels (default 2)")
    p.add_argument("--alpha", type=float, help="weight of the teacher term against gold cross-entropy (default 0.5)")
    p.add_argument("--hard", action="store_true", help="train on the teacher's spans instead of its distributions")
    add_training_options(p, threads_help="CPU threads for torch, also for the speed comparison")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (0 = none)")
    p.add_argument("--repeats", type=int, default=3, help="timed passes per model for the speed comparison")
    p.add_argument("--output", "-o", required=True, help="folder to write the student to")
    add_overwrite_option(p, "distill")


def run(args: argparse.Namespace) -> int:
    from specialize.cli.train import overrides_from_args
    from specialize.config import load_config
    from specialize.tasks.registry import task_of
    from specialize.training.distill import DistillationArgs, distill

    detected = task_of(args.teacher)
    if args.task is not None and args.task != detected.name:
        raise ConfigError(
            f"--task {args.task} but teacher {args.teacher} is a {detected.what} (its task: {detected.name}); drop "
            "--task: it is detected from the teacher"
        )
    overrides = overrides_from_args(args)
    overrides["model.task"] = detected.name
    config = load_config(args.config, overrides)
    defaults = DistillationArgs()
    distillation = DistillationArgs(
        temperature=defaults.temperature if args.temperature is None else args.temperature,
        alpha=defaults.alpha if args.alpha is None else args.alpha,
        soft=not args.hard,
    )
    result = distill(
        args.teacher,
        config,
        args.output,
        unlabeled=args.unlabeled,
        text_field=args.text_field,
        args=distillation,
        label_map=args.label_map,
        n_bootstrap=args.bootstrap,
        throughput_repeats=args.repeats,
        overwrite=args.overwrite,
    )
    print(f"saved {result.output}")
    for warning in result.history.warnings:
        print(f"WARNING: {warning}")
    for record in result.records:
        agreement = f", agreement with the teacher F1 {record['agreement']['f1']:.4f}" if "agreement" in record else ""
        print(
            f"{record['split']} ({record['dataset']}) {record['role']} {record['model']}: F1 "
            f"{score_with_ci(record['f1'], record['f1_ci'])}, macro F1 {record['macro_f1']:.4f}{agreement}"
        )
    if result.throughput:
        teacher, student = result.throughput["models"]
        print(
            f"speed on {result.throughput['n_docs']} texts, {result.throughput['threads']} threads: teacher "
            f"{teacher['docs_per_s']:.1f} docs/s, student {student['docs_per_s']:.1f} docs/s "
            f"({student['docs_per_s'] / max(teacher['docs_per_s'], 1e-9):.2f}x)"
        )
    print(json.dumps({"train_seconds": round(result.history.train_seconds, 1), "best_dev_f1": result.history.best_f1}))
    return 0
