"""The bias audit: a model's recall and F1 on the same gold set with its person names swapped per name group.

Each group's variant of the test set differs from the original only in who is named (see
:mod:`specialize.audit.substitute`), so a difference between groups is a difference in how the model treats the
names. Scores are strict span matches over all documents (overall) and over person spans only; intervals are
percentile bootstrap over documents with one seed, so every group sees the same resamples and their intervals
(and the gap's) are paired.

Documents without a person span are the same in every variant: they are predicted once and their predictions
reused, which cuts the cost of an audit to about one prediction pass per group over the documents that name
someone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from specialize.audit.names import NameGroup, name_groups
from specialize.audit.substitute import PERSON_LABELS, substitute_names
from specialize.data.document import Document, Span
from specialize.errors import DataError
from specialize.evaluation.span_metrics import FN, FP, TP, SpanScores, bootstrap_ci, score_spans
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)

ORIGINAL = "original"
METRICS = ("per_f1", "per_recall", "f1", "recall")
"""Scores reported per group; the largest gap is reported for each, ``per_f1`` first."""


@dataclass
class GroupScores:
    """One variant's scores: overall (all types) and on person spans only, each with a bootstrap interval."""

    group: str
    origin: str | None
    gender: str | None
    values: dict[str, float]
    intervals: dict[str, tuple[float, float] | None]
    person_spans: int
    replaced: int
    kept: int
    person_counts: npt.NDArray[np.int64] = field(repr=False)
    """Per document (tp, fp, fn) of person spans, shape (n_docs, 3): the paired bootstrap of the gaps uses it."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"group": self.group, "origin": self.origin, "gender": self.gender}
        for metric in METRICS:
            out[metric] = round(self.values[metric], 6)
            ci = self.intervals.get(metric)
            out[f"{metric}_ci"] = None if ci is None else [round(ci[0], 6), round(ci[1], 6)]
        out.update(person_spans=self.person_spans, replaced=self.replaced, kept=self.kept)
        return out


@dataclass
class Gap:
    """The largest difference in one metric between two name groups, with its paired bootstrap interval."""

    metric: str
    value: float
    best: str
    worst: str
    interval: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        ci = None if self.interval is None else [round(self.interval[0], 6), round(self.interval[1], 6)]
        return {"metric": self.metric, "gap": round(self.value, 6), "best": self.best, "worst": self.worst, "ci": ci}


@dataclass
class AuditResult:
    model: str
    data: str
    original: GroupScores
    groups: list[GroupScores]
    gaps: list[Gap]
    """One per metric in :data:`METRICS`, ``per_f1`` first."""
    by_gender: dict[str, float]
    """Person-span F1 pooled over the groups of each gender."""
    by_origin: dict[str, float]
    """Person-span F1 pooled over the groups of each origin."""
    n_docs: int
    n_docs_with_persons: int
    person_labels: list[str]
    seed: int
    n_bootstrap: int
    seconds: float
    """Wall time of the audit: predictions of every variant and the scoring."""

    @property
    def largest_gap(self) -> Gap:
        return self.gaps[0]

    def to_record(self, command: str | None = None, machine: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A JSON-ready record (``task: bias-audit``) with the command and machine, like ``evaluate --json``."""
        from specialize.evaluation.evaluate import command_line, machine_info

        return {
            "task": "bias-audit",
            "model": self.model,
            "data": self.data,
            "original": self.original.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "largest_gap": self.largest_gap.to_dict(),
            "gaps": [g.to_dict() for g in self.gaps],
            "per_f1_by_gender": {k: round(v, 6) for k, v in self.by_gender.items()},
            "per_f1_by_origin": {k: round(v, 6) for k, v in self.by_origin.items()},
            "n_docs": self.n_docs,
            "n_docs_with_persons": self.n_docs_with_persons,
            "person_labels": self.person_labels,
            "seed": self.seed,
            "n_bootstrap": self.n_bootstrap,
            "seconds": round(self.seconds, 3),
            "names": "specialize.audit.names (24 given names per origin and gender, 24 surnames per origin)",
            "command": command if command is not None else command_line(),
            "machine": dict(machine) if machine is not None else machine_info(),
        }


def _only(spans: Sequence[Span], labels: frozenset[str]) -> list[Span]:
    return [s for s in spans if s.label in labels]


def _interval(ci: Any, name: str) -> tuple[float, float] | None:
    return None if ci is None else tuple(getattr(ci, name))


def _score_group(
    name: str,
    group: NameGroup | None,
    docs: Sequence[Document],
    preds: Sequence[Sequence[Span]],
    labels: frozenset[str],
    n_bootstrap: int,
    seed: int,
    replaced: int,
    kept: int,
) -> GroupScores:
    gold = [d.spans for d in docs]
    gold_types = sorted({s.label for spans in gold for s in spans})
    overall = score_spans(gold, preds, types=gold_types)
    person: SpanScores = score_spans([_only(g, labels) for g in gold], [_only(p, labels) for p in preds])
    ci_all = bootstrap_ci(overall, n_samples=n_bootstrap, seed=seed) if n_bootstrap else None
    ci_person = bootstrap_ci(person, n_samples=n_bootstrap, seed=seed) if n_bootstrap else None
    return GroupScores(
        group=name,
        origin=group.origin if group else None,
        gender=group.gender if group else None,
        values={
            "per_f1": person.micro.f1,
            "per_recall": person.micro.recall,
            "f1": overall.micro.f1,
            "recall": overall.micro.recall,
        },
        intervals={
            "per_f1": _interval(ci_person, "micro_f1"),
            "per_recall": _interval(ci_person, "micro_recall"),
            "f1": _interval(ci_all, "micro_f1"),
            "recall": _interval(ci_all, "micro_recall"),
        },
        person_spans=person.micro.support,
        replaced=replaced,
        kept=kept,
        person_counts=person.doc_counts.sum(axis=1),
    )


def _prf(counts: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(recall, F1) of summed (tp, fp, fn) counts along the last axis; 0 where undefined, as in span_metrics."""
    tp, fp, fn = counts[..., TP], counts[..., FP], counts[..., FN]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return r, f


def _gap_interval(
    best: GroupScores, worst: GroupScores, metric: str, n_bootstrap: int, seed: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Paired percentile bootstrap of ``best - worst`` on person spans: the same document resamples for both."""
    if not n_bootstrap or metric not in ("per_f1", "per_recall"):
        return None
    n_docs = best.person_counts.shape[0]
    if n_docs == 0:
        return None
    rng = np.random.default_rng(seed)
    both = np.concatenate([best.person_counts, worst.person_counts], axis=1).astype(np.float64)  # (n_docs, 6)
    diffs = np.empty(n_bootstrap)
    step = max(1, 4_000_000 // n_docs)
    for lo in range(0, n_bootstrap, step):
        hi = min(n_bootstrap, lo + step)
        idx = rng.integers(0, n_docs, size=(hi - lo, n_docs))
        weights = np.stack([np.bincount(row, minlength=n_docs) for row in idx]).astype(np.float64)
        totals = weights @ both  # (k, 6)
        recall, f1 = _prf(totals.reshape(-1, 2, 3))
        values = f1 if metric == "per_f1" else recall
        diffs[lo:hi] = values[:, 0] - values[:, 1]
    q = (100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2)
    low, high = np.percentile(diffs, q)
    return (float(low), float(high))


def _pooled_f1(groups: Sequence[GroupScores], key: str) -> dict[str, float]:
    pooled: dict[str, npt.NDArray[np.int64]] = {}
    for g in groups:
        value = getattr(g, key)
        pooled[value] = pooled.get(value, 0) + g.person_counts.sum(axis=0)
    return {k: float(_prf(v.astype(np.float64))[1]) for k, v in pooled.items()}


def _load_docs(data: Sequence[Document] | str | Path) -> list[Document]:
    from specialize.data.validation import check_gold

    if isinstance(data, str | Path):
        from specialize.data.io import read_documents

        docs = list(read_documents(data))
    else:
        docs = list(data)
    check_gold(docs, data if isinstance(data, str | Path) else None)
    return docs


def _load_model(model: SpanPredictor | str, label_map: Mapping[str, str] | str | None) -> SpanPredictor:
    if not isinstance(model, str):
        return model
    if isinstance(label_map, str):
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(label_map)
    from specialize.models.resolve import load_model

    return load_model(model, label_map=label_map)


def audit(
    model: SpanPredictor | str,
    data: Sequence[Document] | str | Path,
    *,
    label_map: Mapping[str, str] | str | None = None,
    groups: Sequence[NameGroup] | Sequence[str] | None = None,
    person_labels: Sequence[str] = PERSON_LABELS,
    seed: int = 0,
    n_bootstrap: int = 1000,
) -> AuditResult:
    """Score ``model`` on ``data`` as written and with its person names swapped for each name group.

    ``model`` is a predictor or a spec that ``specialize evaluate`` accepts (a specialist or exported folder,
    ``spacy:NAME`` with ``label_map`` onto the data's labels); ``data`` documents or a path / dataset name with
    gold spans labelled ``PER`` or ``PERSON`` (``person_labels``). ``groups`` defaults to all built-in groups
    (:data:`specialize.audit.names.NAME_GROUPS`). Variants are seeded by ``seed``: the same call gives the same
    numbers.
    """
    docs = _load_docs(data)
    labels = frozenset(person_labels)
    n_person = sum(1 for d in docs for s in d.spans if s.label in labels)
    if not n_person:
        found = sorted({s.label for d in docs for s in d.spans})
        raise DataError(
            f"no person spans (labels {sorted(labels)}) in the audit data; its labels are {found}. "
            "Pass the person label (CLI: --person-labels) or use data with annotated people"
        )
    chosen = [g if isinstance(g, NameGroup) else name_groups([g])[0] for g in groups] if groups else name_groups()
    predictor = _load_model(model, label_map)
    model_name = model if isinstance(model, str) else str(getattr(predictor, "name", type(predictor).__name__))

    start = time.perf_counter()
    original_preds = [list(p) for p in predictor.predict([d.text for d in docs])]
    if len(original_preds) != len(docs):
        raise ValueError(f"{model_name} returned {len(original_preds)} prediction lists for {len(docs)} texts")
    original = _score_group(ORIGINAL, None, docs, original_preds, labels, n_bootstrap, seed, 0, 0)
    scored: list[GroupScores] = []
    with_persons: set[int] = set()
    for group in chosen:
        variant = substitute_names(docs, group, seed=seed, person_labels=person_labels)
        changed = variant.changed_docs
        with_persons.update(changed)
        preds = list(original_preds)
        new = predictor.predict([variant.documents[i].text for i in changed]) if changed else []
        for i, spans in zip(changed, new, strict=True):
            preds[i] = list(spans)
        scores = _score_group(
            group.name, group, variant.documents, preds, labels, n_bootstrap, seed, variant.replaced, variant.kept
        )
        logger.info(
            "%s: person F1 %.4f, recall %.4f (%d documents re-predicted)",
            group.name,
            scores.values["per_f1"],
            scores.values["per_recall"],
            len(changed),
        )
        scored.append(scores)
    seconds = time.perf_counter() - start

    gaps = []
    for metric in METRICS:
        best = max(scored, key=lambda g: g.values[metric])
        worst = min(scored, key=lambda g: g.values[metric])
        value = best.values[metric] - worst.values[metric]
        gaps.append(Gap(metric, value, best.group, worst.group, _gap_interval(best, worst, metric, n_bootstrap, seed)))
    return AuditResult(
        model=model_name,
        data=str(data) if isinstance(data, str | Path) else "documents",
        original=original,
        groups=scored,
        gaps=gaps,
        by_gender=_pooled_f1(scored, "gender"),
        by_origin=_pooled_f1(scored, "origin"),
        n_docs=len(docs),
        n_docs_with_persons=len(with_persons),
        person_labels=sorted(labels),
        seed=seed,
        n_bootstrap=n_bootstrap,
        seconds=seconds,
    )
