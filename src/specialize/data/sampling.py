"""A smaller part of a data set for a quick run: the first N documents, or N sampled with a seed.

One function behind ``--limit`` and ``--sample``/``--seed`` of ``train`` (``data.limit``, ``data.sample``,
``data.sample_seed``), ``evaluate`` and ``label``. A sample keeps the documents in their original order (the
seed picks which, not how they are arranged), so a sample of a file is a subsequence of it and the same
seed gives the same documents on any machine. The returned note says what was kept, for logs, records and
model cards: a score on part of a test set must say so.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from specialize.errors import ConfigError

T = TypeVar("T")


def select(
    items: Sequence[T], *, limit: int | None = None, sample: int | None = None, seed: int = 0
) -> tuple[list[T], str | None]:
    """``items`` cut to the first ``limit``, or ``sample`` of them drawn with ``seed`` (in their order), and a
    note such as ``"first 300 of 14041 (--limit 300)"``; the items unchanged and None without either."""
    if limit is not None and sample is not None:
        raise ConfigError("--limit (data.limit) and --sample (data.sample) exclude each other: pass one of them")
    for name, value in (("limit", limit), ("sample", sample)):
        if value is not None and value < 1:
            raise ConfigError(f"--{name} (data.{name}) must be a positive number of documents, got {value}")
    total = len(items)
    if limit is not None:
        kept = list(items[:limit])
        return kept, f"first {len(kept)} of {total} (--limit {limit})"
    if sample is not None:
        if sample >= total:
            return list(items), f"all {total} (--sample {sample} asked for at least as many)"
        chosen = sorted(random.Random(seed).sample(range(total), sample))
        return [items[i] for i in chosen], f"{sample} of {total} sampled with seed {seed} (--sample {sample})"
    return list(items), None
