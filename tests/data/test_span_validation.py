"""Span validation counts problems without dropping anything; overlap resolution reports what it drops."""

from __future__ import annotations

import pytest

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.validation import OverlapPolicy, drop_invalid_spans, resolve_overlaps, validate_spans


def _docs() -> list[Document]:
    return [
        Document("New York City", [Span(0, 8, "LOC"), Span(4, 13, "LOC"), Span(0, 13, "LOC")], id="a"),
        Document("Bob", [Span(0, 3, "PER"), Span(0, 3, "PER"), Span(2, 9, "PER"), Span(1, 1, "PER")], id="b"),
        Document("fine", [Span(0, 4, "X")], id="c"),
    ]


def test_counts_and_examples() -> None:
    docs = _docs()
    report = validate_spans(docs)
    assert (report.documents, report.spans) == (3, 8)
    assert report.overlapping == 3  # all three pairs in doc a
    assert (report.out_of_range, report.empty, report.duplicate) == (1, 1, 1)
    assert report.docs_with_problems == 2 and not report.ok
    assert {i.kind for i in report.examples} == {"overlapping", "out_of_range", "empty", "duplicate"}
    summary = report.summary()
    assert "1 out of range, 1 empty, 3 overlapping, 1 duplicate (in 2 documents)" in summary
    assert "doc 1 (b)" in summary
    assert len(docs[1].spans) == 4  # nothing dropped
    assert validate_spans(docs[2:]).summary() == "1 documents, 1 spans: no span problems"


def test_resolve_overlaps_policies() -> None:
    doc = Document("New York City hall", [Span(0, 8, "LOC"), Span(4, 13, "LOC"), Span(9, 18, "ORG")], id="n")
    kept, dropped = resolve_overlaps(doc, OverlapPolicy.KEEP_FIRST)
    assert kept.spans == [Span(0, 8, "LOC"), Span(9, 18, "ORG")] and dropped == [Span(4, 13, "LOC")]
    kept, dropped = resolve_overlaps(doc, "keep_longest")
    assert kept.spans == [Span(4, 13, "LOC")]  # 9 characters, as long as "City hall" but earlier
    assert dropped == [Span(0, 8, "LOC"), Span(9, 18, "ORG")]
    doc2 = Document("New York City", [Span(0, 8, "LOC"), Span(0, 13, "LOC"), Span(0, 13, "LOC")])
    kept, dropped = resolve_overlaps(doc2, "keep_longest")
    assert kept.spans == [Span(0, 13, "LOC")] and len(dropped) == 2
    assert len(doc2.spans) == 3  # the input is untouched
    with pytest.raises(DataFormatError, match=r"document n: 2 overlapping span pair.*keep_longest"):
        resolve_overlaps(doc, "error")
    clean = Document("ab", [Span(0, 1, "X")])
    assert resolve_overlaps(clean) == (clean, [])
    with pytest.raises(ValueError):
        resolve_overlaps(doc, "keep_all")


def test_drop_invalid_spans() -> None:
    kept, dropped = drop_invalid_spans(_docs()[1])
    assert kept.spans == [Span(0, 3, "PER"), Span(0, 3, "PER")]
    assert dropped == [Span(2, 9, "PER"), Span(1, 1, "PER")]
