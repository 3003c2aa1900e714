"""``specialize corrections``: read Label Studio / Prodigy exports back as gold documents; merge them over silver."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "import corrected documents from Label Studio or Prodigy exports, or merge them over silver labels"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "corrections",
        help=HELP,
        description=HELP + ". Train on them with: specialize train --train silver.jsonl "
        "--set data.corrections=corrected.jsonl (corrected documents replace their silver versions).",
    )
    commands = p.add_subparsers(dest="corrections_command", metavar="ACTION", required=True)
    imp = commands.add_parser(
        "import",
        help="accepted annotations of exports -> gold JSONL with provenance (rejected/ignored/cancelled counted)",
        description="Read Label Studio JSON exports (Export > JSON) or Prodigy annotations (prodigy db-out) and "
        "write the accepted ones as gold documents, each with meta.correction (tool, annotator, time, task id, "
        "export file, source document id). An existing --output written by this command is updated: newer "
        "corrections of a document replace older ones.",
    )
    imp.add_argument("exports", nargs="+", metavar="EXPORT", help="export file(s)")
    imp.add_argument("--output", "-o", required=True, help="corrected documents, JSONL (created or updated)")
    imp.add_argument("--tool", choices=["label-studio", "prodigy"], help="default: detected from the file")
    imp.add_argument("--json", action="store_true", help="print the import report as JSON")
    merge = commands.add_parser(
        "merge",
        help="silver documents with their corrected versions in place -> one training file",
        description="Replace every silver document that has a corrected version (same id, else same text) by it; "
        "corrected documents without a silver version are added.",
    )
    merge.add_argument("--silver", required=True, help="silver documents (any format specialize reads)")
    merge.add_argument("--corrected", required=True, action="append", help="corrected documents; repeatable")
    merge.add_argument("--output", "-o", required=True, help="merged documents (a new file; .jsonl, .conll...)")


def run(args: argparse.Namespace) -> int:
    from specialize.data import corrections

    if args.corrections_command == "merge":
        merged = corrections.merge_files(args.silver, args.corrected, args.output)
        print(f"{merged.summary()}; wrote {args.output}")
        return 0
    docs, report = corrections.import_corrections(args.exports, tool=args.tool)
    total, replaced = corrections.write_corrections(docs, args.output)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    print(f"wrote {args.output}: {total} corrected documents ({replaced} older corrections replaced)")
    if report.overlapping:
        print("note: training needs flat spans: fix the overlapping spans in the tool, or resolve them with "
              "specialize.data.validation.resolve_overlaps")  # fmt: skip
    return 0
