"""What a training run did to its data before learning from it: documents selected (``data.limit``,
``data.sample``) and spans dropped on reading, as notes for the log, the printed result and the model card."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from specialize.config import TrainConfig
from specialize.data.sampling import select

logger = logging.getLogger(__name__)


class _Data(Protocol):
    role: str
    source: str
    notes: list[str]


D = TypeVar("D", bound=_Data)


def selected(data: D, config: TrainConfig, items: str = "documents") -> D:
    """``data`` (its ``items``: documents, or texts for a classifier) cut to ``data.limit`` or ``data.sample``
    (drawn with ``data.sample_seed``, else ``training.seed``), with a note; unchanged without either."""
    cfg = config.data
    if cfg.limit is None and cfg.sample is None:
        return data
    seed = cfg.sample_seed if cfg.sample_seed is not None else config.training.seed
    kept, note = select(getattr(data, items), limit=cfg.limit, sample=cfg.sample, seed=seed)
    if not kept:
        raise ValueError(f"{data.role} data {data.source}: nothing left after {note}")
    logger.info("%s data %s: %s documents", data.role, data.source, note)
    return replace(data, **{items: kept}, notes=[*data.notes, f"{note} documents used"])  # type: ignore[type-var]


def data_notes(*data: Any) -> list[str]:
    """Every note of ``data`` (and of the sources combined in it), as ``"train data SOURCE: NOTE"``."""
    out: list[str] = []
    for d in data:
        if d is None:
            continue
        for part in [d, *getattr(d, "parts", [])]:
            out += [f"{part.role} data {part.source}: {note}" for note in part.notes]
    return out
