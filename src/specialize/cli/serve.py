"""``specialize serve``: an HTTP API (and a demo page) for a model, optionally cascading to a bigger one."""

from __future__ import annotations

import argparse
import os
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.cli.redact import SALT_ENV
from specialize.evaluation.confidence import CONFIDENCES

HELP = "serve a model over HTTP: POST /v1/entities and /v1/redact (or /v1/classify), /metrics, a demo page at /"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import ServeConfig

    p = subparsers.add_parser(
        "serve",
        help=HELP,
        description=HELP + ". Needs the serve extra: pip install 'specialize[serve]'. A span model (specialist, "
        "exported, spacy:NAME) answers /v1/entities and /v1/redact; a text classifier /v1/classify. Concurrent "
        "requests are gathered into model batches; with --fallback, documents the model is unsure of go to the "
        "fallback. Options override the --config file ([serve] and [server] tables; --print-config shows the "
        "resolved one). The API key and the redaction salt are never read from it.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, ServeConfig, example="server.max_wait_ms=2", saved="one --print-config printed")
    flags.add(
        p,
        "serve.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a folder written by 'specialize train' or 'export' (span model or text classifier), or spacy:NAME; "
        "required, here or in the config",
    )
    flags.add(
        p,
        "serve.fallback",
        "--fallback",
        metavar="SPEC",
        help="model or teacher for low-confidence documents: a folder, spacy:NAME, llm:MODEL, vote:A+B...; for a "
        "classifier, a classifier folder with the same labels",
    )
    flags.add(p, "serve.threshold", "--threshold", help="defer documents whose confidence is below this")
    flags.add(
        p,
        "serve.confidence",
        "--confidence",
        choices=list(CONFIDENCES),
        help="span models: how document confidence is measured (default min_span_score; word-level measures need "
        "a specialist or exported model). A classifier's is its top probability (single-label) or its labels' "
        "scaled distance to the decision threshold (multi-label)",
    )
    flags.add(p, "server.host", "--host", help="address to listen on (0.0.0.0 for all interfaces)")
    flags.add(p, "server.port", "--port", help="port to listen on")
    flags.add(
        p, "server.batching", "--no-batching", const=False, help="run each request on its own (no micro-batching)"
    )
    flags.add(p, "server.max_batch_size", "--max-batch-size", help="documents per model batch")
    flags.add(
        p,
        "server.max_batch_chars",
        "--max-batch-chars",
        help="characters per model batch; requests with less work left go first, and a span model answers "
        "longer documents in pieces, so a short request never waits behind a long one for long",
    )
    flags.add(p, "server.max_wait_ms", "--max-wait-ms", help="how long a batch waits for more requests")
    flags.add(p, "server.max_text_chars", "--max-text-chars", help="longest document accepted (characters)")
    flags.add(
        p,
        "server.piece_chars",
        "--piece-chars",
        help="span models: documents longer than this are answered in overlapping pieces, scheduled like short "
        "documents (nothing is truncated)",
    )
    flags.add(
        p,
        "server.step_tokens",
        "--step-tokens",
        help="a model call runs in steps of this many padded tokens; between steps, the short requests waiting "
        "are answered (0: each call in one go)",
    )
    flags.add(p, "server.max_batch_docs", "--max-batch-docs", help="most documents accepted in one request")
    flags.add(
        p,
        "server.request_timeout",
        "--request-timeout",
        help="seconds a request may take before it is answered 504 and its work dropped (0: no limit)",
    )
    p.add_argument(
        "--api-key",
        help="require this key on every route but /healthz, as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
        "(browsers get a login form). Default: $SPECIALIZE_API_KEY; prefer the variable: a flag shows in the "
        "process list",
    )
    flags.add(p, "serve.threads", "--threads", help="CPU threads for the model (default: one per core)")
    flags.add(p, "serve.report", "--report", help="an HTML report card (from 'specialize report') to serve at /report")
    flags.add(
        p, "serve.label_map", "--label-map", help="for spacy: models (served or fallback), e.g. PERSON=PER,GPE=LOC"
    )
    flags.add(
        p,
        "serve.device",
        "--device",
        help="where a torch model runs: auto (a CUDA GPU when torch sees one), cpu, cuda or cuda:N",
    )
    p.add_argument(
        "--redact-salt",
        help=f"secret key for hash and surrogate in /v1/redact when a request sends none (default: ${SALT_ENV}, "
        "else a random one: consistent until the server stops)",
    )


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.serve import serve
    from specialize.serve.auth import KEY_ENV
    from specialize.utils.threads import set_threads

    set_threads(config.serve.threads)
    serve(
        config.serve.model,
        config.serve.fallback,
        api_key=args.api_key if args.api_key is not None else os.environ.get(KEY_ENV),
        redact_salt=args.redact_salt or os.environ.get(SALT_ENV),
        **config.serve_options(),
    )
    return 0
