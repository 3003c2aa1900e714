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


def run(args: argparse.Namespace) -> int:
    from specialize.models.classify import is_classifier_folder

    if is_classifier_folder(args.model):
        return _run_classify(args)
    from specialize.models.loading import load_predictor
    from specialize.models.predict import predict

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    model = load_predictor(args.model, label_map=label_map)
    inputs: Any = args.input if args.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    docs = predict(model, inputs, args.output or sys.stdout, text_field=args.text_field)
    if args.output:
        print(
            f"wrote {len(docs)} documents with {sum(len(d.spans) for d in docs)} spans to {args.output}",
            file=sys.stderr,
        )
    return 0


def _run_classify(args: argparse.Namespace) -> int:
    from specialize.models.classify import classify

    inputs: Any = args.input if args.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    results = classify(args.model, inputs, args.output or sys.stdout, text_field=args.text_field)
    if args.output:
        print(f"wrote labels of {len(results)} texts to {args.output}", file=sys.stderr)
    return 0
