"""A teacher whose labeling runs on Ray actors: ``specialize label --engine ray``.

It is an ordinary :class:`~specialize.teachers.base.Teacher` to ``label``: the driver keeps the label store,
the statistics and the output (one writer, so resuming works as it does locally) and only the teacher's work
(a big model, an LLM client with its own concurrency) is spread over ``workers`` actors, each loading the
teacher once. Actors restart and their calls are retried when one dies, so a killed worker loses no document.
``ray`` is imported inside functions only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.teachers.base import TeacherOutput
from specialize.utils.optional import require

logger = logging.getLogger(__name__)

# What travels back from an actor: plain values, cheap to serialise.
_Packed = tuple[list[tuple[int, int, str, float | None]], dict[str, int], dict[str, float], dict[str, int]]


class _TeacherWorker:
    """Runs in a Ray actor: the teacher is loaded once, then labels chunk after chunk."""

    def __init__(self, spec: str, label_map: Mapping[str, str] | None, options: dict[str, Any]) -> None:
        from specialize.teachers.spec import load_teacher

        self.teacher = load_teacher(spec, label_map=label_map, **options)

    def label(self, texts: list[str]) -> list[_Packed]:
        return [
            ([(s.start, s.end, s.label, s.score) for s in out.spans], dict(out.rejected), dict(out.usage),
             dict(out.conflicts))
            for out in self.teacher.label(texts)
        ]  # fmt: skip


class RayTeacher:
    """``load_teacher(spec)`` on ``workers`` Ray actors; name, labels and fingerprint are the teacher's own."""

    def __init__(
        self,
        spec: str,
        *,
        workers: int = 2,
        address: str | None = None,
        label_map: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        from specialize.teachers.spec import load_teacher

        ray = require("ray", "ray", "ray[data]")
        # The driver's own copy names the teacher and fingerprints it, so store keys match a local run's.
        local = load_teacher(spec, label_map=label_map, **options)
        self.name, self.fingerprint, self._labels = local.name, local.fingerprint, list(local.labels)
        del local
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        actor = ray.remote(max_restarts=-1, max_task_retries=-1)(_TeacherWorker)
        self._workers = [actor.remote(spec, dict(label_map) if label_map else None, options) for _ in range(workers)]
        logger.info("labeling with %s on %d Ray actors", self.name, workers)

    @property
    def labels(self) -> list[str]:
        return self._labels

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        import ray

        texts = list(texts)
        if not texts:
            return []
        size = -(-len(texts) // len(self._workers))  # ceil: one contiguous chunk per actor keeps the order
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        packed = ray.get([w.label.remote(c) for w, c in zip(self._workers, chunks, strict=False)])
        return [
            TeacherOutput([Span(*s) for s in spans], Counter(rejected), usage, Counter(conflicts))
            for part in packed
            for spans, rejected, usage, conflicts in part
        ]

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        return [out.spans for out in self.label(texts)]

    def close(self) -> None:
        import ray

        for worker in self._workers:
            ray.kill(worker)
        if self._started_ray:
            ray.shutdown()
