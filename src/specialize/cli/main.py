"""``specialize`` command: dispatches to one module per subcommand."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from specialize import __version__
from specialize.cli import (
    adapt,
    apply,
    audit,
    augment,
    bases,
    benchmark,
    corrections,
    distill,
    evaluate,
    export,
    label,
    link,
    predict,
    redact,
    report,
    review,
    select,
    serve,
    train,
    train_linker,
    train_static,
)
from specialize.cli.common import USAGE_ERROR
from specialize.errors import SpecializeError

# In the order of the workflow: bases -> adapt -> label -> augment -> train/distill -> evaluate -> export -> serve.
COMMANDS = {
    "bases": bases,
    "adapt": adapt,
    "label": label,
    "augment": augment,
    "train": train,
    "distill": distill,
    "train-static": train_static,
    "evaluate": evaluate,
    "audit": audit,
    "benchmark": benchmark,
    "report": report,
    "select": select,
    "corrections": corrections,
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
    """transformers prints weight-loading reports and progress bars; our own log says what matters.

    Said through the environment, which transformers reads when it loads: importing it here took seconds on every
    command, also on those that never use it (predict or serve of an exported folder, which run without it)."""
    if level <= logging.DEBUG:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # loaded already (a caller of main() in the same process)
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


# Modules of the train extra: a command that needs one says which extra installs it.
TRAIN_MODULES = frozenset({"torch", "transformers", "safetensors"})


def _install_hint(exc: Exception) -> str:
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if missing is not None and missing.split(".")[0] in TRAIN_MODULES:
        return (
            "; this command needs torch and transformers: pip install 'specialize[train]' (an exported folder runs "
            "without them: pip install 'specialize[runtime]')"
        )
    return ""


def _one_line(exc: BaseException) -> str:
    """The message on one line: multi-line messages (a file's context) are joined, so logs keep one record."""
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip()) or type(exc).__name__


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
    except SpecializeError as exc:
        # Raised on purpose, with the fix in the message: one line, no traceback (-v shows it).
        if args.verbose:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    except (OSError, ImportError) as exc:
        # The environment, not specialize: a path the OS refused, a package that is not installed.
        if args.verbose:
            raise
        print(f"error: {_one_line(exc)}{_install_hint(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
