"""``specialize label``: raw text in, teacher-labeled JSONL out, resumable through a label store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from specialize.cli.common import USAGE_ERROR, HelpFormatter, add_selection_options

HELP = "label raw text with a teacher (LLM, spaCy, specialist, gazetteer, regex, or a vote of several)"


def _option(value: str) -> tuple[str, Any]:
    key, eq, raw = value.partition("=")
    if not eq or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    try:
        parsed: Any = json.loads(raw)  # numbers, true/false, JSON objects; anything else stays a string
    except json.JSONDecodeError:
        parsed = raw
    return key.strip(), parsed


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "label",
        help=HELP,
        description=HELP + ". Input: .txt (one document per line), .jsonl/.json (a text field), .csv (a text "
        "column) or a folder of .txt files. Output: JSONL like 'specialize predict', with meta.teacher. With "
        "--store, labels are committed per batch and reused: rerun the same command after a crash to resume.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--teacher",
        "-t",
        required=True,
        help="spacy:NAME, a specialist folder (or hf:PATH), gazetteer:FILE, regex:FILE, llm:MODEL, or vote:SPEC+SPEC",
    )
    p.add_argument("--input", "-i", required=True, help="input file or folder")
    p.add_argument("--output", "-o", required=True, help="output JSONL file")
    p.add_argument("--store", help="SQLite label store (created if missing) to resume from and fill")
    p.add_argument("--label-map", help="rename teacher labels, e.g. PERSON=PER,GPE=LOC (or a preset: conll)")
    p.add_argument(
        "--labels", help="labels to keep; for llm: the label set, as A,B or a JSON file {label: description}"
    )
    add_selection_options(p, "--input")
    p.add_argument("--batch-size", type=int, default=32, help="documents per batch (one store commit each)")
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument(
        "--option",
        "-O",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="teacher option, repeatable; VALUE is parsed as JSON when it is valid JSON "
        "(e.g. base_url=http://localhost:8000/v1, max_concurrency=8, case_sensitive=true)",
    )
    p.add_argument(
        "--engine", choices=["local", "ray"], default="local",
        help="ray: run the teacher on Ray actors (pip install 'specialize[ray]'); the store stays local",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=2, help="Ray actors, each loading the teacher once")
    p.add_argument("--address", help="address of an existing Ray cluster (default: start a local one)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_llm_options(p)


# LLMConfig fields with an option of their own elsewhere: the model is the MODEL of llm:MODEL, labels are --labels.
_LLM_SKIP = ("model", "labels")
_LLM_FLAGS = {"name": "--teacher-name"}


def _add_llm_options(p: argparse.ArgumentParser) -> None:
    from dataclasses import MISSING

    from specialize.teachers.llm_config import FIELDS, HELP

    group = p.add_argument_group(
        "LLM teacher (llm:MODEL)",
        "Settings of an llm: teacher, also read from the [llm] table of --config (these win over the file); "
        "the label set is --labels. Start a local server with scripts/llm_server.sh start.",
    )
    group.add_argument(
        "--config", dest="llm_config", metavar="TOML", default=argparse.SUPPRESS,
        help="TOML file with an [llm] table of the settings below (keys as in -O, e.g. base_url = \"...\")",
    )  # fmt: skip
    for name, f in FIELDS.items():
        if name in _LLM_SKIP:
            continue
        default = f.default if f.default is not MISSING else None
        group.add_argument(
            _LLM_FLAGS.get(name, "--" + name.replace("_", "-")),
            dest=f"llm_{name}",
            metavar=name.upper(),
            default=argparse.SUPPRESS,
            help=(HELP[name] + (f" (default: {default})" if default is not None else "")).replace("%", "%%"),
        )


def _llm_options(args: argparse.Namespace) -> dict[str, Any]:
    """The LLM options given on the command line, as teacher options (validated by LLMConfig)."""
    # dest llm_X -> option X (llm_config -> config: the TOML file under the other options)
    return {key[4:]: value for key, value in vars(args).items() if key.startswith("llm_")}


def run(args: argparse.Namespace) -> int:
    from specialize.teachers.label import label
    from specialize.teachers.llm import LLMRequestError

    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    options = {**dict(args.option), **_llm_options(args)}
    if args.labels:
        options["labels"] = args.labels
    try:
        stats = label(
            args.teacher,
            args.input,
            args.output,
            store=args.store,
            batch_size=args.batch_size,
            text_field=args.text_field,
            progress=not args.no_progress,
            label_map=label_map,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            limit=args.limit,
            sample=args.sample,
            sample_seed=args.seed,
            **options,
        )
    except LLMRequestError as exc:  # the server kept failing, or refused the request
        hint = "; the labeled batches are in the store: rerun the same command to resume" if args.store else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(stats.to_dict(), indent=2) if args.json else stats.summary())
    return 0
