"""``specialize export``: a trained specialist or text classifier to an ONNX folder (fp32 or int8), checked on
gold data."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import HelpFormatter, add_overwrite_option
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "export a specialist or text classifier to ONNX (optionally int8) for fast, torch-free CPU inference"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import ExportConfig

    p = subparsers.add_parser(
        "export",
        help=HELP,
        description=HELP + ". The output folder holds model.onnx, the tokenizer, config.json, export.json, the "
        f"model card and the resolved config ({CONFIG_FILE}); run it with specialize predict/evaluate/benchmark "
        "(classifiers: predict/evaluate/review) or specialize.runtime.OnnxPredictor / OnnxClassifier. With --check "
        "the export is scored against the source per entity type (classifiers: per label) and nothing is written "
        "if it falls short. Options override the --config file.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, ExportConfig, example="export.opset=18")
    flags.add(
        p,
        "export.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a folder written by 'specialize train' (any --task); required, here or in the config",
    )
    p.add_argument("--output", "-o", required=True, help="folder to write: new or empty (or see --overwrite)")
    flags.add(p, "export.int8", "--int8", const=True, help="quantize MatMul weights to int8 (dynamic quantization)")
    flags.add(
        p,
        "export.check",
        "--check",
        metavar="PATH",
        help="gold data (path or dataset name) to compare on: documents with spans for a specialist, labelled texts "
        "(.jsonl/.csv or e.g. mtsamples-specialty:dev) for a classifier",
    )
    flags.add(p, "export.max_f1_drop", "--max-f1-drop", help="largest allowed micro F1 drop, in points")
    flags.add(
        p,
        "export.max_recall_drop",
        "--max-recall-drop",
        help="largest allowed recall drop of any entity type (classifiers: any label), in points",
    )
    flags.add(p, "export.opset", "--opset", help="ONNX opset version")
    add_overwrite_option(p, "export")


def run(args: argparse.Namespace) -> int:
    from specialize.export import ExportCheckFailed, export, format_check_report

    config = resolve_config(args)
    if print_config(args, config):
        return 0
    e = config.export
    try:
        result = export(
            e.model,
            args.output,
            int8=e.int8,
            check=e.check,
            max_f1_drop=e.max_f1_drop,
            max_recall_drop=e.max_recall_drop,
            opset=e.opset,
            overwrite=args.overwrite,
            saved_config=config,
        )
    except ExportCheckFailed as exc:
        if exc.report is not None:
            print(format_check_report(exc.report))
        raise  # the one error: line and exit code 2, as for every SpecializeError (cli/main.py)
    if result.check is not None:
        print(format_check_report(result.check))
    n = result.numerics
    print(
        f"wrote {result.output} ({'int8' if result.int8 else 'fp32'}, {result.size_bytes / 1e6:.1f} MB; source "
        f"{result.source_size_bytes / 1e6:.1f} MB); logits vs torch: max abs diff {n['max_abs_diff']:.2e}, "
        f"argmax agreement {n['argmax_agreement']:.4f}"
    )
    return 0
