"""What the report says first: per data set, the best specialist against the best general model or baseline,
with F1, speed and size, and which models each data set's F1-against-throughput chart shows.

Every record that scores a model on a data set is a candidate: evaluation, distillation and classification
records, and speed records that carry an F1 and (see :mod:`.report_names`) a data set. A model scored on one
data set by several files keeps its best record. "General models and baselines" are recognised by name
(spaCy pipelines, Presidio, TF-IDF / logistic regression and anything called a baseline) or by the record's
``role: baseline`` (``benchmarks/results/accuracy.json``); a record with ``role: teacher`` is the big model a
specialist learned from, shown in a column of its own; every other model is a specialist.
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


ROLES = ("teacher", "student", "baseline")


def named_like_a_baseline(name: str) -> bool:
    return bool(REFERENCE.search(name))


def document_set(record: Mapping[str, Any]) -> tuple[str, str]:
    """(data set, split) of the documents a record scored. Part of a split (a benchmark's fixed random subset,
    ``evaluate --limit/--sample``) is a set of its own, named by that part: an F1 on 60 sentences drawn from a test
    set does not compare with another model's F1 on all of it."""
    split = str(record.get("split") or "")
    part = _part_scored(record)
    return str(record.get("dataset") or "?"), ", ".join(p for p in (split, part) if p)


def _part_scored(record: Mapping[str, Any]) -> str | None:
    subset = record.get("subset")
    if isinstance(subset, Mapping):
        n, size = subset.get("n_test"), subset.get("test_size")
        if isinstance(n, int) and isinstance(size, int) and n < size:
            return f"{n} of {size} documents, seed {subset.get('seed')}"
    note = record.get("data_selection")
    return str(note) if note else None


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
    role: str | None = None  # "teacher", "student" or "baseline" where the record says (accuracy.json)
    speed_run: str | None = None  # the timed run the speed came from (report_data.Throughput.run)

    @property
    def is_baseline(self) -> bool:
        return self.role == "baseline" or (self.role is None and named_like_a_baseline(self.model))


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
            per_s, source, size, run = (t.tokens_per_s, t.source, t.size_mb, t.run) if t else (None, None, None, None)
        else:
            per_s, source, size = _positive(record.get("docs_per_s")), "evaluate", _positive(record.get("size_mb"))
            run = None
        key = document_set(record)
        ci = record.get("micro_f1_ci", record.get("f1_ci"))
        role = record.get("role") if record.get("role") in ROLES else None
        entry = Entry(name, f1, ci, unit, per_s, source, size, role, run)
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
    role = score.role or old.role or new.role
    return Entry(
        score.model, score.f1, score.f1_ci, score.unit, speed.per_s, speed.speed_source, size, role, speed.speed_run
    )


def best_of(entries: list[Entry]) -> tuple[Entry | None, Entry | None, Entry | None]:
    """The best specialist, the best general model or baseline, and the best teacher of a data set (None where
    there is none)."""
    teachers = [e for e in entries if e.role == "teacher"]
    references = [e for e in entries if e.role != "teacher" and e.is_baseline]
    specialists = [e for e in entries if e.role != "teacher" and not e.is_baseline]
    return _best(specialists), _best(references), _best(teachers)


def _best(entries: list[Entry]) -> Entry | None:
    return max(entries, key=lambda e: e.f1) if entries else None


def speed_ratio(a: Entry | None, b: Entry | None) -> float | None:
    """``a``'s speed over ``b``'s, only where both were timed in one benchmark run: this CPU has run the same model
    1.8x faster one day than another, so a ratio across runs would measure the day as much as the models."""
    if a is None or b is None or a.per_s is None or b.per_s is None:
        return None
    if a.speed_source == b.speed_source == "benchmark" and a.speed_run != b.speed_run:
        return None
    return a.per_s / b.per_s
