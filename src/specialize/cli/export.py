"""``specialize export``: a trained specialist or text classifier to an ONNX folder (fp32 or int8), checked on
gold data."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specialize.cli.common import USAGE_ERROR, HelpFormatter, add_overwrite_option

HELP = "export a specialist or text classifier to ONNX (optionally int8) for fast, torch-free CPU inference"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help=HELP,
        description=HELP + ". The output folder holds model.onnx, the tokenizer, config.json, export.json and the "
        "model card; run it with specialize predict/evaluate/benchmark (classifiers: predict/evaluate/review) or "
        "specialize.runtime.OnnxPredictor / OnnxClassifier. With --check the export is scored against the source "
        "per entity type (classifiers: per label) and nothing is written if it falls short.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a folder written by 'specialize train' (any --task)")
    p.add_argument("--output", "-o", required=True, help="folder to write: new or empty (or see --overwrite)")
    p.add_argument("--int8", action="store_true", help="quantize MatMul weights to int8 (dynamic quantization)")
    p.add_argument(
        "--check",
        metavar="PATH",
        help="gold data (path or dataset name) to compare on: documents with spans for a specialist, labelled texts "
        "(.jsonl/.csv or e.g. mtsamples-specialty:dev) for a classifier",
    )
    p.add_argument("--max-f1-drop", type=float, default=0.5, help="largest allowed micro F1 drop, in points")
    p.add_argument(
        "--max-recall-drop",
        type=float,
        default=1.0,
        help="largest allowed recall drop of any entity type (classifiers: any label), in points",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version")
    add_overwrite_option(p, "export")


def run(args: argparse.Namespace) -> int:
    from specialize.export import ExportCheckFailed, export, format_check_report

    try:
        result = export(
            args.model,
            args.output,
            int8=args.int8,
            check=args.check,
            max_f1_drop=args.max_f1_drop,
            max_recall_drop=args.max_recall_drop,
            opset=args.opset,
            overwrite=args.overwrite,
        )
    except ExportCheckFailed as exc:
        if exc.report is not None:
            print(format_check_report(exc.report))
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if result.check is not None:
        print(format_check_report(result.check))
    n = result.numerics
    print(
        f"wrote {result.output} ({'int8' if result.int8 else 'fp32'}, {result.size_bytes / 1e6:.1f} MB; source "
        f"{result.source_size_bytes / 1e6:.1f} MB); logits vs torch: max abs diff {n['max_abs_diff']:.2e}, "
        f"argmax agreement {n['argmax_agreement']:.4f}"
    )
    return 0
