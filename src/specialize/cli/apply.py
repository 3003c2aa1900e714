"""``specialize apply``: a model over a large JSONL/CSV/Parquet input, written as resumable shards."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "run a model over a large input (JSONL, CSV, Parquet) into resumable output shards"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import ENGINES, ApplyConfig

    p = subparsers.add_parser(
        "apply",
        help=HELP,
        description=HELP + ". Every record comes back once, with its fields and the model's answer, in "
        "part-NNNNN.jsonl shards (.parquet for Parquet input): a 'spans' field from a span model, 'labels' and "
        "'scores' (every label's probability) from a text classifier. Rerun the same command after a crash: "
        "finished shards are skipped. The ray engine needs: pip install 'specialize[ray]'. Options override the "
        f"--config file ([apply] table); the resolved config is saved in the output folder ({CONFIG_FILE}).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, ApplyConfig, example="apply.workers=4")
    flags.add(
        p,
        "apply.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a folder written by 'specialize train' or 'export' (span model or text classifier), or spacy:NAME; "
        "required, here or in the config",
    )
    flags.add(p, "apply.input", "--input", "-i", help="a .jsonl/.csv/.parquet file, or a folder of one kind")
    p.add_argument("--output", "-o", required=True, help="output folder for the shards and _manifest.json")
    flags.add(p, "apply.engine", "--engine", choices=list(ENGINES), help="worker processes or Ray Data")
    flags.add(p, "apply.address", "--address", help="Ray cluster address (default: a running or new local Ray)")
    flags.add(p, "apply.workers", "--workers", help="worker processes or Ray actors (0: local, in process)")
    flags.add(p, "apply.shard_size", "--shard-size", help="records per output shard")
    flags.add(p, "apply.batch_size", "--batch-size", help="texts per model call")
    flags.add(
        p, "apply.threads", "--threads", help="CPU threads per worker (default: the cores shared among the workers)"
    )
    flags.add(p, "apply.text_field", "--text-field", help="field/column holding the text")
    flags.add(p, "apply.progress", "--no-progress", const=False, help="no progress bar")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.scale import apply

    a = config.apply
    result = apply(
        a.model,
        a.input,
        args.output,
        engine=a.engine,
        workers=a.workers,
        shard_size=a.shard_size,
        address=a.address,
        text_field=a.text_field,
        batch_size=a.batch_size,
        threads=a.threads,
        progress=a.progress,
        saved_config=config,
    )
    resumed = f" ({result.skipped_shards} already done)" if result.skipped_shards else ""
    print(
        f"{result.n_docs} documents in {result.n_shards} shards{resumed} -> {result.output} in {result.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0
