"""``specialize train-static``: a static-embedding student (distilled token vectors + a small CNN) from a teacher."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import add_overwrite_option
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "train a static-embedding student (fastest on CPU) from a teacher specialist or encoder"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import TrainStaticConfig

    p = subparsers.add_parser(
        "train-static",
        help=HELP,
        description=HELP + ". Every vocabulary token is run through the teacher's encoder once; the outputs, "
        "PCA-reduced, become the student's embedding table, under a few dilated conv layers and a tagging head "
        "over the teacher's labels. --soft adds the teacher's per-word label distributions on the training "
        "texts (KL at a temperature) to gold cross-entropy. Export the result with 'specialize export' to run "
        f"it with onnxruntime alone. Options override the --config file; the resolved config is saved in the "
        f"student folder as {CONFIG_FILE}.",
    )
    flags = ConfigFlags(p, TrainStaticConfig, example="static.include_input=true")
    flags.add(
        p,
        "distillation.teacher",
        "--teacher",
        help="a folder written by 'specialize train', or any encoder folder (required, here or in the config)",
    )
    flags.add(
        p,
        "data.train",
        "--train",
        help="gold training data (path or dataset name, e.g. conll2003:train; required, here or in the config)",
    )
    flags.add(p, "data.dev", "--dev", help="dev data: picks the best epoch")
    flags.add(p, "data.test", "--test", help="test data, scored once after training; the scores go into the model card")
    flags.add(p, "data.format", "--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    flags.add(
        p, "distillation.soft", "--soft", const=True, help="also learn the teacher's soft labels (needs a specialist)"
    )
    flags.add_unlabeled_texts(p, "unlabeled in-domain texts the teacher's soft labels are learned on (needs --soft)")
    flags.add(p, "distillation.temperature", "--temperature", help="softmax temperature of the soft labels")
    flags.add(p, "distillation.alpha", "--alpha", help="weight of the soft-label term against gold CE")
    flags.add(p, "static.dim", "--dim", help="embedding size after PCA = conv width")
    flags.add(p, "static.dilations", "--dilations", help="one conv layer per dilation, e.g. 1,2,4")
    flags.add(p, "static.kernel_size", "--kernel-size", help="conv kernel size, odd")
    flags.add(p, "static.dropout", "--dropout", help="dropout")
    flags.add(
        p, "static.freeze_embeddings", "--freeze-embeddings", const=True, help="keep the distilled token table fixed"
    )
    flags.add(p, "training.epochs", "--epochs", help="training epochs")
    flags.add(p, "training.batch_size", "--batch-size", help="windows per step")
    flags.add(
        p,
        "training.learning_rate",
        "--learning-rate",
        also=("training.head_learning_rate",),  # a network trained from scratch: one learning rate for all of it
        help="learning rate, of the head too (config: training.learning_rate and training.head_learning_rate)",
    )
    flags.add_run_options(p, "training", device=False)
    flags.add(p, "evaluation.bootstrap", "--bootstrap", help="bootstrap samples for the intervals (0 = none)")
    p.add_argument("--output", "-o", required=True, help="folder to write the student to")
    add_overwrite_option(p, "train-static")


def run(args: argparse.Namespace) -> int:
    from specialize.cli.train import print_result
    from specialize.training.train_static import train_static

    config = resolve_config(args)
    if print_config(args, config):
        return 0
    result = train_static(
        config.distillation.teacher,
        args.output,
        train=config.data.train,
        dev=config.data.dev,
        test=config.data.test,
        soft=config.distillation.soft,
        unlabeled=config.distillation.unlabeled,
        text_field=config.distillation.text_field,
        teacher_targets=config.distillation.teacher_targets,
        static=config.static,
        training=config.training,
        distillation=config.distillation.args(),
        data_format=config.data.format,
        n_bootstrap=config.evaluation.bootstrap,
        overwrite=args.overwrite,
        saved_config=config,
    )
    print_result(result)
    return 0
