"""``specialize train-static``: a static-embedding student (distilled token vectors + a small CNN) from a teacher."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import add_overwrite_option

HELP = "train a static-embedding student (fastest on CPU) from a teacher specialist or encoder"


def _ints(value: str) -> list[int]:
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {value!r}") from exc


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train-static",
        help=HELP,
        description=HELP + ". Every vocabulary token is run through the teacher's encoder once; the outputs, "
        "PCA-reduced, become the student's embedding table, under a few dilated conv layers and a tagging head "
        "over the teacher's labels. --soft adds the teacher's per-word label distributions on the training "
        "texts (KL at a temperature) to gold cross-entropy. Export the result with 'specialize export' to run "
        "it with onnxruntime alone.",
    )
    p.add_argument("--teacher", required=True, help="a folder written by 'specialize train', or any encoder folder")
    p.add_argument("--train", required=True, help="gold training data (path or dataset name, e.g. conll2003:train)")
    p.add_argument("--dev", help="dev data: picks the best epoch")
    p.add_argument("--test", help="test data, scored once after training; the scores go into the model card")
    p.add_argument("--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    p.add_argument("--soft", action="store_true", help="also learn the teacher's soft labels (needs a specialist)")
    p.add_argument("--temperature", type=float, default=2.0, help="softmax temperature of the soft labels")
    p.add_argument("--alpha", type=float, default=0.5, help="weight of the soft-label term against gold CE")
    p.add_argument("--dim", type=int, default=128, help="embedding size after PCA = conv width (default 128)")
    p.add_argument("--dilations", type=_ints, default=[1, 2, 4], help="one conv layer per dilation (default 1,2,4)")
    p.add_argument("--kernel-size", type=int, default=3, help="conv kernel size, odd (default 3)")
    p.add_argument("--dropout", type=float, default=0.1, help="dropout (default 0.1)")
    p.add_argument("--freeze-embeddings", action="store_true", help="keep the distilled token table fixed")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="windows per step (default 32)")
    p.add_argument("--learning-rate", type=float, default=2e-3, help="learning rate (default 2e-3)")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (0 = none)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--output", "-o", required=True, help="folder to write the student to")
    add_overwrite_option(p, "train-static")


def run(args: argparse.Namespace) -> int:
    from specialize.cli.train import print_result
    from specialize.training.distill import DistillationArgs
    from specialize.training.train_static import StaticArgs, static_training_args, train_static

    result = train_static(
        args.teacher,
        args.output,
        train=args.train,
        dev=args.dev,
        test=args.test,
        soft=args.soft,
        static=StaticArgs(
            dim=args.dim,
            kernel_size=args.kernel_size,
            dilations=args.dilations,
            dropout=args.dropout,
            freeze_embeddings=args.freeze_embeddings,
        ),
        training=static_training_args(
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            head_learning_rate=args.learning_rate,
            threads=args.threads,
            seed=args.seed,
            progress=not args.no_progress,
        ),
        distillation=DistillationArgs(temperature=args.temperature, alpha=args.alpha),
        data_format=args.format,
        n_bootstrap=args.bootstrap,
        overwrite=args.overwrite,
    )
    print_result(result)
    return 0
