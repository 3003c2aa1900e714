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
    p.add_argument(
        "--max-batch-chars",
        type=int,
        default=4096,
        help="characters per model batch; requests with less work left go first, and a span model answers "
        "longer documents in pieces, so a short request never waits behind a long one for long",
    )
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a batch waits for more requests")
    p.add_argument("--max-text-chars", type=int, default=100_000, help="longest document accepted (characters)")
    p.add_argument(
        "--piece-chars",
        type=int,
        default=4000,
        help="span models: documents longer than this are answered in overlapping pieces, scheduled like short "
        "documents (nothing is truncated)",
    )
    p.add_argument(
        "--step-tokens",
        type=int,
        default=512,
        help="a model call runs in steps of this many padded tokens; between steps, the short requests waiting "
        "are answered (0: each call in one go)",
    )
    p.add_argument("--max-batch-docs", type=int, default=64, help="most documents accepted in one request")
    p.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        help="seconds a request may take before it is answered 504 and its work dropped (0: no limit)",
    )
    p.add_argument(
        "--api-key",
        help="require this key on every route but /healthz, as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
        "(browsers get a login form). Default: $SPECIALIZE_API_KEY; prefer the variable: a flag shows in the "
        "process list",
    )
    p.add_argument("--threads", type=int, help="CPU threads for the model (default: one per core)")
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
    from specialize.serve.auth import KEY_ENV
    from specialize.utils.threads import set_threads

    set_threads(args.threads)

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
        max_batch_chars=args.max_batch_chars,
        piece_chars=args.piece_chars,
        step_tokens=args.step_tokens or None,
        request_timeout=args.request_timeout or None,
        api_key=args.api_key if args.api_key is not None else os.environ.get(KEY_ENV),
        report=args.report,
        redact_salt=args.redact_salt or os.environ.get(SALT_ENV),
        device=args.device,
    )
    return 0
