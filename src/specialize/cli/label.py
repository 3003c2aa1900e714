"""``specialize label``: raw text in, teacher-labeled JSONL out, resumable through a label store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from specialize.cli.common import USAGE_ERROR, HelpFormatter
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

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
    from specialize.command_configs import ENGINES, LabelConfig

    p = subparsers.add_parser(
        "label",
        help=HELP,
        description=HELP + ". Input: .txt (one document per line), .jsonl/.json (a text field), .csv (a text "
        "column) or a folder of .txt files. Output: JSONL like 'specialize predict', with meta.teacher. With "
        "--store, labels are committed per batch and reused: rerun the same command after a crash to resume. "
        "Options override the --config file ([label] and [llm] tables); the resolved config is saved next to the "
        "output as OUTPUT.config.toml unless that file exists.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, LabelConfig, example="llm.n_examples=5", saved="the OUTPUT.config.toml of an earlier run")
    flags.add(
        p,
        "label.teacher",
        "--teacher",
        "-t",
        help="spacy:NAME, a specialist folder (or hf:PATH), gazetteer:FILE, regex:FILE, llm:MODEL, or vote:SPEC+SPEC",
    )
    flags.add(p, "label.input", "--input", "-i", help="input file or folder")
    p.add_argument("--output", "-o", required=True, help="output JSONL file")
    flags.add(p, "label.store", "--store", help="SQLite label store (created if missing) to resume from and fill")
    flags.add(
        p, "label.label_map", "--label-map", help="rename teacher labels, e.g. PERSON=PER,GPE=LOC (or a preset: conll)"
    )
    flags.add(
        p,
        "label.labels",
        "--labels",
        help="labels to keep; for llm: the label set, as A,B or a JSON file {label: description}",
    )
    flags.add(p, "label.limit", "--limit", metavar="N", help="use only the first N documents of --input")
    flags.add(
        p,
        "label.sample",
        "--sample",
        metavar="N",
        help="use N documents of --input drawn at random (--seed), kept in their order",
    )
    flags.add(p, "label.seed", "--seed", help="random seed of --sample")
    flags.add(p, "label.batch_size", "--batch-size", help="documents per batch (one store commit each)")
    flags.add(p, "label.text_field", "--text-field", help="field/column holding the text in JSONL or CSV input")
    flags.add(
        p,
        "label.options",
        "--option",
        "-O",
        type=_option,
        action="append",
        convert=dict,
        metavar="KEY=VALUE",
        help="teacher option, repeatable; VALUE is parsed as JSON when it is valid JSON "
        "(e.g. base_url=http://localhost:8000/v1, max_concurrency=8, case_sensitive=true); replaces the options "
        "of --config",
    )
    flags.add(
        p,
        "label.engine",
        "--engine",
        choices=list(ENGINES),
        help="ray: run the teacher on Ray actors (pip install 'specialize[ray]'); the store stays local",
    )
    flags.add(p, "label.workers", "--workers", help="Ray actors, each loading the teacher once")
    flags.add(p, "label.address", "--address", help="address of an existing Ray cluster (default: start a local one)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    flags.add(p, "label.progress", "--no-progress", const=False, help="no progress bar")
    _add_llm_options(p, flags)


# LLMConfig fields with an option of their own elsewhere: the model is the MODEL of llm:MODEL, labels are --labels.
_LLM_SKIP = ("model", "labels")
_LLM_FLAGS = {"name": "--teacher-name"}


def _add_llm_options(p: argparse.ArgumentParser, flags: ConfigFlags) -> None:
    from specialize.teachers.llm_config import FIELDS, HELP

    group = p.add_argument_group(
        "LLM teacher (llm:MODEL)",
        "Settings of an llm: teacher, also read from the [llm] table of --config (these win over the file); "
        "the label set is --labels. Start a local server with scripts/llm_server.sh start.",
    )
    for name in FIELDS:
        if name in _LLM_SKIP:
            continue
        flags.add(
            group,
            f"llm.{name}",
            _LLM_FLAGS.get(name, "--" + name.replace("_", "-")),
            dest=f"llm_{name}",
            metavar=name.upper(),
            help=HELP[name],
        )


def _config_file(args: argparse.Namespace) -> str | None:
    """--config; without it, for an llm: teacher, the file $SPECIALIZE_LLM_CONFIG names (its [llm] table), read
    here rather than by the teacher so that the config saved with the labels holds those settings too."""
    from specialize.command_configs import llm_option
    from specialize.teachers.llm_config import ENV_CONFIG

    if args.config is None and args.teacher is not None and llm_option(args.teacher) is not None:
        return os.environ.get(ENV_CONFIG) or None
    return args.config


def run(args: argparse.Namespace) -> int:
    from specialize.data.labels import parse_label_map
    from specialize.teachers.label import label
    from specialize.teachers.llm import LLMRequestError

    config = resolve_config(args, path=_config_file(args))
    if print_config(args, config):
        return 0
    settings = config.label
    try:
        stats = label(
            settings.teacher,
            settings.input,
            args.output,
            store=settings.store,
            batch_size=settings.batch_size,
            text_field=settings.text_field,
            progress=settings.progress,
            label_map=parse_label_map(settings.label_map) if settings.label_map else None,
            engine=settings.engine,
            workers=settings.workers,
            address=settings.address,
            limit=settings.limit,
            sample=settings.sample,
            sample_seed=settings.seed,
            saved_config=config,
            **config.teacher_options(),
        )
    except LLMRequestError as exc:  # the server kept failing, or refused the request
        hint = "; the labeled batches are in the store: rerun the same command to resume" if settings.store else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(stats.to_dict(), indent=2) if args.json else stats.summary())
    return 0
