"""``specialize audit``: a model's person recall and F1 with the names of a test set swapped per name group."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.errors import ConfigError

HELP = "bias audit: swap the person names of a test set for names of other origins and genders, compare scores"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "audit",
        help=HELP,
        description=HELP + ". Every person span gets a name from each group (given names by origin and gender, "
        "surnames by origin: the lists are in specialize.audit.names), other spans move with the text; the model "
        "predicts every variant and the table shows recall and F1 per group (all types and person spans only) "
        "with 95% bootstrap intervals, and the largest gap between groups. The model folder is left as it is "
        "unless --update-card is given.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="a folder written by 'specialize train' or 'specialize export', or spacy:NAME_OR_PATH",
    )
    p.add_argument("--data", required=True, help="gold data with person spans: path or dataset name (conll2003:test)")
    p.add_argument("--label-map", help="map a general model's labels to the data's, e.g. PERSON=PER or preset conll")
    p.add_argument("--person-labels", default="PER,PERSON", help="gold labels of person spans, comma-separated")
    p.add_argument("--groups", help="comma-separated name groups (default: all), e.g. anglo-female,arabic-male")
    p.add_argument("--seed", type=int, default=0, help="seed of the name draws and of the bootstrap")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (0 = none)")
    p.add_argument("--json", metavar="OUT", help="write the audit as one JSON record (task bias-audit)")
    p.add_argument(
        "--update-card",
        action="store_true",
        help="write the table into MODEL/README.md as a '## Bias audit' section (replacing an earlier one)",
    )


def run(args: argparse.Namespace) -> int:
    from specialize.audit import audit, format_audit, update_model_card
    from specialize.evaluation.evaluate import command_line

    if args.update_card and not Path(args.model).is_dir():
        raise ConfigError(f"--update-card needs a model folder; {args.model!r} is not one")
    result = audit(
        args.model,
        args.data,
        label_map=args.label_map,
        groups=[g.strip() for g in args.groups.split(",") if g.strip()] if args.groups else None,
        person_labels=[label.strip() for label in args.person_labels.split(",") if label.strip()],
        seed=args.seed,
        n_bootstrap=args.bootstrap,
    )
    print(format_audit(result))
    command = command_line()
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result.to_record(command=command), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    if args.update_card:
        print(f"updated {update_model_card(args.model, result, command=command)}")
    return 0
