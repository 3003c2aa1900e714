"""``specialize adapt``: go on with masked-LM pretraining of a base encoder on unlabeled in-domain text."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import add_overwrite_option
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "adapt a base encoder to a domain: more masked-LM training on unlabeled in-domain text, before train --base"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import AdaptConfig

    p = subparsers.add_parser(
        "adapt",
        help=HELP,
        description=HELP + ". The texts are joined and cut into blocks; whole words are masked afresh each epoch; "
        "the masked-LM loss on held-out blocks is measured before and after and written to the folder's card and "
        "adapt.json. The output is a plain transformers masked-LM folder: 'specialize train --base OUT' trains a "
        f"specialist on it. Options override the --config file; the resolved config is saved as {CONFIG_FILE}.",
    )
    flags = ConfigFlags(p, AdaptConfig, example="adapt.mlm_probability=0.2")
    flags.add(p, "adapt.base", "--base", help="the encoder to adapt: a known base (minilm, mpnet) or a folder")
    flags.add(
        p,
        "adapt.texts",
        "--text",
        action="append",
        help="unlabeled in-domain texts: .txt (one per line), .jsonl/.json, .csv, a folder or a dataset name such "
        "as bc2gm:train (its labels ignored); repeatable (required, here or in the config)",
    )
    flags.add(p, "adapt.text_field", "--text-field", help="field/column holding the text in JSONL or CSV input")
    flags.add(p, "adapt.limit", "--limit", help="adapt on the first N texts only")
    flags.add(p, "adapt.epochs", "--epochs", help="passes over the texts (masks drawn afresh each time)")
    flags.add(p, "adapt.batch_size", "--batch-size", help="blocks per step")
    flags.add(p, "adapt.max_length", "--max-length", help="tokens per block")
    flags.add(p, "adapt.mlm_probability", "--mlm-probability", help="share of the tokens masked")
    flags.add(p, "adapt.learning_rate", "--learning-rate", help="learning rate of the pretrained encoder")
    flags.add_run_options(p, "adapt", progress="log the loss every 5 minutes only")
    p.add_argument("--output", "-o", required=True, help="folder to write the adapted encoder to")
    add_overwrite_option(p, "adapt")


def run(args: argparse.Namespace) -> int:
    from specialize.models.bases import resolve_base
    from specialize.tasks.registry import get_task
    from specialize.training.adapt import adapt
    from specialize.training.run_data import load_unlabeled
    from specialize.utils.provenance import command_line

    config = resolve_config(args)
    if print_config(args, config):
        return 0
    a = config.adapt
    texts = load_unlabeled(get_task("ner"), a.texts, a.text_field)
    assert texts is not None  # adapt.texts is required at load
    base = resolve_base(a.base)
    result = adapt(base, texts, args.output, a.args(), overwrite=args.overwrite, command=command_line(),
                   saved_config=config)  # fmt: skip
    print(f"saved {result.output}")
    print(
        f"held-out masked-LM loss {result.held_out_loss_before:.4f} -> {result.held_out_loss_after:.4f} "
        f"({result.steps} steps, {result.train_seconds:.0f} s); train on it: specialize train --base {result.output}"
    )
    return 0
