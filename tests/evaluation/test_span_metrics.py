"""Strict span P/R/F1 on hand-computed cases, and document bootstrap CIs."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from specialize.data.document import Span
from specialize.evaluation.span_metrics import PRF, bootstrap_ci, score_spans

# doc 0: PER exact (tp), ORG with a wrong end (fp + fn); doc 1: LOC exact (tp), spurious MISC (fp).
GOLD = [[Span(0, 5, "PER"), Span(6, 10, "ORG")], [Span(0, 3, "LOC")]]
PRED = [[Span(0, 5, "PER", score=0.9), Span(6, 9, "ORG")], [Span(0, 3, "LOC"), Span(5, 8, "MISC")]]


def test_hand_computed_micro_per_type_and_macro() -> None:
    s = score_spans(GOLD, PRED)
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (2, 2, 1)
    assert s.micro.precision == pytest.approx(0.5)
    assert s.micro.recall == pytest.approx(2 / 3)
    assert s.micro.f1 == pytest.approx(4 / 7)  # 2 * 0.5 * 2/3 / (0.5 + 2/3)
    assert s.types == ["LOC", "MISC", "ORG", "PER"]
    assert s.per_type["PER"].f1 == 1.0
    assert s.per_type["ORG"] == PRF(0, 1, 1, 0.0, 0.0, 0.0)
    assert s.per_type["MISC"] == PRF(0, 1, 0, 0.0, 0.0, 0.0)
    assert s.per_type["MISC"].support == 0
    # Macro runs over gold types only (LOC, ORG, PER), so the predicted-only MISC does not enter it.
    assert s.gold_types == ["LOC", "ORG", "PER"]
    assert s.macro_f1 == pytest.approx(2 / 3)
    assert s.macro_precision == pytest.approx(2 / 3)


def test_doc_counts_hold_per_document_counts() -> None:
    s = score_spans(GOLD, PRED)
    assert s.doc_counts.shape == (2, 4, 3)
    org = s.types.index("ORG")
    assert s.doc_counts[0, org].tolist() == [0, 1, 1]
    assert s.doc_counts[1, org].tolist() == [0, 0, 0]
    assert s.doc_counts.sum(axis=(0, 1)).tolist() == [2, 2, 1]


def test_empty_predictions_score_zero() -> None:
    s = score_spans(GOLD, [[], []])
    assert (s.micro.precision, s.micro.recall, s.micro.f1) == (0.0, 0.0, 0.0)
    assert s.micro.fn == 3
    assert s.macro_f1 == 0.0


def test_empty_gold_is_zero_not_nan() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warnings either
        nothing = score_spans([[], []], [[], []])
        only_fp = score_spans([[]], [[Span(0, 1, "PER")]])
        no_docs = score_spans([], [])
    for s in (nothing, only_fp, no_docs):
        assert (s.micro.precision, s.micro.recall, s.micro.f1, s.macro_f1) == (0.0, 0.0, 0.0, 0.0)
        assert s.gold_types == []
    assert only_fp.micro.fp == 1
    assert no_docs.n_docs == 0


def test_duplicates_and_scores() -> None:
    # A duplicated prediction of a once-gold span: one TP, one FP. Scores never affect matching.
    s = score_spans([[Span(0, 2, "A")]], [[Span(0, 2, "A", 0.1), Span(0, 2, "A", 0.7)]])
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (1, 1, 0)


def test_explicit_types_are_reported_and_length_mismatch_raises() -> None:
    s = score_spans([[Span(0, 2, "A")]], [[Span(0, 2, "A")]], types=["A", "B"])
    assert s.types == ["A", "B"]
    assert s.per_type["B"] == PRF(0, 0, 0, 0.0, 0.0, 0.0)
    assert s.gold_types == ["A"]
    with pytest.raises(ValueError, match="2 gold documents but 1"):
        score_spans([[], []], [[]])


def _random_corpus(n_docs: int, seed: int = 1) -> tuple[list[list[Span]], list[list[Span]]]:
    rng = np.random.default_rng(seed)
    labels = ["PER", "ORG", "LOC", "MISC"]
    gold, pred = [], []
    for _ in range(n_docs):
        g = [Span(10 * i, 10 * i + 5, labels[rng.integers(4)]) for i in range(rng.integers(0, 4))]
        p = [s if rng.random() < 0.8 else Span(s.start, s.end + 1, s.label) for s in g]
        if rng.random() < 0.1:
            p.append(Span(100, 104, "ORG"))
        gold.append(g)
        pred.append(p)
    return gold, pred


def test_bootstrap_contains_point_estimate_and_is_seeded() -> None:
    s = score_spans(*_random_corpus(300))
    ci = bootstrap_ci(s, n_samples=300, seed=0)
    for (lo, hi), point in [
        (ci.micro_f1, s.micro.f1),
        (ci.micro_precision, s.micro.precision),
        (ci.micro_recall, s.micro.recall),
        (ci.macro_f1, s.macro_f1),
        *((ci.per_type_f1[t], s.per_type[t].f1) for t in s.types),
    ]:
        assert lo <= point <= hi
        assert lo < hi
    assert bootstrap_ci(s, n_samples=300, seed=0) == ci
    assert bootstrap_ci(s, n_samples=300, seed=1) != ci
    # Chunking (to bound memory) draws the same random stream, so the intervals do not depend on it.
    assert bootstrap_ci(s, n_samples=300, seed=0, chunk_cells=1000) == ci


def test_bootstrap_degenerate_cases() -> None:
    perfect = score_spans([[Span(0, 1, "A")], [Span(0, 1, "B")]], [[Span(0, 1, "A")], [Span(0, 1, "B")]])
    ci = bootstrap_ci(perfect, n_samples=50)
    assert ci.micro_f1 == (1.0, 1.0)
    assert ci.macro_f1 == (1.0, 1.0)  # resamples without B average over A alone
    empty = bootstrap_ci(score_spans([], []), n_samples=10)
    assert empty.micro_f1 == (0.0, 0.0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(perfect, confidence=95)


def test_bootstrap_speed_3500_docs_1000_samples() -> None:
    s = score_spans(*_random_corpus(3500))
    start = time.perf_counter()
    bootstrap_ci(s, n_samples=1000)
    assert time.perf_counter() - start < 1.0
