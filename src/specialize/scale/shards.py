"""One shard of an ``apply`` run: its records, where it goes, and the one step that fills it, for every engine
(local worker processes, Ray actors) and every kind of model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialize.models.base import Classifier, SpanPredictor
from specialize.scale.sources import write_shard
from specialize.scale.tasks import predict_fields


@dataclass
class ShardJob:
    """One shard to do: its records, where it goes, and how to write it."""

    index: int
    records: list[dict[str, Any]]
    path: Path
    kind: str
    text_field: str
    schema: Any = None


def shard_name(index: int, kind: str) -> str:
    return f"part-{index:05d}.{kind}"


def run_job(
    model: SpanPredictor | Classifier,
    job: ShardJob,
    batch_size: int = 64,
    before_write: Callable[[], None] | None = None,
) -> int:
    """Predict one shard's texts and write the shard: the same step for every kind of model and engine.
    ``before_write`` runs between the two (a worker checks there that its parent still waits for the shard)."""
    texts = [r[job.text_field] for r in job.records]
    fields = predict_fields(model, texts, batch_size)
    if before_write is not None:
        before_write()
    write_shard(job.path, job.records, fields, job.kind, job.schema)
    return len(job.records)
