"""``specialize report``: one self-contained HTML report card from result JSON files."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import HelpFormatter, save_config_next_to
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.errors import ConfigError

HELP = "write one self-contained HTML report from evaluation, speed, distillation and cascade JSON files"


def _aliases(items: list[str]) -> dict[str, str]:
    """``--alias OLD=NEW`` (repeated) as ``{OLD: NEW}``."""
    aliases = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(
                f"--alias {item!r}: expected OLD=NEW, e.g. --alias 'conll2003=MiniLM-L6 CoNLL specialist'"
            )
        aliases[old.strip()] = new.strip()
    return aliases


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import ReportConfig

    p = subparsers.add_parser(
        "report",
        help=HELP,
        description=HELP + " (inline CSS and SVG charts: no script, nothing fetched; open it anywhere). Each "
        "record's kind is recognised by its keys, so pass any mix of files. Options override the --config file "
        "([report] table); the resolved config is saved next to the page as OUTPUT.config.toml (a file of that "
        "name is replaced only if an earlier report wrote it there).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, ReportConfig, example="report.title=Results", saved="the OUTPUT.config.toml of a run")
    flags.add(
        p,
        "report.results",
        "results",
        nargs="*",
        metavar="RESULTS",
        convert=lambda results: results or None,
        help="JSON from specialize evaluate --json (add --json-examples for example errors), specialize benchmark "
        "--json, specialize evaluate --cascade ... --json, or benchmarks/results/*.json; required, here or in the "
        "config",
    )
    p.add_argument("--output", "-o", default="report.html", help="the HTML file to write")
    flags.add(p, "report.title", "--title", help="page title")
    flags.add(
        p,
        "report.aliases",
        "--alias",
        action="append",
        metavar="OLD=NEW",
        convert=_aliases,
        help="call model OLD by the name NEW (repeatable; replaces the aliases of --config); models with the same "
        "scores on the same documents in different files already share one name",
    )
    flags.add(
        p,
        "report.price_per_cpu_hour",
        "--price-per-cpu-hour",
        help="US dollars per vCPU-hour for the cost table (the default is about one on-demand cloud vCPU)",
    )


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.evaluation.report import report

    r = config.report
    path = report(r.results, args.output, title=r.title, price_per_cpu_hour=r.price_per_cpu_hour, aliases=r.aliases)
    print(f"wrote {path}")
    save_config_next_to(path, config)
    return 0
