"""``specialize review``: a whole contract in, the passages of each clause type out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "contract review: label every paragraph of contracts with a clause classifier, grouped by clause type"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "review",
        help=HELP,
        description=HELP + ". Train the classifier with e.g. 'specialize train --task classification --train "
        "cuad-clauses:train'. Paragraphs are blocks between blank lines; offsets are characters of the input.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a multi-label text classifier folder")
    p.add_argument("contracts", nargs="*", help="contract text files (default: standard input, one contract)")
    p.add_argument("--output", "-o", help="JSON file (default: a summary on standard output)")


def run(args: argparse.Namespace) -> int:
    from specialize.models.review import review_contracts

    names = args.contracts or ["<stdin>"]
    texts = [Path(n).read_text(encoding="utf-8") for n in args.contracts] or [sys.stdin.read()]
    reviews = review_contracts(args.model, texts)
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
    return 0
