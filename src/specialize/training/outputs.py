"""The output folder of a training run (train, distill, train-static), claimed before any work is done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specialize.config import TrainConfig
from specialize.utils.output_folder import OutputClaim, claim_output


def claim_run_output(
    output: str | Path, kind: str, config: TrainConfig | None, *sources: Any, overwrite: bool = False
) -> OutputClaim:
    """Claim ``output`` for command ``kind`` (see :mod:`specialize.utils.output_folder`): the base model and the
    data paths of ``config`` and the other ``sources`` the run reads (folders, files, documents) are protected."""
    read: list[Any] = list(sources)
    if config is not None:
        read += [config.model.base, config.data.train, config.data.dev, config.data.test, config.data.corrections]
    return claim_output(output, kind, overwrite=overwrite, sources=read)
