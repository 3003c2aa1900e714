"""``specialize report``: one self-contained HTML report card from result JSON files."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.common import HelpFormatter
from specialize.errors import ConfigError

HELP = "write one self-contained HTML report from evaluation, speed, distillation and cascade JSON files"


def add_parser(subparsers: Any) -> None:
    from specialize.evaluation.report import DEFAULT_PRICE_PER_CPU_HOUR

    p = subparsers.add_parser(
        "report",
        help=HELP,
        description=HELP + " (inline CSS and SVG charts: no script, nothing fetched; open it anywhere). Each "
        "record's kind is recognised by its keys, so pass any mix of files.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS",
        help="JSON from specialize evaluate --json (add --json-examples for example errors), specialize benchmark "
        "--json, specialize evaluate --cascade ... --json, or benchmarks/results/*.json",
    )
    p.add_argument("--output", "-o", default="report.html", help="the HTML file to write")
    p.add_argument("--title", default="specialize report", help="page title")
    p.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="call model OLD by the name NEW (repeatable); models with the same scores on the same documents in "
        "different files already share one name",
    )
    p.add_argument(
        "--price-per-cpu-hour",
        type=float,
        default=DEFAULT_PRICE_PER_CPU_HOUR,
        help="US dollars per vCPU-hour for the cost table (the default is about one on-demand cloud vCPU)",
    )


def run(args: argparse.Namespace) -> int:
    from specialize.evaluation.report import report

    aliases = {}
    for item in args.alias:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(
                f"--alias {item!r}: expected OLD=NEW, e.g. --alias 'conll2003=MiniLM-L6 CoNLL specialist'"
            )
        aliases[old.strip()] = new.strip()
    path = report(
        args.results, args.output, title=args.title, price_per_cpu_hour=args.price_per_cpu_hour, aliases=aliases
    )
    print(f"wrote {path}")
    return 0
