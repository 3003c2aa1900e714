"""Accuracy@1 on gold mentions and document code-set P/R/F1, with hand-computed expectations."""

from __future__ import annotations

import pytest

from specialize.data.document import Document, Span
from specialize.linking.metrics import code_set_scores, mention_accuracy

TEXT = "aaaa bbbb cccc dddd"


def _doc(*ids: str | None, doc_id: str = "d") -> Document:
    return Document(TEXT, [Span(5 * i, 5 * i + 4, "Disease", kb_id=kb) for i, kb in enumerate(ids)], id=doc_id)


def test_mention_accuracy_counts_composites_and_skips_no_id() -> None:
    gold = [_doc("D1|D2", "D3", "-1", "D4", doc_id="a"), _doc("D5", doc_id="b")]
    linked = [_doc("D2", "D9", "D7", None, doc_id="a"), _doc("D5", doc_id="b")]
    score = mention_accuracy(gold, linked, n_bootstrap=200)
    # a: D2 is part of D1|D2 (right), D9 (wrong), -1 skipped, unlinked (wrong); b: right.
    assert (score.correct, score.total, score.skipped_without_id) == (2, 4, 1)
    assert score.accuracy == pytest.approx(0.5)
    assert score.ci is not None and score.ci[0] <= 0.5 <= score.ci[1] and score.ci[0] < score.ci[1]
    assert mention_accuracy(gold, linked, n_bootstrap=200).ci == score.ci  # same seed, same interval


def test_mention_accuracy_needs_the_gold_spans() -> None:
    with pytest.raises(ValueError, match="linked spans are not the gold spans"):
        mention_accuracy([_doc("D1", "D2")], [_doc("D1")])


def test_code_set_scores() -> None:
    gold = [_doc("D1|D2", "D2", "-1", doc_id="a"), _doc("D3", doc_id="b")]
    predicted = [_doc("D1", "D4", doc_id="a"), _doc("D3", "D3", "D5", doc_id="b")]
    score = code_set_scores(gold, predicted, n_bootstrap=300)
    # a: gold {D1, D2}, predicted {D1, D4} -> tp 1, fp 1, fn 1; b: gold {D3}, predicted {D3, D5} -> tp 1, fp 1.
    assert (score.prf.tp, score.prf.fp, score.prf.fn) == (2, 2, 1)
    assert score.prf.precision == pytest.approx(0.5) and score.prf.recall == pytest.approx(2 / 3)
    assert score.prf.f1 == pytest.approx(4 / 7)
    assert score.ci is not None
    low, high = score.ci["f1"]
    assert low <= 4 / 7 <= high
    record = score.to_dict()
    assert record["f1"] == pytest.approx(4 / 7, abs=1e-6) and len(record["f1_ci"]) == 2
    assert code_set_scores(gold, gold, n_bootstrap=0).prf.f1 == 1.0
