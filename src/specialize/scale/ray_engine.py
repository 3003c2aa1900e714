"""The ``ray`` engine of ``apply``: Ray Data ``map_batches`` over a fixed actor pool, one model load per actor.

The driver reads the pending shards, sends only ``(shard, row, text)`` to Ray (records stay in the driver),
and streams predictions back in order; a shard is written as soon as all its rows are back, so a crash loses
at most the shards in flight. ``ray`` is imported inside functions only: the rest of the package never needs it.

With ``address=None`` and no Ray running, a local Ray is started (and shut down afterwards); with an address,
the cluster's workers must have ``specialize`` installed and the model folder at the same path.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from specialize.scale.shards import ShardJob
from specialize.scale.sources import write_shard
from specialize.scale.tasks import predict_fields
from specialize.utils.optional import require

logger = logging.getLogger(__name__)


class RayPredictor:
    """The callable class Ray Data instantiates once per actor: loads the model, then predicts batch after batch."""

    def __init__(self, spec: str, batch_size: int = 64, threads: int | None = None) -> None:
        from specialize.models.resolve import load_model
        from specialize.utils.threads import set_threads

        set_threads(threads)
        self.model = load_model(spec)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        fields = predict_fields(self.model, texts, self.batch_size)
        # The answers travel back as JSON strings: a plain string column, whatever their shape (spans, labels).
        encoded = [json.dumps(f, ensure_ascii=False) for f in fields]
        return {"shard": batch["shard"], "row": batch["row"], "fields": np.array(encoded, dtype=object)}


def run_ray(
    spec: str,
    jobs: Iterable[ShardJob],
    done: Callable[[int, int], None],
    *,
    workers: int = 2,
    address: str | None = None,
    batch_size: int = 64,
    threads: int | None = None,
) -> None:
    """Predict the texts of ``jobs`` on ``workers`` Ray actors (each loads ``spec``: a span model or a
    classifier, with ``threads`` CPU threads) and write each shard as soon as all its rows are back;
    ``done(index, n)`` after each."""
    ray = require("ray", "ray", "ray[data]")
    require("ray.data", "ray", "ray[data]")
    pending = {job.index: job for job in jobs}
    if not pending:
        return
    items = [
        {"shard": job.index, "row": row, "text": record[job.text_field]}
        for job in pending.values()
        for row, record in enumerate(job.records)
    ]
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    # In order: shards then complete one after another, so few partial shards wait in the driver's memory.
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # apply shows its own progress
    try:
        dataset = ray.data.from_items(items, override_num_blocks=max(workers, math.ceil(len(items) / batch_size)))
        del items
        predicted = dataset.map_batches(
            RayPredictor,
            fn_constructor_kwargs={"spec": spec, "batch_size": batch_size, "threads": threads},
            compute=ray.data.ActorPoolStrategy(size=workers),
            batch_size=batch_size,
            batch_format="numpy",
        )
        partial: dict[int, dict[int, dict[str, Any]]] = {}
        for batch in predicted.iter_batches(batch_size=batch_size, batch_format="numpy"):
            for shard, row, fields in zip(batch["shard"], batch["row"], batch["fields"], strict=True):
                rows = partial.setdefault(int(shard), {})
                if int(row) in rows:
                    raise RuntimeError(f"row {row} of shard {shard} came back twice")
                rows[int(row)] = json.loads(fields)
                job = pending[int(shard)]
                if len(rows) == len(job.records):
                    ordered = [rows[i] for i in range(len(job.records))]
                    write_shard(job.path, job.records, ordered, job.kind, job.schema)
                    del partial[int(shard)]
                    done(job.index, len(job.records))
        if partial:
            raise RuntimeError(f"shards {sorted(partial)[:5]} came back incomplete; rerun to resume")
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        if started_here:
            ray.shutdown()
