"""``specialize apply``: a model over a large JSONL/CSV/Parquet input, written as resumable shards."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "run a model over a large input (JSONL, CSV, Parquet) into resumable output shards"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "apply",
        help=HELP,
        description=HELP + ". Every record comes back once, with its fields and the model's answer, in "
        "part-NNNNN.jsonl shards (.parquet for Parquet input): a 'spans' field from a span model, 'labels' and "
        "'scores' (every label's probability) from a text classifier. Rerun the same command after a crash: "
        "finished shards are skipped. The ray engine needs: pip install 'specialize[ray]'.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="a folder written by 'specialize train' or 'export' (span model or text classifier), or spacy:NAME",
    )
    p.add_argument("--input", "-i", required=True, help="a .jsonl/.csv/.parquet file, or a folder of one kind")
    p.add_argument("--output", "-o", required=True, help="output folder for the shards and _manifest.json")
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="worker processes or Ray Data")
    p.add_argument("--address", help="Ray cluster address (default: a running or new local Ray)")
    p.add_argument("--workers", type=int, default=2, help="worker processes or Ray actors (0: local, in process)")
    p.add_argument("--shard-size", type=int, default=1000, help="records per output shard")
    p.add_argument("--batch-size", type=int, default=64, help="texts per model call")
    p.add_argument("--threads", type=int, help="CPU threads per worker (default: the cores shared among the workers)")
    p.add_argument("--text-field", default="text", help="field/column holding the text")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from specialize.scale import apply

    result = apply(
        args.model,
        args.input,
        args.output,
        engine=args.engine,
        workers=args.workers,
        shard_size=args.shard_size,
        address=args.address,
        text_field=args.text_field,
        batch_size=args.batch_size,
        threads=args.threads,
        progress=not args.no_progress,
    )
    resumed = f" ({result.skipped_shards} already done)" if result.skipped_shards else ""
    print(
        f"{result.n_docs} documents in {result.n_shards} shards{resumed} -> {result.output} in {result.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0
