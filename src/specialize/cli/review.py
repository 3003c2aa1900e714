"""``specialize review``: a whole contract in, the passages of each clause type out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter, save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

HELP = "contract review: label every paragraph of contracts with a clause classifier, grouped by clause type"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import ReviewConfig

    p = subparsers.add_parser(
        "review",
        help=HELP,
        description=HELP + ". Train the classifier with e.g. 'specialize train --task classification --train "
        "cuad-clauses:train'. Paragraphs are blocks between blank lines; offsets are characters of the input. "
        "Options override the --config file ([review] table); with --output the resolved config is saved next to "
        "it as OUTPUT.config.toml (a file of that name is replaced only if an earlier review wrote it there); "
        "without, --print-config shows it.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, ReviewConfig, example="review.model=runs/cuad", saved="the OUTPUT.config.toml of a run")
    flags.add(
        p,
        "review.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a multi-label text classifier folder; required, here or in the config",
    )
    flags.add(
        p,
        "review.contracts",
        "contracts",
        nargs="*",
        metavar="CONTRACT",
        convert=lambda contracts: contracts or None,
        help="contract text files (default: standard input, one contract)",
    )
    p.add_argument("--output", "-o", help="JSON file (default: a summary on standard output)")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.models.review import review_contracts

    c = config.review
    names = c.contracts or ["<stdin>"]
    texts = [Path(n).read_text(encoding="utf-8") for n in c.contracts] or [sys.stdin.read()]
    reviews = review_contracts(c.model, texts)
    result = {name: review.to_dict() for name, review in zip(names, reviews, strict=True)}
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, review in zip(names, reviews, strict=True):
        print(f"{name}: {len(review.passages)} passages")
        for label, passages in review.by_type.items():
            first = passages[0].text
            print(f"  {label} ({len(passages)}): {first[:100]}{'...' if len(first) > 100 else ''}")
        if review.missing:
            print(f"  not found: {', '.join(review.missing)}")
    if args.output:
        print(f"wrote {args.output}")
        save_config_next_to(args.output, config)
    return 0
