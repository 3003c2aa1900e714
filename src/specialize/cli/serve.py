"""``specialize serve``: an HTTP API (and a demo page) for a model, optionally cascading to a bigger one."""

from __future__ import annotations

import argparse
import os
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.cli.redact import SALT_ENV

HELP = "serve a model over HTTP: POST /v1/entities and /v1/redact (or /v1/classify), /metrics, a demo page at /"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help=HELP,
        description=HELP + ". Needs the serve extra: pip install 'specialize[serve]'. A span model (specialist, "
        "exported, spacy:NAME) answers /v1/entities and /v1/redact; a text classifier /v1/classify. Concurrent "
        "requests are gathered into model batches; with --fallback, documents the model is unsure of go to the "
        "fallback.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="a folder written by 'specialize train' or 'export' (span model or text classifier), or spacy:NAME",
    )
    p.add_argument(
        "--fallback",
        metavar="SPEC",
        help="model or teacher for low-confidence documents: a folder, spacy:NAME, llm:MODEL, vote:A+B...; for a "
        "classifier, a classifier folder with the same labels",
    )
    p.add_argument("--threshold", type=float, default=0.8, help="defer documents whose confidence is below this")
    p.add_argument(
        "--confidence",
        choices=["min_span_score", "min_word_prob", "min_token_margin"],
        help="span models: how document confidence is measured (default min_span_score; word-level measures need "
        "a specialist or exported model). A classifier's is its top probability (single-label) or its labels' "
        "scaled distance to the decision threshold (multi-label)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all interfaces)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--no-batching", action="store_true", help="run each request on its own (no micro-batching)")
    p.add_argument("--max-batch-size", type=int, default=32, help="documents per model batch")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a batch waits for more requests")
    p.add_argument("--max-text-chars", type=int, default=100_000, help="longest document accepted (characters)")
    p.add_argument("--max-batch-docs", type=int, default=64, help="most documents accepted in one request")
    p.add_argument("--report", help="an HTML report card (from 'specialize report') to serve at /report")
    p.add_argument("--label-map", help="for spacy: models (served or fallback), e.g. PERSON=PER,GPE=LOC")
    p.add_argument(
        "--device",
        default="auto",
        help="where a torch model runs: auto (a CUDA GPU when torch sees one), cpu, cuda or cuda:N",
    )
    p.add_argument(
        "--redact-salt",
        help=f"secret key for hash and surrogate in /v1/redact when a request sends none (default: ${SALT_ENV}, "
        "else a random one: consistent until the server stops)",
    )


def run(args: argparse.Namespace) -> int:
    from specialize.serve import serve

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    serve(
        args.model,
        args.fallback,
        host=args.host,
        port=args.port,
        threshold=args.threshold,
        confidence=args.confidence,
        label_map=label_map,
        batching=not args.no_batching,
        max_batch_size=args.max_batch_size,
        max_wait_ms=args.max_wait_ms,
        max_text_chars=args.max_text_chars,
        max_batch_docs=args.max_batch_docs,
        report=args.report,
        redact_salt=args.redact_salt or os.environ.get(SALT_ENV),
        device=args.device,
    )
    return 0
