"""``specialize augment``: more labelled training text by mention replacement (specialize.data.mention_swap)."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import add_overwrite_option

HELP = "make labelled copies of training data with entity mentions swapped for others of the same type"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "augment",
        help=HELP,
        description=HELP + ". Each copy swaps every mention, with --probability, for another mention of its type "
        "seen in the data, and moves the spans with it; sentences and document grouping (CoNLL -DOCSTART-) are kept. "
        "Writes OUTPUT/augmented.jsonl, to train or distil on beside the original "
        '(--set \'data.train=["conll2003:train", "OUTPUT/augmented.jsonl"]\'), and OUTPUT/augment.json.',
    )
    p.add_argument("data", nargs="+", help="labelled files or dataset names, e.g. conll2003:train")
    p.add_argument("--copies", type=int, default=1, help="copies of the data to make")
    p.add_argument("--probability", type=float, default=0.5, help="chance that each mention is swapped")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same copies")
    p.add_argument("--output", "-o", required=True, help="folder to write augmented.jsonl and augment.json to")
    add_overwrite_option(p, "augment")


def run(args: argparse.Namespace) -> int:
    from specialize.data.mention_swap import MentionSwap
    from specialize.training.augment import AUGMENTED_FILE, augment
    from specialize.utils.provenance import command_line

    settings = MentionSwap(copies=args.copies, probability=args.probability, seed=args.seed)
    output, result = augment(args.data, args.output, settings, overwrite=args.overwrite, command=command_line())
    print(
        f"wrote {len(result.documents)} records to {output / AUGMENTED_FILE}: {result.swapped} mentions swapped, "
        f"{result.kept} kept"
    )
    return 0
