"""``specialize redact``: find PII with a model plus pattern recognizers and replace it; JSONL out."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from specialize.cli.common import HelpFormatter, save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

HELP = "redact PII/PHI in text: a specialist (or patterns, presidio) finds it, an operator replaces it"
SALT_ENV = "SPECIALIZE_REDACT_SALT"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import REDACT_OPERATORS, REDACT_SCOPES, RedactConfig

    p = subparsers.add_parser(
        "redact",
        help=HELP,
        description=HELP + ". MODEL: a folder written by 'specialize train', an exported ONNX folder, spacy:NAME, "
        "'patterns' (pattern recognizers only) or presidio[:SPACY_MODEL]. Models are combined with pattern "
        "recognizers for structured identifiers (e-mail, phone, card with Luhn, IBAN, SSN, IP, URL, ZIP) unless "
        "--no-patterns. Input: .txt (one document per line), .jsonl/.json, .csv, a folder of .txt files or "
        "standard input. Output: one JSON line per document with the redacted text and the replaced spans "
        "(offsets in the input and in the output, label, replacement); the original values are not written. "
        "Options override the --config file ([redact] table); with --output the resolved config is saved next to "
        "it as OUTPUT.config.toml (a file of that name is replaced only if an earlier redact wrote it there); to "
        "standard output, --print-config shows it. The salt is never read from it nor saved.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, RedactConfig, example="redact.operator=mask", saved="the OUTPUT.config.toml of a run")
    flags.add(
        p,
        "redact.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="specialist or ONNX folder, spacy:NAME, patterns, presidio; required, here or in the config",
    )
    flags.add(p, "redact.input", "--input", "-i", help="input file or folder (default: standard input)")
    p.add_argument("--output", "-o", help="output JSONL file (default: standard output)")
    flags.add(
        p,
        "redact.operator",
        "--operator",
        choices=list(REDACT_OPERATORS),
        help="mask: *****; tag: <PERSON>; hash: keyed SHA-256 (16 hex digits); surrogate: a consistent fake value",
    )
    p.add_argument(
        "--salt",
        help=f"secret key for hash and surrogate (default: ${SALT_ENV}, else a random one: consistent "
        "within this run only)",
    )
    flags.add(
        p,
        "redact.scope",
        "--scope",
        choices=list(REDACT_SCOPES),
        help="surrogates: the same value gets the same fake across the whole run, or within each document",
    )
    flags.add(
        p,
        "redact.labels",
        "--labels",
        convert=lambda value: [x.strip() for x in value.split(",") if x.strip()] or None,
        help="redact only these types, e.g. PERSON,EMAIL_ADDRESS (default: all found)",
    )
    flags.add(p, "redact.patterns", "--no-patterns", const=False, help="the model alone, without pattern recognizers")
    flags.add(p, "redact.text_field", "--text-field", help="field/column holding the text in JSONL or CSV input")
    flags.add(p, "redact.label_map", "--label-map", help="for spacy: models, e.g. PERSON=PERSON,GPE=GPE")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.privacy.redact import load_redaction_model, redact

    c = config.redact
    label_map = None
    if c.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(c.label_map)
    model = load_redaction_model(c.model, patterns=c.patterns, label_map=label_map)
    inputs: Any = c.input if c.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    docs = redact(
        model,
        inputs,
        args.output or sys.stdout,
        operator=c.operator,
        salt=args.salt or os.environ.get(SALT_ENV),
        scope=c.scope,
        labels=c.labels,
        text_field=c.text_field,
    )
    if args.output:
        n = sum(len(d.redaction.replacements) for d in docs)
        print(f"redacted {n} spans in {len(docs)} documents to {args.output}", file=sys.stderr)
        save_config_next_to(args.output, config, stderr=True)
    return 0
