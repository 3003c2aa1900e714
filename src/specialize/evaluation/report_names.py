"""One name per dataset and one name per model across the report's result files.

Benchmark scripts name things their own way: ``conll2003`` with split ``test`` in one file is
``conll2003:test`` in another, and the MiniLM CoNLL specialist is ``specialist (MiniLM-L6, ...)`` in
ner_accuracy.json, ``teacher: MiniLM-L6 CoNLL-2003 specialist`` in distill.json and ``conll2003`` in
speed.json. The report joins F1 with speed by model name, so it needs one name per model.

- Datasets: ``NAME:SPLIT`` becomes dataset ``NAME`` and split ``SPLIT``.
- Models: the ``teacher: ``/``student: `` prefix of records with a ``role`` goes (their ``role`` says it). Then two
  names in different files are the same model when they have the same scores on the same documents: the same
  number of documents and the same micro F1 to six places (and, where both records have them, the same F1 per
  type). Identical predictions give identical scores; different models tie to six places only by accident, so
  a score a file holds under two names (an fp32 export predicting exactly what its torch source predicts)
  joins nothing, and an F1 of 0 joins nothing. The name read first is kept; the others are listed as aliases.
- ``aliases`` (``specialize report --alias OLD=NEW``) rename what the scores cannot tell.
- A speed record without a dataset (older ``specialize benchmark`` records) takes the dataset of the record
  its model was joined with, and lends it to the records of its file measured on the same documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ROLE_PREFIX = re.compile(r"^(teacher|student): ")


def split_dataset(record: dict[str, Any]) -> None:
    """``dataset: "conll2003:test"`` -> ``dataset: "conll2003"``, ``split: "test"`` (the record's own split
    wins when it has one)."""
    dataset = record.get("dataset")
    if isinstance(dataset, str) and ":" in dataset:
        name, _, split = dataset.partition(":")
        record["dataset"] = name
        record["split"] = record.get("split") or split


def _scores(record: Mapping[str, Any], kind: str) -> tuple[Any, ...] | None:
    """What identifies a model's predictions on a data set: documents and micro F1 (classifiers: macro too)."""
    if kind == "classification":
        f1, extra = record.get("micro_f1"), record.get("macro_f1")
    elif kind in ("evaluation", "distillation", "speed"):
        f1, extra = record.get("f1"), None
    else:
        return None
    if not isinstance(f1, int | float) or f1 <= 0 or not record.get("n_docs"):
        return None
    return (kind == "classification", int(record["n_docs"]), round(float(f1), 6), extra and round(float(extra), 6))


def _per_type(record: Mapping[str, Any]) -> dict[str, float]:
    if isinstance(record.get("per_type_f1"), Mapping):
        return {t: round(float(f), 4) for t, f in record["per_type_f1"].items() if isinstance(f, int | float)}
    scores = record.get("per_type") or record.get("per_label") or {}
    return {t: round(float(s["f1"]), 4) for t, s in scores.items() if isinstance(s, Mapping) and "f1" in s}


def unify(
    records: list[tuple[str, str, dict[str, Any]]], aliases: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Rename the models of ``records`` (``(kind, file, record)``, in reading order) in place as the module
    docstring says; returns each kept name's other names."""
    written: dict[str, str] = {}  # the name after role prefix and alias -> the first name it was written as
    for _, _, r in records:
        split_dataset(r)
        name = str(r.get("model"))
        stripped = ROLE_PREFIX.sub("", name) if r.get("role") else name
        r["model"] = (aliases or {}).get(stripped, (aliases or {}).get(name, stripped))
        if r["model"] != stripped:  # an alias; a role prefix alone is not another name
            written.setdefault(stripped, r["model"])
    order: dict[str, None] = {}
    by_scores: dict[tuple[Any, ...], dict[str, set[str]]] = {}  # scores -> file -> names
    examples: dict[tuple[Any, ...], dict[str, dict[str, float]]] = {}
    for kind, source, r in records:
        name = str(r.get("model"))
        order.setdefault(name, None)
        key = _scores(r, kind)
        if key is not None:
            by_scores.setdefault(key, {}).setdefault(source, set()).add(name)
            examples.setdefault(key, {}).setdefault(name, _per_type(r))
    parent = {name: name for name in order}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    rank = {name: i for i, name in enumerate(order)}
    for key, files in by_scores.items():
        names = [next(iter(n)) for n in files.values() if len(n) == 1]  # a file holding a score twice: ambiguous
        per_type = examples[key]
        for other in names[1:]:
            a, b = per_type[names[0]], per_type[other]
            shared = set(a) & set(b)
            if any(a[t] != b[t] for t in shared):
                continue
            ra, rb = root(names[0]), root(other)
            if ra != rb:
                keep, drop = (ra, rb) if rank[ra] < rank[rb] else (rb, ra)
                parent[drop] = keep
    renamed = {name: root(name) for name in order}
    for _, _, r in records:
        r["model"] = renamed.get(str(r.get("model")), r.get("model"))
    _lend_datasets(records)
    others: dict[str, list[str]] = {}
    for name, new in [*renamed.items(), *((old, renamed.get(mid, mid)) for old, mid in written.items())]:
        if name != new and name not in others.get(new, []):
            others.setdefault(new, []).append(name)
    return others


def _lend_datasets(records: list[tuple[str, str, dict[str, Any]]]) -> None:
    known = {
        (r.get("model"), r.get("n_docs")): (r["dataset"], r.get("split"))
        for kind, _, r in records
        if kind != "speed" and r.get("dataset")
    }
    by_file: dict[tuple[str, Any, Any], tuple[str, str | None]] = {}
    for kind, source, r in records:
        if kind == "speed" and not r.get("dataset") and (r.get("model"), r.get("n_docs")) in known:
            r["dataset"], r["split"] = known[(r.get("model"), r.get("n_docs"))]
            by_file[(source, r.get("n_docs"), r.get("n_tokens"))] = (r["dataset"], r["split"])
    for kind, source, r in records:
        found = by_file.get((source, r.get("n_docs"), r.get("n_tokens")))
        if kind == "speed" and not r.get("dataset") and found:
            r["dataset"], r["split"] = found
