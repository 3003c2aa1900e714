from transformers import AutoTokenizer

from specialize.data.alignment import AlignmentReport, spans_to_word_tags, tokenize_texts
from specialize.data.document import Span


def test_word_tags_and_misaligned_spans_are_counted(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base).backend_tokenizer
    text = "Obama visited Paris."
    (doc,) = tokenize_texts(tokenizer, [text])
    assert [text[s:e] for s, e in doc.word_offsets] == ["Obama", "visited", "Paris", "."]
    report = AlignmentReport()
    tags = spans_to_word_tags(doc, [Span(0, 5, "PER"), Span(14, 17, "LOC")], report)
    # "Par" ends inside the word "Paris": widened to the whole word and counted, not dropped.
    assert tags == ["B-PER", "O", "B-LOC", "O"]
    assert report.spans == 2 and report.widened == 1
    assert "'Par'" in report.summary()


def test_spans_on_whitespace_only_or_overlapping_are_reported(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base).backend_tokenizer
    (doc,) = tokenize_texts(tokenizer, ["Obama  met Smith"])
    report = AlignmentReport()
    tags = spans_to_word_tags(doc, [Span(5, 7, "X"), Span(0, 5, "PER"), Span(0, 9, "PER")], report)
    assert tags == ["B-PER", "O", "O"]
    assert report.no_tokens == 1 and report.overlapping == 1
    assert report.problems == 2


def test_shapes_are_computed_from_original_casing(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base).backend_tokenizer
    (doc,) = tokenize_texts(tokenizer, ["OBAMA met Smith 42"])
    assert doc.shapes[0] == 3  # upper
    assert doc.shapes[-1] == 5  # digits
