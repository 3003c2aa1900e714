"""Long documents answered in pieces: the pieces tile the text, and merged spans equal whole-document spans."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from specialize.data.document import Span
from specialize.serve.cascade import Routed
from specialize.serve.pieces import Piece, cut, merge_routed, merge_spans, piece_texts


def capitalised_runs(text: str) -> list[Span]:
    """A context-free 'model': every run of capitalised words is one PER span (multi-word spans cross cuts)."""
    return [Span(m.start(), m.end(), "PER", 0.9) for m in re.finditer(r"[A-Z]\w*(?: [A-Z]\w*)*", text)]


def random_text(n_words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    words = ["the", "river", "Obama", "Paris", "visited", "New", "York", "City", "and", "a", "\n", "café"]
    return " ".join(rng.choice(words) for _ in range(n_words))


def check_tiling(text: str, pieces: list[Piece], size: int) -> None:
    assert pieces[0].own_start == 0 and pieces[-1].own_end == len(text)
    for before, after in itertools.pairwise(pieces):
        assert before.own_end == after.own_start  # nothing skipped, nothing owned twice
    for p in pieces:
        assert p.start <= p.own_start < p.own_end <= p.end and p.end - p.start <= size


def test_short_texts_are_one_piece_each_and_long_ones_are_tiled_on_whitespace():
    texts = ["short one", random_text(3000, seed=1), "another"]
    pieces = cut(texts, size=1000, context=100)
    assert [p for p in pieces if p.doc == 0] == [Piece(0, 0, 9, 0, 9)]
    assert [p for p in pieces if p.doc == 2] == [Piece(2, 0, 7, 0, 7)]
    long = [p for p in pieces if p.doc == 1]
    assert len(long) > 10
    check_tiling(texts[1], long, 1000)
    for p in long[1:]:
        assert texts[1][p.own_start - 1].isspace()  # cuts between words
        assert texts[1][p.start - 1].isspace()  # the context starts on a word too
    assert piece_texts(texts, pieces)[0] == "short one"


def test_a_text_without_whitespace_is_still_cut_and_covered():
    text = "x" * 2500
    pieces = cut([text], size=1000, context=100)
    check_tiling(text, pieces, 1000)


def test_merged_spans_equal_the_whole_document_spans_and_nothing_is_truncated():
    text = random_text(40_000, seed=2)  # about 200 000 characters
    assert len(text) > 150_000
    pieces = cut([text], size=2000, context=250)
    merged = merge_spans(pieces, [capitalised_runs(t) for t in piece_texts([text], pieces)], 1)
    assert merged == [capitalised_runs(text)]
    assert merged[0][-1].end > len(text) - 50  # the end of the document is read


def test_a_span_across_a_cut_is_kept_once_and_whole():
    filler = "word " * 158  # 790 characters: the first cut (near 800) falls inside the entity
    text = filler + "Barack Hussein Obama Junior visited" + " word" * 300
    pieces = cut([text], size=1000, context=100)
    cuts = [p.own_start for p in pieces[1:]]
    entity = capitalised_runs(text)[0]
    assert any(entity.start < c < entity.end for c in cuts)  # the cut falls inside the entity
    merged = merge_spans(pieces, [capitalised_runs(t) for t in piece_texts([text], pieces)], 1)[0]
    assert merged == [entity] and text[entity.start : entity.end] == "Barack Hussein Obama Junior"


def test_disagreeing_pieces_never_give_overlapping_spans():
    pieces = [Piece(0, 0, 60, 0, 40), Piece(0, 30, 100, 40, 100)]
    first = [Span(35, 48, "PER", 0.9)]  # starts in its own stretch, runs past the cut
    second = [Span(12, 20, "LOC", 0.8), Span(25, 30, "PER", 0.7)]  # 42..50 overlaps it; 55..60 does not
    assert merge_spans(pieces, [first, second], 1) == [[Span(35, 48, "PER", 0.9), Span(55, 60, "PER", 0.7)]]


def test_a_document_is_deferred_when_any_piece_was():
    pieces = [Piece(0, 0, 10, 0, 5), Piece(0, 0, 10, 5, 10), Piece(1, 0, 4, 0, 4)]
    routed = [
        Routed([Span(0, 2, "PER", 0.9)], "small", 0.9, False),
        Routed([Span(6, 8, "LOC", None)], "big", 0.3, True),
        Routed([], "small", 1.0, False),
    ]
    first, second = merge_routed(pieces, routed, 2)
    assert first == Routed([Span(0, 2, "PER", 0.9), Span(6, 8, "LOC", None)], "big", 0.3, True)
    assert second == Routed([], "small", 1.0, False)


def test_impossible_sizes_are_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        cut(["text"], size=100, context=50)
