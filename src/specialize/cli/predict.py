"""``specialize predict``: text or JSONL in, JSONL with character-offset spans out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter, save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.errors import ConfigError

HELP = "find entities in text (or classify texts) with a trained specialist (or a spacy: pipeline)"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import PREDICT_FORMATS, PredictConfig
    from specialize.integrations.spacy_docs import ALIGNMENT_MODES

    p = subparsers.add_parser(
        "predict",
        help=HELP,
        description=HELP + ". Input: .txt (one document per line), .jsonl/.json (a text field), .csv (a text "
        "column), a folder of .txt files, or standard input (one document per line). Output: one JSON line per "
        "document with spans (start, end, label, text, score), or for a text classifier with labels and scores; "
        "ids and metadata are kept. Options override the --config file ([predict] table); with --output the "
        "resolved config is saved next to it as OUTPUT.config.toml (a file of that name is replaced only if an "
        "earlier predict wrote it there); to standard output, --print-config shows it.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, PredictConfig, example="predict.device=cpu", saved="the OUTPUT.config.toml of a run")
    flags.add(
        p,
        "predict.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a folder written by 'specialize train', or spacy:NAME; required, here or in the config",
    )
    flags.add(p, "predict.input", "--input", "-i", help="input file or folder (default: standard input)")
    p.add_argument("--output", "-o", help="output JSONL file (default: standard output)")
    flags.add(p, "predict.text_field", "--text-field", help="field/column holding the text in JSONL or CSV input")
    flags.add(p, "predict.label_map", "--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC")
    flags.add(
        p,
        "predict.device",
        "--device",
        help="where a torch model runs: auto (a CUDA GPU when torch sees one), cpu, cuda or cuda:N",
    )
    flags.add(p, "predict.threads", "--threads", help="CPU threads for the model (default: one per core)")
    flags.add(
        p,
        "predict.format",
        "--format",
        choices=list(PREDICT_FORMATS),
        help="spacy: write --output as a spaCy DocBin (.spacy) of blank-English-tokenized docs with the entities",
    )
    flags.add(
        p, "predict.displacy", "--displacy", metavar="HTML", help="also render the predictions as a displaCy page"
    )
    flags.add(
        p,
        "predict.alignment_mode",
        "--alignment-mode",
        choices=list(ALIGNMENT_MODES),
        help="--format spacy / --displacy: how spans whose edges fall inside a spaCy token map to tokens",
    )


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.models.predict import predict
    from specialize.models.resolve import load_model
    from specialize.utils.device import place_predictor
    from specialize.utils.threads import set_threads

    c = config.predict
    if c.format == "spacy" and not args.output:
        raise ConfigError("--format spacy writes a binary DocBin: pass --output FILE.spacy")
    set_threads(c.threads)
    label_map = None
    if c.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(c.label_map)
    model = place_predictor(load_model(c.model, label_map=label_map), c.device)
    inputs: Any = c.input if c.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    spacy_output = c.format == "spacy" or c.displacy
    if spacy_output and getattr(model, "task", "ner") != "ner":
        raise ConfigError("--format spacy and --displacy show entities; this model classifies texts: drop them")
    jsonl_out = None if c.format == "spacy" else args.output or sys.stdout
    records = predict(model, inputs, jsonl_out, text_field=c.text_field)
    if spacy_output:
        from specialize.data.document import Document
        from specialize.integrations.spacy_docs import export_predictions

        docs = [Document.from_dict(r) for r in records]
        docbin = args.output if c.format == "spacy" else None
        counts = export_predictions(docs, docbin=docbin, displacy=c.displacy, alignment_mode=c.alignment_mode)
        print(f"spaCy alignment ({c.alignment_mode}): {counts.summary()}", file=sys.stderr)
    if args.output:
        spans = sum(len(r.get("spans", [])) for r in records)
        what = f"with {spans} spans" if any("spans" in r for r in records) else "with labels"
        print(f"wrote {len(records)} records {what} to {args.output}", file=sys.stderr)
        save_config_next_to(args.output, config, stderr=True)
    return 0
