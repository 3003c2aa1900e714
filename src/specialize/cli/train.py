"""``specialize train``: fine-tune a small specialist on annotated documents."""

from __future__ import annotations

import argparse
import json
from typing import Any

from specialize.cli.common import add_overwrite_option, add_selection_options, score_with_ci
from specialize.errors import ConfigError

HELP = "train a small named-entity specialist on annotated text"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help=HELP,
        description=HELP + ". Data are file paths (CoNLL/IOB, JSONL, brat, PubTator; files or folders) or "
        "dataset names such as ncbi-disease:train. Options override the --config file.",
    )
    p.add_argument(
        "--train",
        action="append",
        help="training data (path or dataset name); repeat to train on several sources together",
    )
    p.add_argument("--dev", help="dev data: picks the best checkpoint and drives early stopping")
    p.add_argument("--test", help="test data, scored once after training; the scores go into the model card")
    p.add_argument("--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    p.add_argument(
        "--base",
        help="encoder to start from: a folder, or a known base by name (minilm, the default; mpnet: see "
        "'specialize bases')",
    )
    p.add_argument("--layers", help="keep only these encoder layers, e.g. 0,2,4")
    p.add_argument(
        "--task",
        choices=["ner", "classification"],
        help="ner (default): spans; classification: labels of whole texts, from JSONL {text, label|labels}, "
        "CSV (text,label) or a dataset such as mtsamples-specialty:train",
    )
    add_training_options(p, threads_help="CPU threads for torch (default: all cores)")
    p.add_argument("--output", "-o", required=True, help="folder to write the trained model to")
    add_overwrite_option(p, "train")


def add_training_options(p: argparse.ArgumentParser, *, threads_help: str) -> None:
    """The [training] flags, --intermediate-size, --config, --set and --no-progress that train and distill share."""
    p.add_argument(
        "--intermediate-size",
        type=int,
        help="prune every feed-forward block to this many neurons, the most important kept (e.g. 768 of 1536)",
    )
    p.add_argument("--epochs", type=int, help="training epochs (default 3)")
    p.add_argument("--batch-size", type=int, help="windows per training step (default 16)")
    p.add_argument("--learning-rate", type=float, help="encoder learning rate (default 1e-4)")
    p.add_argument("--threads", type=int, help=threads_help)
    p.add_argument(
        "--device",
        help="auto (default: a CUDA GPU when torch sees one, with bf16/fp16 autocast), cpu, cuda or cuda:N",
    )
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--patience", type=int, help="stop after this many epochs without dev improvement")
    p.add_argument(
        "--corrections",
        action="append",
        help="corrected documents (specialize corrections import): they replace their silver versions; repeatable",
    )
    p.add_argument("--config", help="TOML file with [data], [model] and [training] tables")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override any config value, e.g. --set model.max_length=128 (repeatable)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_selection_options(p, "the training data (dev and test stay whole; --seed also seeds --sample)", seed=False)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        # One --train is a plain source; several are concatenated (config: train = ["a", "b"]).
        "data.train": args.train[0] if args.train and len(args.train) == 1 else args.train,
        "data.dev": args.dev,
        "data.test": args.test,
        "data.format": args.format,
        "model.base": args.base,
        "model.layers": args.layers,
        "model.intermediate_size": args.intermediate_size,
        "training.epochs": args.epochs,
        "training.batch_size": args.batch_size,
        "training.learning_rate": args.learning_rate,
        "training.threads": args.threads,
        "training.device": args.device,
        "training.seed": args.seed,
        "training.patience": args.patience,
        "data.limit": args.limit,
        "data.sample": args.sample,
        "data.corrections": args.corrections,
    }
    if args.no_progress:
        overrides["training.progress"] = False
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. training.epochs=5")
        overrides[key.strip()] = value.strip()
    return overrides


def run(args: argparse.Namespace) -> int:
    from specialize.config import load_config
    from specialize.training.train import train

    overrides = overrides_from_args(args)
    if args.task:
        overrides["model.task"] = args.task
    config = load_config(args.config, overrides)
    result = train(config, args.output, overwrite=args.overwrite)
    print_result(result)
    return 0


def print_result(result: Any) -> None:
    """Where the model went, its held-out scores and training time (train and train-static print alike)."""
    print(f"saved {result.output}")
    for note in getattr(result, "notes", []):
        print(f"note: {note}")
    for warning in result.history.warnings:
        print(f"WARNING: {warning}")
    for record in result.evaluation:
        print(
            f"{record['split']} ({record['dataset']}): F1 {score_with_ci(record['f1'], record['f1_ci'])} "
            f"P {record['precision']:.4f} R {record['recall']:.4f}"
        )
    print(json.dumps({"train_seconds": round(result.history.train_seconds, 1), "best_dev_f1": result.history.best_f1}))
