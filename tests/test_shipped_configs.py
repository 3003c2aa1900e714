"""Every config under configs/ loads and validates with the command its ``# run:`` line names (train when it has
none), and that line runs the file it sits in: a key renamed in code cannot leave a shipped recipe behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from specialize.command_configs.learning import DistillConfig, TrainConfig, TrainStaticConfig
from specialize.config import load_command_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))
COMMANDS = {"train": TrainConfig, "distill": DistillConfig, "train-static": TrainStaticConfig}


def _run_line(path: Path) -> list[str] | None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# run:").split() if first.startswith("# run:") else None


def test_there_are_shipped_configs():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_a_shipped_config_loads_with_its_command(path):
    run = _run_line(path)
    command = "train"
    if run is not None:
        assert run[0] == "specialize" and run[1] in COMMANDS, f"{path.name}: run line names {run[:2]}"
        command = run[1]
        assert run[run.index("--config") + 1] == f"configs/{path.name}", f"{path.name}: its run line runs another file"
        assert "--output" in run
    config = load_command_config(COMMANDS[command], path)
    assert config.data.train and config.data.dev, f"{path.name}: a recipe needs train and dev data"
