"""What the report says first: per data set, the best specialist against the best general model or baseline,
with F1, speed and size, and which models each data set's F1-against-throughput chart shows.

Every record that scores a model on a data set is a candidate: evaluation, distillation and classification
records, and speed records that carry an F1 and (see :mod:`.report_names`) a data set. A model scored on one
data set by several files keeps its best record. "General models and baselines" are recognised by name:
spaCy pipelines, Presidio, TF-IDF / logistic regression and anything called a baseline; every other model is
a specialist.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# By name: a spaCy pipeline ("spacy:en_core_web_md", "spaCy en_core_web_sm"), Presidio, TF-IDF + logistic
# regression, or a "baseline"; not a model merely distilled from one ("distill-conll-from-spacy").
REFERENCE = re.compile(r"(?i)^spacy[: ]|en_core_web|^presidio|tf-idf|logistic regression|\bbaseline\b")


def is_reference(name: str) -> bool:
    return bool(REFERENCE.search(name))


@dataclass
class Entry:
    """One model on one data set: its score and, when measured, its speed and size."""

    model: str
    f1: float
    f1_ci: Any
    unit: str  # "tokens" (span models) or "texts" (classifiers): what the speed counts
    per_s: float | None
    speed_source: str | None
    size_mb: float | None


def _f1(record: Mapping[str, Any]) -> float | None:
    value = record.get("micro_f1", record.get("f1"))
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _positive(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) and value > 0 else None


def dataset_entries(
    candidates: Iterable[tuple[Mapping[str, Any], str]], speed: Mapping[str, Any]
) -> dict[tuple[str, str], list[Entry]]:
    """Per (dataset, split), every model's best score with its speed (tokens/s for span models, texts/s for
    classifiers) and size, in reading order. ``candidates``: (record, ``"tokens"`` or ``"texts"``);
    ``speed``: :func:`specialize.evaluation.report.throughputs` (a model's best throughput measurement)."""
    groups: dict[tuple[str, str], dict[str, Entry]] = {}
    for record, unit in candidates:
        f1 = _f1(record)
        if f1 is None or not record.get("dataset"):
            continue
        name = str(record["model"])
        t = speed.get(name)
        if unit == "tokens":
            per_s, source, size = (t.tokens_per_s, t.source, t.size_mb) if t else (None, None, None)
        else:
            per_s, source, size = _positive(record.get("docs_per_s")), "evaluate", _positive(record.get("size_mb"))
        key = (str(record["dataset"]), str(record.get("split") or ""))
        entry = Entry(name, f1, record.get("micro_f1_ci", record.get("f1_ci")), unit, per_s, source, size)
        group = groups.setdefault(key, {})
        group[name] = _merged(group.get(name), entry)
    return {key: list(entries.values()) for key, entries in groups.items()}


def _merged(old: Entry | None, new: Entry) -> Entry:
    """One entry per model from several records: the best score (with an interval, if any has one), a benchmark
    speed before an evaluation pass's, and the size where any record has it."""
    if old is None:
        return new
    score = new if new.f1 > old.f1 or (new.f1 == old.f1 and old.f1_ci is None and new.f1_ci) else old
    speeds = [e for e in (old, new) if e.per_s is not None]
    speed = next((e for e in speeds if e.speed_source == "benchmark"), speeds[0] if speeds else old)
    size = old.size_mb if old.size_mb is not None else new.size_mb
    return Entry(score.model, score.f1, score.f1_ci, score.unit, speed.per_s, speed.speed_source, size)


def best_pair(entries: list[Entry]) -> tuple[Entry | None, Entry | None]:
    """The best specialist and the best general model or baseline of a data set (None where there is none)."""
    specialists = [e for e in entries if not is_reference(e.model)]
    references = [e for e in entries if is_reference(e.model)]
    return (
        max(specialists, key=lambda e: e.f1) if specialists else None,
        max(references, key=lambda e: e.f1) if references else None,
    )


def speed_ratio(a: Entry | None, b: Entry | None) -> float | None:
    if a is None or b is None or a.per_s is None or b.per_s is None:
        return None
    return a.per_s / b.per_s
