"""``specialize serve``: an HTTP API (and a demo page) for a model, optionally cascading to a bigger one."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "serve a model over HTTP: POST /v1/entities, /metrics, /healthz, a demo page at /"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help=HELP,
        description=HELP + ". Needs the serve extra: pip install 'specialize[serve]'. Concurrent requests are "
        "gathered into model batches; with --fallback, documents the model is unsure of go to the fallback.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a folder written by 'specialize train' or 'export', or spacy:NAME")
    p.add_argument(
        "--fallback",
        metavar="SPEC",
        help="model or teacher for low-confidence documents: a folder, spacy:NAME, llm:MODEL, vote:A+B...",
    )
    p.add_argument("--threshold", type=float, default=0.8, help="defer documents whose confidence is below this")
    p.add_argument(
        "--confidence",
        default="min_span_score",
        choices=["min_span_score", "min_word_prob", "min_token_margin"],
        help="how document confidence is measured (word-level measures need a specialist or exported model)",
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


def run(args: argparse.Namespace) -> int:
    from specialize.models.loading import load_predictor
    from specialize.serve import load_fallback, serve

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    model = load_predictor(args.model, label_map=label_map)
    fallback = load_fallback(args.fallback, labels=model.labels, label_map=label_map) if args.fallback else None
    card = f"{args.model}/README.md" if not args.model.startswith("spacy:") else None
    serve(
        model,
        fallback,
        host=args.host,
        port=args.port,
        threshold=args.threshold,
        confidence=args.confidence,
        batching=not args.no_batching,
        max_batch_size=args.max_batch_size,
        max_wait_ms=args.max_wait_ms,
        max_text_chars=args.max_text_chars,
        max_batch_docs=args.max_batch_docs,
        model_card=card,
        report=args.report,
    )
    return 0
