"""``specialize predict``: text or JSONL in, JSONL with character-offset spans out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "find entities in text (or classify texts) with a trained specialist (or a spacy: pipeline)"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "predict",
        help=HELP,
        description=HELP + ". Input: .txt (one document per line), .jsonl/.json (a text field), .csv (a text "
        "column), a folder of .txt files, or standard input (one document per line). Output: one JSON line per "
        "document with spans (start, end, label, text, score), or for a text classifier with labels and scores; "
        "ids and metadata are kept.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a folder written by 'specialize train', or spacy:NAME")
    p.add_argument("--input", "-i", help="input file or folder (default: standard input)")
    p.add_argument("--output", "-o", help="output JSONL file (default: standard output)")
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument("--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC")
    p.add_argument(
        "--device",
        default="auto",
        help="where a torch model runs: auto (a CUDA GPU when torch sees one), cpu, cuda or cuda:N",
    )


def run(args: argparse.Namespace) -> int:
    from specialize.models.predict import predict
    from specialize.utils.device import place_predictor

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    from specialize.models.resolve import load_model

    model = place_predictor(load_model(args.model, label_map=label_map), args.device)
    inputs: Any = args.input if args.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    records = predict(model, inputs, args.output or sys.stdout, text_field=args.text_field)
    if args.output:
        spans = sum(len(r.get("spans", [])) for r in records)
        what = f"with {spans} spans" if any("spans" in r for r in records) else "with labels"
        print(f"wrote {len(records)} records {what} to {args.output}", file=sys.stderr)
    return 0
