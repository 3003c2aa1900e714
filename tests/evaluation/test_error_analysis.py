"""Each error category on a tiny example, plus counts, confusions and examples."""

from __future__ import annotations

from specialize.data.document import Document, Span
from specialize.evaluation.error_analysis import CATEGORIES, analyze_errors, document_errors

TEXT = "Angela Merkel met Acme Corp in New York City on Monday ."
#       0      7     14  18   23   28 31  35   40   45 48


def _categories(gold: list[Span], pred: list[Span]) -> list[str]:
    return [c for c, _, _ in document_errors(gold, pred)]


def test_exact_match_is_no_error() -> None:
    assert _categories([Span(0, 13, "PER")], [Span(0, 13, "PER")]) == []


def test_missed() -> None:
    assert _categories([Span(0, 13, "PER")], []) == ["missed"]
    # A prediction elsewhere does not rescue it.
    assert sorted(_categories([Span(0, 13, "PER")], [Span(18, 27, "ORG")])) == ["missed", "spurious"]


def test_spurious() -> None:
    assert _categories([], [Span(48, 54, "MISC")]) == ["spurious"]


def test_wrong_type() -> None:
    assert _categories([Span(18, 27, "ORG")], [Span(18, 27, "PER")]) == ["wrong_type"]


def test_wrong_boundary() -> None:
    assert _categories([Span(31, 44, "LOC")], [Span(31, 39, "LOC")]) == ["wrong_boundary"]


def test_wrong_type_and_boundary() -> None:
    assert _categories([Span(18, 27, "ORG")], [Span(18, 22, "PER")]) == ["wrong_type_boundary"]


def test_pairing_prefers_same_boundaries_then_same_label() -> None:
    gold = [Span(31, 44, "LOC")]
    # Two overlapping predictions: the same-label one pairs with the gold span, the other is left over and
    # (overlapping gold) is a type+boundary error rather than spurious.
    events = document_errors(gold, [Span(31, 39, "ORG"), Span(35, 44, "LOC")])
    assert [(c, p.start if p else None) for c, _, p in events] == [
        ("wrong_type_boundary", 31),
        ("wrong_boundary", 35),
    ]


def test_merge_is_two_boundary_errors_not_a_miss() -> None:
    gold = [Span(0, 6, "PER"), Span(7, 13, "PER")]
    assert _categories(gold, [Span(0, 13, "PER")]) == ["wrong_boundary", "wrong_boundary"]


def test_analyze_errors_counts_types_confusions_and_examples() -> None:
    gold = [Span(0, 13, "PER"), Span(18, 27, "ORG"), Span(31, 44, "LOC")]
    pred = [Span(0, 13, "PER"), Span(18, 27, "LOC"), Span(31, 39, "LOC"), Span(48, 54, "DATE")]
    docs = [Document(TEXT, gold, id="d1"), Document(TEXT, [Span(0, 13, "PER")])]
    result = analyze_errors(docs, [pred, []], max_examples=1, context_chars=10)
    assert result.counts == {
        "missed": 1,
        "spurious": 1,
        "wrong_type": 1,
        "wrong_boundary": 1,
        "wrong_type_boundary": 0,
    }
    assert result.total == 4
    assert set(result.counts) == set(CATEGORIES)
    assert result.per_type["PER"]["missed"] == 1
    assert result.per_type["DATE"]["spurious"] == 1
    assert result.confusions == {"ORG->LOC": 1}

    (ex,) = result.examples["wrong_boundary"]
    assert ex.doc_id == "d1"
    assert ex.gold is not None and ex.gold["text"] == "New York City"
    assert ex.pred is not None and ex.pred["text"] == "New York"
    assert ex.context == "…e Corp in [[<<New York>> City]] on Monday…"
    (missed,) = result.examples["missed"]
    assert missed.doc_id == "1"  # no id: the document's index
    assert missed.pred is None
    assert missed.context.startswith("[[Angela Merkel]] met")
    assert len(result.examples["wrong_type"]) == 1
    assert result.examples["wrong_type_boundary"] == []
    assert result.to_dict()["examples"]["spurious"][0]["pred"]["text"] == "Monday"
