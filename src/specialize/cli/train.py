"""``specialize train``: fine-tune a small specialist on annotated documents."""

from __future__ import annotations

import argparse
import json
from typing import Any

from specialize.cli.common import add_overwrite_option, score_with_ci
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE, TaskName

HELP = "train a small named-entity specialist on annotated text"


def add_parser(subparsers: Any) -> None:
    from specialize.config import TrainConfig

    p = subparsers.add_parser(
        "train",
        help=HELP,
        description=HELP + ". Data are file paths (CoNLL/IOB, JSONL, brat, PubTator; files or folders) or "
        "dataset names such as ncbi-disease:train. Options override the --config file; the resolved config is "
        f"saved in the model folder as {CONFIG_FILE}.",
    )
    flags = ConfigFlags(p, TrainConfig, example="model.max_length=128")
    flags.add(
        p,
        "data.train",
        "--train",
        action="append",
        help="training data (path or dataset name); repeat to train on several sources together",
    )
    flags.add(p, "data.dev", "--dev", help="dev data: picks the best checkpoint and drives early stopping")
    flags.add(p, "data.test", "--test", help="test data, scored once after training; the scores go into the model card")
    flags.add(p, "data.format", "--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    flags.add(
        p,
        "model.base",
        "--base",
        help="encoder to start from: a folder, or a known base by name (minilm, the default; mpnet: see "
        "'specialize bases')",
    )
    flags.add(p, "model.layers", "--layers", help="keep only these encoder layers, e.g. 0,2,4")
    flags.add(
        p,
        "model.task",
        "--task",
        choices=[t.value for t in TaskName],
        help="ner: spans; classification: labels of whole texts, from JSONL {text, label|labels}, CSV (text,label) "
        "or a dataset such as mtsamples-specialty:train",
    )
    add_training_options(flags, p, threads_help="CPU threads for torch (default: all cores)")
    p.add_argument("--output", "-o", required=True, help="folder to write the trained model to")
    add_overwrite_option(p, "train")
    add_resume_option(p)


def add_resume_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on from the checkpoint an interrupted run of the same command left beside --output (saved every "
        "--checkpoint-minutes); the same config and data are required",
    )


def add_training_options(flags: ConfigFlags, p: argparse.ArgumentParser, *, threads_help: str) -> None:
    """The [training] flags, --intermediate-size, --corrections, --limit/--sample and --no-progress that train
    and distill share."""
    flags.add(
        p,
        "model.intermediate_size",
        "--intermediate-size",
        help="prune every feed-forward block to this many neurons, the most important kept (e.g. 768 of 1536)",
    )
    flags.add(p, "training.epochs", "--epochs", help="training epochs")
    flags.add(p, "training.batch_size", "--batch-size", help="windows per training step")
    flags.add(p, "training.learning_rate", "--learning-rate", help="encoder learning rate")
    flags.add_run_options(p, "training", threads=threads_help, seed="random seed, also of --sample")
    flags.add(p, "training.patience", "--patience", help="stop after this many epochs without dev improvement")
    flags.add(
        p,
        "training.checkpoint_minutes",
        "--checkpoint-minutes",
        metavar="M",
        help="save the run's state every M minutes beside --output, so --resume can go on after a crash",
    )
    flags.add(
        p,
        "data.corrections",
        "--corrections",
        action="append",
        help="corrected documents (specialize corrections import): they replace their silver versions; repeatable",
    )
    what = "the training data (dev and test stay whole)"
    flags.add(p, "data.limit", "--limit", metavar="N", help=f"use only the first N documents of {what}")
    flags.add(p, "data.sample", "--sample", metavar="N", help=f"use N documents of {what} drawn at random (--seed)")


def run(args: argparse.Namespace) -> int:
    from specialize.training.train import train

    config = resolve_config(args)
    if print_config(args, config):
        return 0
    result = train(config, args.output, overwrite=args.overwrite, resume=args.resume)
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
