"""``specialize train-linker``: build a concept linker from documents whose spans carry concept ids."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter, add_overwrite_option

HELP = "build a mention-to-concept linker (dictionary + encoder similarity) from annotated documents"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train-linker",
        help=HELP,
        description=HELP + ". Training spans need a concept id: PubTator files (NCBI-disease, BC5CDR: e.g. "
        "ncbi-disease-pubtator:train) carry MeSH ids, JSONL spans a 'kb_id' field. Mentions without an id (-1) "
        "are skipped. Use the training split only; score with benchmarks/domains_linking.py.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--train", required=True, help="training documents: file, folder or dataset name")
    p.add_argument("--output", "-o", required=True, help="linker folder to write")
    add_overwrite_option(p, "train-linker")
    p.add_argument(
        "--encoder", default="default", help="encoder or specialist folder for similarity ('default': all-MiniLM-L6-v2)"
    )
    p.add_argument("--no-encoder", action="store_true", help="dictionary only: no similarity fallback")
    p.add_argument("--method", default="combined", choices=["dictionary", "similarity", "combined"])
    p.add_argument("--target", default="mention", choices=["mention", "centroid"], help="nearest string or concept")
    p.add_argument("--match-label", action="store_true", help="link only to concepts seen with the mention's label")
    p.add_argument("--min-similarity", type=float, default=0.0, help="leave mentions less similar than this unlinked")
    p.add_argument("--format", help="input format when it cannot be detected")
    p.add_argument("--threads", type=int, help="torch threads for the encoder (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    from specialize.linking import LinkerConfig, train_linker

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    config = LinkerConfig(
        method=args.method, target=args.target, match_label=args.match_label, min_similarity=args.min_similarity
    )
    linker = train_linker(
        args.train,
        args.output,
        encoder=None if args.no_encoder else args.encoder,
        config=config,
        format=args.format,
        overwrite=args.overwrite,
    )
    info = linker.train_info
    print(
        f"wrote {args.output}: {info['strings']} strings of {info['concepts']} concepts from {info['mentions_used']} "
        f"mentions ({info['mentions_without_id']} without an id skipped)",
        file=sys.stderr,
    )
    return 0
