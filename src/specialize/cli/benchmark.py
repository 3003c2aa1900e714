"""``specialize benchmark``: speed, memory and size of models side by side, F1 too when the data has gold."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "measure throughput, latency, peak memory and size of models on the same texts"


def _thread_counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 1,2, got {value!r}") from None
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError(f"thread counts must be positive, got {value!r}")
    return counts


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "benchmark",
        help=HELP,
        description=HELP + ". Each model and thread count runs in a fresh process (own memory peak, own thread "
        "pools). Tokens are whitespace tokens of the input texts, so models with different tokenizers compare.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="a specialist folder, an exported folder (model.onnx), spacy:NAME_OR_PATH, or hf-pipeline:FOLDER "
        "(a specialist through the plain transformers pipeline, the naive baseline)",
    )
    p.add_argument("--data", required=True, help="documents: path or dataset name such as conll2003:test")
    p.add_argument("--threads", type=_thread_counts, default=[1], help="thread counts to measure, e.g. 1,2,4")
    p.add_argument("--repeats", type=int, default=3, help="timed passes over the data (the median is reported)")
    p.add_argument("--warmup", type=int, default=1, help="untimed calls before timing")
    p.add_argument("--latency-docs", type=int, default=200, help="single documents timed for latency percentiles")
    p.add_argument("--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC or a preset: conll")
    p.add_argument("--json", metavar="OUT", help="write one record per model to this JSON file")


def run(args: argparse.Namespace) -> int:
    from specialize.evaluation.speed import benchmark, format_speed_table

    records = benchmark(
        args.models,
        args.data,
        threads=args.threads,
        repeats=args.repeats,
        warmup=args.warmup,
        latency_docs=args.latency_docs,
        label_map=args.label_map,
    )
    print(format_speed_table(records))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0
