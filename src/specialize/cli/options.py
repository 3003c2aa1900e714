"""Arguments several commands share that belong to no one command."""

from __future__ import annotations

import argparse


def add_overwrite_option(p: argparse.ArgumentParser, command: str) -> None:
    """``--overwrite`` for a command that writes a folder (see specialize/utils/output_folder.py)."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace an output folder that an earlier 'specialize {command}' wrote (never one holding anything "
        "else, the current folder or an input)",
    )


def add_selection_options(p: argparse.ArgumentParser, what: str, *, seed: bool = True) -> None:
    """``--limit`` / ``--sample`` (and ``--seed``) to run on part of ``what`` (see specialize/data/sampling.py)."""
    p.add_argument("--limit", type=int, metavar="N", help=f"use only the first N documents of {what}")
    p.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help=f"use N documents of {what} drawn at random (--seed), kept in their order",
    )
    if seed:
        p.add_argument("--seed", type=int, default=0, help="random seed of --sample")
