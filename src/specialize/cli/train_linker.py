"""``specialize train-linker``: build a concept linker from documents whose spans carry concept ids."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter, add_overwrite_option
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "build a mention-to-concept linker (dictionary + encoder similarity) from annotated documents"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import LINK_METHODS, LINK_TARGETS, TrainLinkerConfig

    p = subparsers.add_parser(
        "train-linker",
        help=HELP,
        description=HELP + ". Training spans need a concept id: PubTator files (NCBI-disease, BC5CDR: e.g. "
        "ncbi-disease-pubtator:train) carry MeSH ids, JSONL spans a 'kb_id' field. Mentions without an id (-1) "
        "are skipped. Use the training split only; score with benchmarks/domains_linking.py. Options override "
        f"the --config file ([train_linker] table); the resolved config is saved in the linker folder ({CONFIG_FILE}).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, TrainLinkerConfig, example="train_linker.min_similarity=0.5")
    flags.add(p, "train_linker.train", "--train", help="training documents: file, folder or dataset name")
    p.add_argument("--output", "-o", required=True, help="linker folder to write")
    add_overwrite_option(p, "train-linker")
    flags.add(
        p,
        "train_linker.encoder",
        "--encoder",
        help="encoder or specialist folder for similarity ('default': all-MiniLM-L6-v2)",
    )
    # After --encoder: given both, --no-encoder wins, as it always has.
    flags.add(p, "train_linker.encoder", "--no-encoder", const="none", help="dictionary only: no similarity fallback")
    flags.add(p, "train_linker.method", "--method", choices=list(LINK_METHODS), help="how mentions are linked")
    flags.add(p, "train_linker.target", "--target", choices=list(LINK_TARGETS), help="nearest string or concept")
    flags.add(
        p,
        "train_linker.match_label",
        "--match-label",
        const=True,
        help="link only to concepts seen with the mention's label",
    )
    flags.add(
        p, "train_linker.min_similarity", "--min-similarity", help="leave mentions less similar than this unlinked"
    )
    flags.add(p, "train_linker.format", "--format", help="input format when it cannot be detected")
    flags.add(p, "train_linker.threads", "--threads", help="torch threads for the encoder (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.linking import LinkerConfig, train_linker

    c = config.train_linker
    if c.threads:
        import torch

        torch.set_num_threads(c.threads)
    linker_config = LinkerConfig(
        method=c.method, target=c.target, match_label=c.match_label, min_similarity=c.min_similarity
    )
    linker = train_linker(
        c.train,
        args.output,
        encoder=c.encoder,
        config=linker_config,
        format=c.format,
        overwrite=args.overwrite,
        saved_config=config,
    )
    info = linker.train_info
    print(
        f"wrote {args.output}: {info['strings']} strings of {info['concepts']} concepts from {info['mentions_used']} "
        f"mentions ({info['mentions_without_id']} without an id skipped)",
        file=sys.stderr,
    )
    return 0
