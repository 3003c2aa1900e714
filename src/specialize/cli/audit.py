"""``specialize audit``: a model's person recall and F1 with the names of a test set swapped per name group."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter, write_json
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.errors import ConfigError

HELP = "bias audit: swap the person names of a test set for names of other origins and genders, compare scores"


def _names(value: str) -> list[str]:
    """``a, b`` -> ``["a", "b"]``, as the comma-separated flags have always read them."""
    return [name.strip() for name in value.split(",") if name.strip()]


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import AuditConfig

    p = subparsers.add_parser(
        "audit",
        help=HELP,
        description=HELP + ". Every person span gets a name from each group (given names by origin and gender, "
        "surnames by origin: the lists are in specialize.audit.names), other spans move with the text; the model "
        "predicts every variant and the table shows recall and F1 per group (all types and person spans only) "
        "with 95% bootstrap intervals, and the largest gap between groups. The model folder is left as it is "
        "unless --update-card is given. Options override the --config file ([audit] table); with --json the "
        "resolved config is saved next to it as OUT.json.config.toml (a file of that name is replaced only if an "
        "earlier audit wrote it there), never into the model folder.",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, AuditConfig, example="audit.bootstrap=0", saved="the OUT.json.config.toml of a run")
    flags.add(
        p,
        "audit.model",
        "model",
        metavar="MODEL",
        nargs="?",
        help="a folder written by 'specialize train' or 'specialize export', or spacy:NAME_OR_PATH; required, here "
        "or in the config",
    )
    flags.add(p, "audit.data", "--data", help="gold data with person spans: path or dataset name (conll2003:test)")
    flags.add(
        p,
        "audit.label_map",
        "--label-map",
        help="map a general model's labels to the data's, e.g. PERSON=PER or preset conll",
    )
    flags.add(
        p, "audit.person_labels", "--person-labels", convert=_names, help="gold labels of person spans, comma-separated"
    )
    flags.add(
        p,
        "audit.groups",
        "--groups",
        convert=lambda value: _names(value) or None,
        help="comma-separated name groups (default: all), e.g. anglo-female,arabic-male",
    )
    flags.add(p, "audit.seed", "--seed", help="seed of the name draws and of the bootstrap")
    flags.add(p, "audit.bootstrap", "--bootstrap", help="bootstrap samples for the intervals (0 = none)")
    p.add_argument("--json", metavar="OUT", help="write the audit as one JSON record (task bias-audit)")
    flags.add(
        p,
        "audit.update_card",
        "--update-card",
        const=True,
        help="write the table into MODEL/README.md as a '## Bias audit' section (replacing an earlier one)",
    )


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.audit import audit, format_audit, update_model_card
    from specialize.evaluation.evaluate import command_line

    a = config.audit
    if a.update_card and not Path(a.model).is_dir():
        raise ConfigError(f"--update-card needs a model folder; {a.model!r} is not one")
    result = audit(
        a.model,
        a.data,
        label_map=a.label_map,
        groups=a.groups,
        person_labels=a.person_labels,
        seed=a.seed,
        n_bootstrap=a.bootstrap,
    )
    print(format_audit(result))
    command = command_line()
    if args.json:
        write_json(args.json, result.to_record(command=command), config)
    if a.update_card:
        print(f"updated {update_model_card(a.model, result, command=command)}")
    return 0
