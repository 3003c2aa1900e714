"""What a training run did to its data before learning from it: documents selected (``data.limit``,
``data.sample``) and annotations dropped on reading, as notes for the log, the printed result and the model card."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from specialize.config import TrainConfig
from specialize.data.labels import describe_drops
from specialize.data.loading import LoadedData
from specialize.data.sampling import select
from specialize.errors import DataError

logger = logging.getLogger(__name__)


def selected(data: LoadedData[Any], config: TrainConfig) -> LoadedData[Any]:
    """``data`` cut to ``data.limit`` items or ``data.sample`` drawn with ``data.sample_seed`` (else
    ``training.seed``), with a note; unchanged without either."""
    cfg = config.data
    if cfg.limit is None and cfg.sample is None:
        return data
    seed = cfg.sample_seed if cfg.sample_seed is not None else config.training.seed
    kept, note = select(data.items, limit=cfg.limit, sample=cfg.sample, seed=seed)
    if not kept:
        raise DataError(f"{data.role} data {data.source}: nothing left after {note}")
    logger.info("%s data %s: %s documents", data.role, data.source, note)
    return replace(data, items=kept, notes=[*data.notes, f"{note} documents used"])


def data_notes(*data: LoadedData[Any] | None) -> list[str]:
    """Every note of ``data`` as ``"train data SOURCE: NOTE"``: the annotations each source lost on reading
    (``data.labels``, a teacher's label map), then what was selected."""
    out: list[str] = []
    for d in data:
        if d is None:
            continue
        for part in d.parts or [d]:
            if part.dropped:
                dropped = describe_drops(part.dropped, "types not in data.labels", part.count_name.removesuffix("s"))
                out.append(f"{part.role} data {part.source}: {dropped}")
        out += [f"{d.role} data {d.source}: {note}" for note in d.notes]
    return out
