"""``specialize predict``: text or JSONL in, JSONL with character-offset spans out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "find entities in text (or classify texts) with a trained specialist (or a spacy: pipeline)"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "predict",
        help=HELP,
        description=HELP + ". Input: .txt (one document per line), .jsonl/.json (a text field), .csv (a text "
        "column), a folder of .txt files, or standard input (one document per line). Output: one JSON line per "
        "document with spans (start, end, label, text, score), or for a text classifier with labels and scores; "
        "ids and metadata are kept.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a folder written by 'specialize train', or spacy:NAME")
    p.add_argument("--input", "-i", help="input file or folder (default: standard input)")
    p.add_argument("--output", "-o", help="output JSONL file (default: standard output)")
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument("--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC")
    p.add_argument(
        "--format",
        choices=["jsonl", "spacy"],
        default="jsonl",
        help="spacy: write --output as a spaCy DocBin (.spacy) of blank-English-tokenized docs with the entities",
    )
    p.add_argument("--displacy", metavar="HTML", help="also render the predictions as a displaCy page")
    p.add_argument(
        "--alignment-mode",
        choices=["expand", "contract", "strict"],
        default="expand",
        help="--format spacy / --displacy: how spans whose edges fall inside a spaCy token map to tokens",
    )


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
    if args.format == "spacy" and not args.output:
        raise ValueError("--format spacy writes a binary DocBin: pass --output FILE.spacy")
    jsonl_out = None if args.format == "spacy" else args.output or sys.stdout
    docs = predict(model, inputs, jsonl_out, text_field=args.text_field)
    if args.format == "spacy" or args.displacy:
        from specialize.integrations.spacy_docs import export_predictions

        docbin = args.output if args.format == "spacy" else None
        counts = export_predictions(docs, docbin=docbin, displacy=args.displacy, alignment_mode=args.alignment_mode)
        print(f"spaCy alignment ({args.alignment_mode}): {counts.summary()}", file=sys.stderr)
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
