"""``specialize select``: pick the documents most worth correcting and write them as Label Studio / Prodigy tasks."""

from __future__ import annotations

import argparse
import json
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE

HELP = "pick the documents a model is least sure of and write them as tasks to correct (Label Studio, Prodigy)"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import SelectConfig
    from specialize.correction.select import PRE_ANNOTATIONS, STRATEGIES
    from specialize.evaluation.confidence import CONFIDENCES

    p = subparsers.add_parser(
        "select",
        help=HELP,
        description=HELP + ". Writes into --output: label_studio_tasks.json (import it into a Label Studio "
        "project; the model's spans are predictions to correct), label_studio_config.xml (the project's labeling "
        f"config), prodigy_tasks.jsonl (for a Prodigy ner.manual-style recipe), selected.jsonl, selection.json and "
        f"the resolved config ({CONFIG_FILE}). Documents already corrected (--exclude, by id, else by text) are "
        "never picked. After correcting, read the export back with 'specialize corrections import'. Options "
        "override the --config file ([select] table).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, SelectConfig, example="select.n=50")
    flags.add(
        p,
        "select.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a specialist folder (torch or exported), or spacy:NAME; required, here or in the config",
    )
    flags.add(p, "select.input", "--input", "-i", help="texts (.txt, .jsonl, .csv, folder) or silver documents")
    p.add_argument("--output", "-o", required=True, help="folder to write the tasks into (a new one per round)")
    flags.add(p, "select.n", "--n", "-n", help="documents to pick")
    flags.add(p, "select.strategy", "--strategy", choices=list(STRATEGIES), help="how documents are picked")
    flags.add(
        p,
        "select.exclude",
        "--exclude",
        action="append",
        metavar="FILE",
        convert=list,
        help="documents already corrected (e.g. corrected.jsonl from 'corrections import'); repeatable; replaces "
        "the exclude list of --config",
    )
    flags.add(p, "select.seed", "--seed", help="seed of the random strategy")
    flags.add(
        p,
        "select.confidence",
        "--confidence",
        choices=list(CONFIDENCES),
        help="document confidence (default: min_word_prob for a specialist, min_span_score otherwise)",
    )
    flags.add(
        p,
        "select.pre_annotations",
        "--pre-annotations",
        choices=list(PRE_ANNOTATIONS),
        help="spans shown to correct: the model's, or the input's own (e.g. a teacher's silver labels)",
    )
    flags.add(p, "select.candidates", "--candidates", help="diverse: spread over the N x this least confident")
    flags.add(
        p,
        "select.model_version",
        "--model-version",
        help="model_version written into the tasks (default: the model's name)",
    )
    flags.add(p, "select.text_field", "--text-field", help="field/column holding the text in JSONL or CSV input")
    flags.add(p, "select.label_map", "--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.correction.select import select_tasks

    s = config.select
    selection, paths = select_tasks(
        s.model,
        s.input,
        args.output,
        n=s.n,
        strategy=s.strategy,
        exclude=s.exclude,
        seed=s.seed,
        confidence=s.confidence,
        pre_annotations=s.pre_annotations,
        model_version=s.model_version,
        text_field=s.text_field,
        label_map=s.label_map,
        candidates=s.candidates,
        saved_config=config,
    )
    summary = selection.to_dict()
    print(
        f"selected {summary['selected']} of {summary['pool']} documents ({selection.strategy}, {selection.confidence}; "
        f"{summary['excluded_already_corrected']} already corrected left out)"
    )
    for path in paths.values():
        print(f"wrote {path}")
    print(json.dumps(summary["selected_confidence"]))
    return 0
