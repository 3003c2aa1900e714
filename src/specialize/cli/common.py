"""What several commands share: arguments, the help formatter, how a score with its interval prints, and how a
``--json`` result is written with its config."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specialize.config import CommandConfig, save_config_beside


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only when there is one to show: no "(default: None)" after an optional value, nor a
    second default after a help text that already says what happens without the option."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        if action.default is None or action.default is False or "(default" in help_text:
            return help_text
        return super()._get_help_string(action)


# The exit code of an error the user can fix (a SpecializeError, raised on purpose); argparse uses 2 for bad options.
USAGE_ERROR = 2


def score_with_ci(value: float, ci: Sequence[float] | None, places: int = 4) -> str:
    """``0.8925 [0.8831, 0.9012]``: the interval with as many places as the score."""
    text = f"{value:.{places}f}"
    return text + (f" [{ci[0]:.{places}f}, {ci[1]:.{places}f}]" if ci else "")


def add_overwrite_option(p: argparse.ArgumentParser, command: str) -> None:
    """``--overwrite`` for a command that writes a folder (see specialize/utils/output_folder.py)."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace an output folder that an earlier 'specialize {command}' wrote (never one holding anything "
        "else, the current folder or an input)",
    )


def write_json(path: str, value: Any, config: CommandConfig) -> None:
    """The ``--json`` of evaluate, audit and benchmark, and the resolved config next to it as ``OUT.json.config.toml``
    (see specialize.config.save_config_beside: a rerun replaces the config an earlier run saved, never another file)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
    save_config_next_to(path, config)


def save_config_next_to(output: str | Path, config: CommandConfig, *, stderr: bool = False) -> None:
    """The resolved config beside a command's output file as ``OUTPUT.config.toml``, and a line saying so (on
    standard error for commands whose standard output carries data). A rerun replaces only a config an earlier
    run of the same command saved there (specialize.config.save_config_beside)."""
    saved = save_config_beside(output, config, replace_own=True)
    if saved is not None:
        print(f"wrote {saved}", file=sys.stderr if stderr else sys.stdout)
