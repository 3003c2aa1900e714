"""Classification metrics: hand-computed cases and bootstrap intervals."""

from __future__ import annotations

import pytest

from specialize.evaluation.classification_metrics import bootstrap_classification, score_labels


def test_single_label_micro_f1_equals_accuracy_and_macro_averages_gold_labels():
    gold = [["A"], ["A"], ["B"], ["C"]]
    pred = [["A"], ["B"], ["B"], ["A"]]
    scores = score_labels(gold, pred)
    assert scores.accuracy == 0.5 and scores.micro_f1 == pytest.approx(0.5)
    per = scores.labels.per_type
    # A: tp 1, fp 1, fn 1 -> F1 0.5; B: tp 1, fp 1 -> 2/3; C: fn 1 -> 0
    assert (per["A"].f1, per["B"].f1, per["C"].f1) == (pytest.approx(0.5), pytest.approx(2 / 3), 0.0)
    assert scores.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_multi_label_counts_each_label_and_exact_match_accuracy():
    gold = [["A", "B"], [], ["B"]]
    pred = [["A"], [], ["B", "C"]]
    scores = score_labels(gold, pred, labels=["A", "B", "C", "D"])
    micro = scores.labels.micro
    assert (micro.tp, micro.fp, micro.fn) == (2, 1, 1)
    assert scores.accuracy == pytest.approx(1 / 3)  # only the empty set is matched exactly
    assert scores.labels.gold_types == ["A", "B"]  # C (predicted only) and D (neither) stay out of macro
    assert "D" in scores.labels.per_type


def test_bootstrap_intervals_contain_the_point_and_are_paired_by_seed():
    gold = [["A"], ["B"]] * 30
    good = score_labels(gold, [["A"], ["B"]] * 25 + [["B"], ["A"]] * 5)
    ci = bootstrap_classification(good, n_samples=300, seed=3)
    assert ci.accuracy[0] <= good.accuracy <= ci.accuracy[1] and ci.accuracy[0] < ci.accuracy[1]
    assert ci.labels.macro_f1[0] <= good.macro_f1 <= ci.labels.macro_f1[1]
    assert bootstrap_classification(good, n_samples=300, seed=3) == ci


def test_lengths_must_match():
    with pytest.raises(ValueError, match="2 gold"):
        score_labels([["A"], ["B"]], [["A"]])
