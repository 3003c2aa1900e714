"""``specialize corrections``: read Label Studio / Prodigy exports back as gold documents; merge them over silver."""

from __future__ import annotations

import argparse
import json
from typing import Any

from specialize.cli.common import save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

SAVED_FILE = "the OUTPUT.config.toml of a run"
HELP = "import corrected documents from Label Studio or Prodigy exports, or merge them over silver labels"
SAVED_HELP = (
    "Options override the --config file ([corrections] table); the resolved config is saved next to --output as "
    "OUTPUT.config.toml (a file of that name is replaced only if an earlier run of this subcommand wrote it there)."
)


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import CORRECTION_TOOLS, CorrectionsImportConfig, CorrectionsMergeConfig

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
        f"corrections of a document replace older ones. {SAVED_HELP}",
    )
    flags = ConfigFlags(imp, CorrectionsImportConfig, example="corrections.tool=prodigy", saved=SAVED_FILE)
    flags.add(
        imp,
        "corrections.exports",
        "exports",
        nargs="*",
        metavar="EXPORT",
        convert=lambda exports: exports or None,
        help="export file(s); required, here or in the config",
    )
    imp.add_argument("--output", "-o", required=True, help="corrected documents, JSONL (created or updated)")
    flags.add(imp, "corrections.tool", "--tool", choices=list(CORRECTION_TOOLS), help="default: detected from the file")
    flags.add(imp, "corrections.json", "--json", const=True, help="print the import report as JSON")
    merge = commands.add_parser(
        "merge",
        help="silver documents with their corrected versions in place -> one training file",
        description="Replace every silver document that has a corrected version (same id, else same text) by it; "
        f"corrected documents without a silver version are added. {SAVED_HELP}",
    )
    flags = ConfigFlags(merge, CorrectionsMergeConfig, example="corrections.silver=silver.conll", saved=SAVED_FILE)
    flags.add(
        merge,
        "corrections.silver",
        "--silver",
        help="silver documents (any format specialize reads); required, here or in the config",
    )
    flags.add(
        merge,
        "corrections.corrected",
        "--corrected",
        action="append",
        convert=list,
        help="corrected documents; repeatable, replaces the corrected list of --config; required, here or in the "
        "config",
    )
    merge.add_argument("--output", "-o", required=True, help="merged documents (a new file; .jsonl, .conll...)")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.data import corrections

    c = config.corrections
    if args.corrections_command == "merge":
        merged = corrections.merge_files(c.silver, c.corrected, args.output)
        print(f"{merged.summary()}; wrote {args.output}")
    else:
        docs, report = corrections.import_corrections(c.exports, tool=c.tool)
        total, replaced = corrections.write_corrections(docs, args.output)
        print(json.dumps(report.to_dict(), indent=2) if c.json else report.summary())
        print(f"wrote {args.output}: {total} corrected documents ({replaced} older corrections replaced)")
        if report.overlapping:
            print("note: training needs flat spans: fix the overlapping spans in the tool, or resolve them with "
                  "specialize.data.validation.resolve_overlaps")  # fmt: skip
    save_config_next_to(args.output, config)
    return 0
