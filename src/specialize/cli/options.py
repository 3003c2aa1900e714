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
