"""Strict span-level precision/recall/F1 and document-level bootstrap confidence intervals.

A prediction is a true positive only when ``start``, ``end`` and ``label`` all equal a gold span's
(``Span.key()``; scores are ignored). Matching is multiset matching per document: a duplicated prediction
of a span that is gold once counts one TP and one FP.

Conventions (chosen so that nothing ever returns NaN):

* precision = tp / (tp + fp), recall = tp / (tp + fn), F1 their harmonic mean; each is **0.0** when its
  denominator is 0. So empty predictions give P = R = F1 = 0, and empty gold with empty predictions also
  gives 0 (not 1): there is nothing found, so nothing to reward.
* Macro F1 is the unweighted mean of per-type F1 over the **gold** types (types with support > 0). Types a
  model predicts but that never occur in gold lower micro precision but do not enter the macro mean;
  gold types a model never predicts enter it with F1 = 0. With no gold spans at all, macro F1 is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from specialize.data.document import Span

# Index of each count in the last axis of SpanScores.doc_counts.
TP, FP, FN = 0, 1, 2


def _safe_div(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


@dataclass(frozen=True)
class PRF:
    """Counts and the precision/recall/F1 derived from them."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        p = _safe_div(tp, tp + fp)
        r = _safe_div(tp, tp + fn)
        return cls(int(tp), int(fp), int(fn), p, r, _f1(p, r))

    @property
    def support(self) -> int:
        """Number of gold spans."""
        return self.tp + self.fn


@dataclass
class SpanScores:
    """Scores over a corpus, plus per-document counts so that bootstrap resampling is a matrix product."""

    types: list[str]
    """All types seen in gold or predictions (or passed explicitly), sorted; axis 1 of ``doc_counts``."""
    per_type: dict[str, PRF]
    micro: PRF
    macro_precision: float
    macro_recall: float
    macro_f1: float
    gold_types: list[str]
    """Types with support > 0: the ones the macro average runs over."""
    doc_counts: npt.NDArray[np.int64] = field(repr=False)
    """Shape ``(n_docs, n_types, 3)``: tp, fp, fn of each type in each document."""

    @property
    def n_docs(self) -> int:
        return int(self.doc_counts.shape[0])


def count_matches(gold: Sequence[Span], pred: Sequence[Span]) -> dict[str, tuple[int, int, int]]:
    """Per-type (tp, fp, fn) for one document under strict matching."""
    gold_keys = Counter(s.key() for s in gold)
    pred_keys = Counter(s.key() for s in pred)
    out: dict[str, list[int]] = {}
    for key, n in gold_keys.items():
        c = out.setdefault(key[2], [0, 0, 0])
        matched = min(n, pred_keys.get(key, 0))
        c[TP] += matched
        c[FN] += n - matched
    for key, n in pred_keys.items():
        c = out.setdefault(key[2], [0, 0, 0])
        c[FP] += n - min(n, gold_keys.get(key, 0))
    return {label: (c[0], c[1], c[2]) for label, c in out.items()}


def _scores_from_totals(
    types: list[str], totals: npt.NDArray[np.int64], doc_counts: npt.NDArray[np.int64]
) -> SpanScores:
    per_type = {t: PRF.from_counts(*(int(x) for x in totals[i])) for i, t in enumerate(types)}
    micro = PRF.from_counts(*(int(x) for x in totals.sum(axis=0)))
    gold_types = [t for t in types if per_type[t].support > 0]
    if gold_types:
        macro_p = float(np.mean([per_type[t].precision for t in gold_types]))
        macro_r = float(np.mean([per_type[t].recall for t in gold_types]))
        macro_f1 = float(np.mean([per_type[t].f1 for t in gold_types]))
    else:
        macro_p = macro_r = macro_f1 = 0.0
    return SpanScores(types, per_type, micro, macro_p, macro_r, macro_f1, gold_types, doc_counts)


def score_spans(
    gold_docs: Sequence[Sequence[Span]],
    pred_docs: Sequence[Sequence[Span]],
    *,
    types: Sequence[str] | None = None,
) -> SpanScores:
    """Strict span scores of predictions against gold, one span list per document, same order.

    ``types`` adds types that should be reported even if absent from both sides (e.g. all labels of a
    dataset); types found in the data are always included.
    """
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted documents")
    per_doc = [count_matches(g, p) for g, p in zip(gold_docs, pred_docs, strict=True)]
    all_types = set(types or ())
    for counts in per_doc:
        all_types.update(counts)
    type_list = sorted(all_types)
    index = {t: i for i, t in enumerate(type_list)}
    doc_counts = np.zeros((len(per_doc), len(type_list), 3), dtype=np.int64)
    for d, counts in enumerate(per_doc):
        for label, c in counts.items():
            doc_counts[d, index[label]] = c
    return _scores_from_totals(type_list, doc_counts.sum(axis=0), doc_counts)


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile bootstrap intervals ``(low, high)`` from resampling documents with replacement."""

    micro_precision: tuple[float, float]
    micro_recall: tuple[float, float]
    micro_f1: tuple[float, float]
    macro_f1: tuple[float, float]
    per_type_f1: dict[str, tuple[float, float]]
    n_samples: int
    confidence: float
    seed: int


def _prf_arrays(
    tp: npt.NDArray[np.float64], fp: npt.NDArray[np.float64], fn: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Vectorised P/R/F1 with the same zero-denominator convention as :class:`PRF`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f


def _resampled_totals(
    doc_counts: npt.NDArray[np.int64], n_samples: int, rng: np.random.Generator, chunk_cells: int
) -> npt.NDArray[np.float64]:
    """Summed counts of ``n_samples`` bootstrap resamples, shape ``(n_samples, n_types, 3)``.

    Instead of gathering ``doc_counts[idx]`` (n_samples x n_docs x n_types x 3, hundreds of MB), each
    resample becomes a vector of document multiplicities (a bincount) and the totals a matrix product.
    Samples are processed in chunks to bound the multiplicity matrix to ``chunk_cells`` entries.
    """
    n_docs, n_types, _ = doc_counts.shape
    flat = doc_counts.reshape(n_docs, n_types * 3).astype(np.float64)
    out = np.empty((n_samples, n_types * 3), dtype=np.float64)
    step = max(1, chunk_cells // max(n_docs, 1))
    for lo in range(0, n_samples, step):
        hi = min(n_samples, lo + step)
        k = hi - lo
        idx = rng.integers(0, n_docs, size=(k, n_docs))
        idx += np.arange(k)[:, None] * n_docs
        weights = np.bincount(idx.ravel(), minlength=k * n_docs).reshape(k, n_docs)
        out[lo:hi] = weights @ flat
    return out.reshape(n_samples, n_types, 3)


def bootstrap_ci(
    scores: SpanScores,
    *,
    n_samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    chunk_cells: int = 4_000_000,
) -> BootstrapCI:
    """Percentile bootstrap CIs for micro P/R/F1, macro F1 and per-type F1.

    Documents are the resampling unit (errors within a document are correlated). The same ``seed`` gives the
    same intervals; different models scored on the same documents get the same resamples (paired).

    Within one resample, a type absent from both gold and predictions has no F1 (not 0): it is left out of
    that type's distribution; likewise a resample with no spans at all is left out of the micro ones. Macro
    F1 of a resample averages the types that have gold spans *in that resample*, as :func:`score_spans` does
    for the full set; otherwise a rare type missing from a resample would drag macro F1 down.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    rng = np.random.default_rng(seed)
    if scores.n_docs == 0:
        zero = (0.0, 0.0)
        return BootstrapCI(zero, zero, zero, zero, dict.fromkeys(scores.types, zero), n_samples, confidence, seed)
    totals = _resampled_totals(scores.doc_counts, n_samples, rng, chunk_cells)
    tp, fp, fn = totals[..., TP], totals[..., FP], totals[..., FN]
    mtp, mfp, mfn = tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)
    mp, mr, mf = _prf_arrays(mtp, mfp, mfn)
    # A resample of only span-less documents says nothing about the model: leave it out, don't score it 0.
    empty = mtp + mfp + mfn == 0
    mp[empty] = mr[empty] = mf[empty] = np.nan
    _, _, type_f1 = _prf_arrays(tp, fp, fn)  # (n_samples, n_types)
    type_f1 = np.where(tp + fp + fn > 0, type_f1, np.nan)

    qs = (100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2)

    def interval(values: npt.NDArray[np.float64], point: float) -> tuple[float, float]:
        finite = values[~np.isnan(values)]
        if finite.size == 0:  # never observed in any resample: nothing to vary, report the point
            return (point, point)
        lo, hi = np.percentile(finite, qs)
        return (float(lo), float(hi))

    gold_idx = [scores.types.index(t) for t in scores.gold_types]
    if gold_idx:
        gold_f1 = np.where(tp[:, gold_idx] + fn[:, gold_idx] > 0, type_f1[:, gold_idx], np.nan)
        has_any = ~np.all(np.isnan(gold_f1), axis=1)
        macro = np.full(n_samples, np.nan)
        macro[has_any] = np.nanmean(gold_f1[has_any], axis=1)
    else:
        macro = np.zeros(n_samples)
    per_type = {t: interval(type_f1[:, i], scores.per_type[t].f1) for i, t in enumerate(scores.types)}
    return BootstrapCI(
        micro_precision=interval(mp, scores.micro.precision),
        micro_recall=interval(mr, scores.micro.recall),
        micro_f1=interval(mf, scores.micro.f1),
        macro_f1=interval(macro, scores.macro_f1),
        per_type_f1=per_type,
        n_samples=n_samples,
        confidence=confidence,
        seed=seed,
    )


def paired_micro_f1_difference(
    a: SpanScores, b: SpanScores, *, n_samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, tuple[float, float]]:
    """Micro F1 of ``a`` minus that of ``b`` (two models scored on the same documents) and its percentile
    bootstrap interval, each resample of documents scoring both models (paired: the noise they share cancels)."""
    if a.n_docs != b.n_docs:
        raise ValueError(f"paired scores need the same documents, got {a.n_docs} and {b.n_docs}")
    point = a.micro.f1 - b.micro.f1
    if a.n_docs == 0:
        return point, (point, point)
    # Each model's counts summed over types: (n_docs, 1, 3) each, side by side as two "types".
    both = np.concatenate([a.doc_counts.sum(axis=1, keepdims=True), b.doc_counts.sum(axis=1, keepdims=True)], axis=1)
    totals = _resampled_totals(both, n_samples, np.random.default_rng(seed), 4_000_000)
    _, _, f1 = _prf_arrays(totals[..., TP], totals[..., FP], totals[..., FN])
    low, high = np.percentile(f1[:, 0] - f1[:, 1], (100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2))
    return point, (float(low), float(high))
