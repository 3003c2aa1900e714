"""A training run's data beyond the gold splits, and what the run did to its data before learning from it:
unlabeled texts read for a teacher to label, documents selected (``data.limit``, ``data.sample``) and annotations
dropped on reading, as notes for the log, the printed result and the model card."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from specialize.config import DataConfig, TrainConfig
from specialize.data.document import Document
from specialize.data.labels import describe_drops
from specialize.data.loading import LoadedData, combine, names_a_source, sha256_of
from specialize.data.sampling import select
from specialize.errors import DataError
from specialize.tasks.base import UNLABELED, Task

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


def is_source_list(source: Any) -> bool:
    """Whether ``source`` names several places to read texts from (as ``distillation.unlabeled = [...]`` does)
    rather than holding texts: every entry a file, folder or dataset name (:func:`names_a_source`). An unknown
    dataset name then fails on reading, naming it."""
    return isinstance(source, list | tuple) and bool(source) and all(names_a_source(s) for s in source)


def load_unlabeled(task: Task, source: Any, text_field: str) -> LoadedData[Any] | None:
    """Unlabeled texts as items without annotations: texts or items in memory, a text/JSONL/CSV file or a folder
    (``text_field`` names the JSONL field or CSV column), a dataset name (its annotations dropped), or a list of
    such files and names (read in order, each kept for the model card)."""
    if source is None:
        return None
    if is_source_list(source):
        parts = [load_unlabeled(task, s, text_field) for s in source]
        return combine(UNLABELED, [part for part in parts if part is not None])
    if isinstance(source, str | Path):
        path = Path(source)
        if path.exists():
            from specialize.data.io import read_texts

            documents = read_texts(source, text_field=text_field)
            data = LoadedData(
                UNLABELED, str(source), task.unlabeled(documents), path, sha256_of(path),
                count_name=task.count_name, count=task.count,
            )  # fmt: skip
        else:  # a dataset name: its file and checksum go to the card, its labels are dropped
            named = task.load(UNLABELED, str(source), DataConfig())
            data = replace(named, items=task.unlabeled(named.items), dropped=Counter())
    else:
        documents = [d if hasattr(d, "text") else Document(str(d)) for d in source]
        data = LoadedData(UNLABELED, "(texts)", task.unlabeled(documents), count_name=task.count_name, count=task.count)
    if not data.items:
        raise DataError(f"unlabeled data {data.source} contains no texts")
    return data
