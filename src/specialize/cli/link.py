"""``specialize link``: documents with spans in, the same spans with concept ids (``kb_id``) out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "link entity mentions to concept ids (e.g. MeSH) with a linker built by 'specialize train-linker'"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "link",
        help=HELP,
        description=HELP + ". Input: documents with spans (JSONL with 'spans', PubTator, any format specialize "
        "reads, or a dataset name), or raw text with --ner to find the spans first. Output: the documents with "
        "each span's 'kb_id' (absent when unlinked) and meta.links saying how it was linked (dictionary, "
        "abbreviation, similarity) with its score.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="LINKER", help="a folder written by 'specialize train-linker'")
    p.add_argument("--input", "-i", required=True, help="input file, folder or dataset name")
    p.add_argument("--output", "-o", help="output file; its suffix picks the format (default: JSONL to stdout)")
    p.add_argument("--ner", metavar="MODEL", help="find the spans with this specialist (or spacy:NAME) first")
    p.add_argument("--method", choices=["dictionary", "similarity", "combined"], help="override the linker's method")
    p.add_argument("--format", help="input format when it cannot be detected (conll, jsonl, brat, pubtator)")
    p.add_argument("--text-field", default="text", help="with --ner: field/column holding the text")
    p.add_argument("--threads", type=int, help="torch threads for the encoder (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    from specialize.linking import link

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    docs = link(
        args.model,
        args.input,
        args.output,
        ner=args.ner,
        method=args.method,
        format=args.format,
        text_field=args.text_field,
    )
    if args.output is None:
        for doc in docs:
            sys.stdout.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
    spans = [s for d in docs for s in d.spans]
    linked = sum(s.kb_id is not None for s in spans)
    print(
        f"linked {linked} of {len(spans)} spans in {len(docs)} documents"
        + (f"; wrote {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    return 0
