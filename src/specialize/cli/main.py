"""``specialize`` command: dispatches to one module per subcommand."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from specialize import __version__
from specialize.cli import (
    apply,
    audit,
    bases,
    benchmark,
    distill,
    evaluate,
    export,
    label,
    link,
    predict,
    redact,
    report,
    review,
    serve,
    train,
    train_linker,
    train_static,
)
from specialize.errors import SpecializeError

# In the order of the workflow: bases -> label -> train/distill -> evaluate -> export -> serve/apply.
COMMANDS = {
    "bases": bases,
    "label": label,
    "train": train,
    "distill": distill,
    "train-static": train_static,
    "evaluate": evaluate,
    "audit": audit,
    "benchmark": benchmark,
    "report": report,
    "export": export,
    "predict": predict,
    "review": review,
    "redact": redact,
    "train-linker": train_linker,
    "link": link,
    "serve": serve,
    "apply": apply,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specialize",
        description="Turn big, general NLP models into small, specialized ones: label text with a teacher, "
        "train or distil a small named-entity specialist, compare it with the teacher and general models, export "
        "it for fast CPU inference, and serve or apply it.",
        epilog="Run 'specialize COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"specialize {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(subparsers)
    return parser


def _quiet_transformers(level: int) -> None:
    """transformers prints weight-loading reports and progress bars; our own log says what matters."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    if level > logging.DEBUG:
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("transformers", "httpx", "urllib3", "filelock", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # Saved models and datasets are local; never wait on a hub that may be unreachable.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _quiet_transformers(level)
    try:
        return int(COMMANDS[args.command].run(args) or 0)
    except (SpecializeError, ValueError, FileNotFoundError, ImportError) as exc:
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
