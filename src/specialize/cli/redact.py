"""``specialize redact``: find PII with a model plus pattern recognizers and replace it; JSONL out."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from specialize.cli.common import HelpFormatter

HELP = "redact PII/PHI in text: a specialist (or patterns, presidio) finds it, an operator replaces it"
SALT_ENV = "SPECIALIZE_REDACT_SALT"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "redact",
        help=HELP,
        description=HELP + ". MODEL: a folder written by 'specialize train', an exported ONNX folder, spacy:NAME, "
        "'patterns' (pattern recognizers only) or presidio[:SPACY_MODEL]. Models are combined with pattern "
        "recognizers for structured identifiers (e-mail, phone, card with Luhn, IBAN, SSN, IP, URL, ZIP) unless "
        "--no-patterns. Input: .txt (one document per line), .jsonl/.json, .csv, a folder of .txt files or "
        "standard input. Output: one JSON line per document with the redacted text and the replaced spans "
        "(offsets in the input and in the output, label, replacement); the original values are not written.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="specialist or ONNX folder, spacy:NAME, patterns, presidio")
    p.add_argument("--input", "-i", help="input file or folder (default: standard input)")
    p.add_argument("--output", "-o", help="output JSONL file (default: standard output)")
    p.add_argument(
        "--operator",
        default="tag",
        choices=["mask", "tag", "hash", "surrogate"],
        help="mask: *****; tag: <PERSON>; hash: keyed SHA-256 (16 hex digits); surrogate: a consistent fake value",
    )
    p.add_argument(
        "--salt",
        help=f"secret key for hash and surrogate (default: ${SALT_ENV}, else a random one: consistent "
        "within this run only)",
    )
    p.add_argument(
        "--scope",
        default="run",
        choices=["run", "document"],
        help="surrogates: the same value gets the same fake across the whole run, or within each document",
    )
    p.add_argument("--labels", help="redact only these types, e.g. PERSON,EMAIL_ADDRESS (default: all found)")
    p.add_argument("--no-patterns", action="store_true", help="the model alone, without pattern recognizers")
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument("--label-map", help="for spacy: models, e.g. PERSON=PERSON,GPE=GPE")


def run(args: argparse.Namespace) -> int:
    from specialize.privacy.redact import load_redaction_model, redact

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    model = load_redaction_model(args.model, patterns=not args.no_patterns, label_map=label_map)
    labels = [x.strip() for x in args.labels.split(",") if x.strip()] if args.labels else None
    inputs: Any = args.input if args.input else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    docs = redact(
        model,
        inputs,
        args.output or sys.stdout,
        operator=args.operator,
        salt=args.salt or os.environ.get(SALT_ENV),
        scope=args.scope,
        labels=labels,
        text_field=args.text_field,
    )
    if args.output:
        n = sum(len(d.redaction.replacements) for d in docs)
        print(f"redacted {n} spans in {len(docs)} documents to {args.output}", file=sys.stderr)
    return 0
