"""``specialize link``: documents with spans in, the same spans with concept ids (``kb_id``) out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from specialize.cli.common import HelpFormatter, save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

HELP = "link entity mentions to concept ids (e.g. MeSH) with a linker built by 'specialize train-linker'"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import LINK_METHODS, LinkConfig

    p = subparsers.add_parser(
        "link",
        help=HELP,
        description=HELP + ". Input: documents with spans (JSONL with 'spans', PubTator, any format specialize "
        "reads, or a dataset name), or raw text with --ner to find the spans first. Output: the documents with "
        "each span's 'kb_id' (absent when unlinked) and meta.links saying how it was linked (dictionary, "
        "abbreviation, similarity) with its score. Options override the --config file ([link] table); with "
        "--output the resolved config is saved next to it as OUTPUT.config.toml (a file of that name is replaced "
        "only if an earlier link wrote it there); to standard output, --print-config shows it.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, LinkConfig, example="link.method=dictionary", saved="the OUTPUT.config.toml of a run")
    flags.add(
        p,
        "link.model",
        "model",
        metavar="LINKER",
        nargs="?",
        help="a folder written by 'specialize train-linker'; required, here or in the config",
    )
    flags.add(p, "link.input", "--input", "-i", help="input file, folder or dataset name")
    p.add_argument("--output", "-o", help="output file; its suffix picks the format (default: JSONL to stdout)")
    flags.add(p, "link.ner", "--ner", metavar="MODEL", help="find the spans with this specialist (or spacy:NAME) first")
    flags.add(p, "link.method", "--method", choices=list(LINK_METHODS), help="override the linker's method")
    flags.add(
        p, "link.format", "--format", help="input format when it cannot be detected (conll, jsonl, brat, pubtator)"
    )
    flags.add(p, "link.text_field", "--text-field", help="with --ner: field/column holding the text")
    flags.add(p, "link.threads", "--threads", help="torch threads for the encoder (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.linking import link

    c = config.link
    if c.threads:
        import torch

        torch.set_num_threads(c.threads)
    docs = link(
        c.model,
        c.input,
        args.output,
        ner=c.ner,
        method=c.method,
        format=c.format,
        text_field=c.text_field,
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
    if args.output:
        save_config_next_to(args.output, config, stderr=True)
    return 0
