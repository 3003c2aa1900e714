"""``specialize predict``: text or JSONL in, JSONL with character-offset spans out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.errors import ConfigError

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
    p.add_argument("--threads", type=int, help="CPU threads for the model (default: one per core)")
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
    from specialize.models.predict import predict
    from specialize.models.resolve import load_model
    from specialize.utils.device import place_predictor
    from specialize.utils.threads import set_threads

    set_threads(args.threads)
    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    model = place_predictor(load_model(args.model, label_map=label_map), args.device)
    inputs: Any = args.input if args.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    spacy_output = args.format == "spacy" or args.displacy
    if spacy_output and getattr(model, "task", "ner") != "ner":
        raise ConfigError("--format spacy and --displacy show entities; this model classifies texts: drop them")
    if args.format == "spacy" and not args.output:
        raise ConfigError("--format spacy writes a binary DocBin: pass --output FILE.spacy")
    jsonl_out = None if args.format == "spacy" else args.output or sys.stdout
    records = predict(model, inputs, jsonl_out, text_field=args.text_field)
    if spacy_output:
        from specialize.data.document import Document
        from specialize.integrations.spacy_docs import export_predictions

        docs = [Document.from_dict(r) for r in records]
        docbin = args.output if args.format == "spacy" else None
        counts = export_predictions(docs, docbin=docbin, displacy=args.displacy, alignment_mode=args.alignment_mode)
        print(f"spaCy alignment ({args.alignment_mode}): {counts.summary()}", file=sys.stderr)
    if args.output:
        spans = sum(len(r.get("spans", [])) for r in records)
        what = f"with {spans} spans" if any("spans" in r for r in records) else "with labels"
        print(f"wrote {len(records)} records {what} to {args.output}", file=sys.stderr)
    return 0
