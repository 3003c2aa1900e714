"""``specialize benchmark``: speed, memory and size of models side by side, F1 too when the data has gold."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import HelpFormatter, write_json
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

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
    from specialize.command_configs import BenchmarkConfig

    p = subparsers.add_parser(
        "benchmark",
        help=HELP,
        description=HELP + ". Each model and thread count runs in a fresh process (own memory peak, own thread "
        "pools). Tokens are whitespace tokens of the input texts, so models with different tokenizers compare. "
        "Options override the --config file ([benchmark] table); with --json the resolved config is saved next "
        "to it as OUT.json.config.toml (a file of that name is replaced only if an earlier benchmark wrote it "
        "there).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, BenchmarkConfig, example="benchmark.repeats=5", saved="the OUT.json.config.toml of a run")
    flags.add(
        p,
        "benchmark.models",
        "models",
        nargs="*",
        metavar="MODEL",
        convert=lambda models: models or None,
        help="a specialist folder, an exported folder (model.onnx), spacy:NAME_OR_PATH, or hf-pipeline:FOLDER "
        "(a specialist through the plain transformers pipeline, the naive baseline); required, here or in the "
        "config",
    )
    flags.add(p, "benchmark.data", "--data", help="documents: path or dataset name such as conll2003:test")
    flags.add(p, "benchmark.threads", "--threads", type=_thread_counts, help="thread counts to measure, e.g. 1,2,4")
    flags.add(p, "benchmark.repeats", "--repeats", help="timed passes over the data (the median is reported)")
    flags.add(p, "benchmark.warmup", "--warmup", help="untimed calls before timing")
    flags.add(p, "benchmark.latency_docs", "--latency-docs", help="single documents timed for latency percentiles")
    flags.add(
        p, "benchmark.label_map", "--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC or a preset: conll"
    )
    p.add_argument("--json", metavar="OUT", help="write one record per model to this JSON file")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.evaluation.speed import benchmark, format_speed_table

    b = config.benchmark
    records = benchmark(
        b.models,
        b.data,
        threads=b.threads,
        repeats=b.repeats,
        warmup=b.warmup,
        latency_docs=b.latency_docs,
        label_map=b.label_map,
    )
    print(format_speed_table(records))
    if args.json:
        write_json(args.json, records, config)
    return 0
