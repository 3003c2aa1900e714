"""``specialize select``: pick the documents most worth correcting and write them as Label Studio / Prodigy tasks."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "pick the documents a model is least sure of and write them as tasks to correct (Label Studio, Prodigy)"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "select",
        help=HELP,
        description=HELP + ". Writes into --output: label_studio_tasks.json (import it into a Label Studio "
        "project; the model's spans are predictions to correct), label_studio_config.xml (the project's labeling "
        "config), prodigy_tasks.jsonl (for a Prodigy ner.manual-style recipe), selected.jsonl and selection.json. "
        "Documents already corrected (--exclude, by id, else by text) are never picked. After correcting, read "
        "the export back with 'specialize corrections import'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="a specialist folder (torch or exported), or spacy:NAME")
    p.add_argument("--input", "-i", required=True, help="texts (.txt, .jsonl, .csv, folder) or silver documents")
    p.add_argument("--output", "-o", required=True, help="folder to write the tasks into (a new one per round)")
    p.add_argument("--n", "-n", type=int, default=200, help="documents to pick")
    p.add_argument("--strategy", choices=["uncertainty", "random", "diverse"], default="uncertainty")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="documents already corrected (e.g. corrected.jsonl from 'corrections import'); repeatable",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random strategy")
    p.add_argument(
        "--confidence",
        choices=["min_word_prob", "min_token_margin", "min_span_score"],
        help="document confidence (default: min_word_prob for a specialist, min_span_score otherwise)",
    )
    p.add_argument(
        "--pre-annotations",
        choices=["model", "input"],
        default="model",
        help="spans shown to correct: the model's, or the input's own (e.g. a teacher's silver labels)",
    )
    p.add_argument("--candidates", type=int, default=3, help="diverse: spread over the N x this least confident")
    p.add_argument("--model-version", help="model_version written into the tasks (default: the model's name)")
    p.add_argument("--text-field", default="text", help="field/column holding the text in JSONL or CSV input")
    p.add_argument("--label-map", help="for spacy: models, e.g. PERSON=PER,GPE=LOC")


def run(args: argparse.Namespace) -> int:
    from specialize.correction.select import select_tasks

    selection, paths = select_tasks(
        args.model,
        args.input,
        args.output,
        n=args.n,
        strategy=args.strategy,
        exclude=args.exclude,
        seed=args.seed,
        confidence=args.confidence,
        pre_annotations=args.pre_annotations,
        model_version=args.model_version,
        text_field=args.text_field,
        label_map=args.label_map,
        candidates=args.candidates,
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
