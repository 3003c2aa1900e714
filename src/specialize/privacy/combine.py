"""A model's spans plus pattern spans for structured identifiers, merged into one redaction-ready list.

The merge, per document:

1. A pattern span is kept unless it is a loose one (scored below ``VALIDATED``: phone-number shapes, ZIP
   codes, bare domains) strictly inside a model span of an unstructured type: a ZIP code or a house number
   inside a predicted street address stays part of the address, which hides it anyway and keeps the address
   whole. Checksum-validated identifiers (card, IBAN, e-mail, IP, SSN) are kept wherever they are.
2. Patterns win on structured types: a model span overlapping a kept pattern span is cut to its parts
   outside the pattern span (a validated card number beats the model's guess at its boundaries); punctuation
   and spaces at a cut edge are trimmed, and parts with no letter or digit left are dropped.

The result never has overlapping spans, and every letter and digit a model span covered stays covered (a cut
part went to the pattern span); only punctuation next to a cut, such as "%20|" around a found IP address, can
be left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from specialize.data.document import Span
from specialize.errors import ConfigError
from specialize.models.base import SpanPredictor
from specialize.teachers.rules import RegexTeacher

logger = logging.getLogger(__name__)

VALIDATED = 0.9  # pattern scores from here up come from a checksum or a parse (privacy.patterns.PII_SCORES)


def merge_spans(
    text: str, model_spans: Sequence[Span], pattern_spans: Sequence[Span], structured: frozenset[str]
) -> list[Span]:
    """Model and pattern spans of one text merged as the module docstring says (sorted, non-overlapping)."""
    patterns = [
        p
        for p in pattern_spans
        if (p.score or 0.0) >= VALIDATED
        or not any(
            m.label not in structured and m.start <= p.start and p.end <= m.end and (m.start, m.end) != (p.start, p.end)
            for m in model_spans
        )
    ]
    merged = list(patterns)
    for m in model_spans:
        pieces = [(m.start, m.end)]
        for p in patterns:
            pieces = [piece for start, end in pieces for piece in _subtract(start, end, p.start, p.end)]
        for start, end in pieces:
            # only the edges a pattern cut are tidied: the model's own boundaries ("Dr.") stay as predicted
            start, end = _strip(text, start, end, m.start != start, m.end != end)
            if any(c.isalnum() for c in text[start:end]):
                merged.append(Span(start, end, m.label, m.score))
    return sorted(merged)


def _subtract(start: int, end: int, cut_start: int, cut_end: int) -> list[tuple[int, int]]:
    if cut_end <= start or end <= cut_start:
        return [(start, end)]
    return [(a, b) for a, b in ((start, cut_start), (cut_end, end)) if a < b]


def _strip(text: str, start: int, end: int, left: bool, right: bool) -> tuple[int, int]:
    """Drop whitespace and punctuation left at the cut edges of a part (", " between a name and a phone)."""
    while left and start < end and not text[start].isalnum():
        start += 1
    while right and end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


class PiiPredictor:
    """A ``SpanPredictor`` for redaction: an optional model (specialist, ONNX export, spaCy...) plus pattern
    recognizers for structured identifiers, merged by :func:`merge_spans`."""

    def __init__(self, model: SpanPredictor | None, patterns: RegexTeacher | None, name: str | None = None) -> None:
        if model is None and patterns is None:
            raise ConfigError("a PII predictor needs a model, patterns or both")
        self.model = model
        self.patterns = patterns
        parts = [p.name for p in (model, patterns) if p is not None]
        self.name = name or "+".join(parts)
        self.structured = frozenset(patterns.labels) if patterns is not None else frozenset()

    @property
    def labels(self) -> list[str]:
        labels = set(self.model.labels) if self.model is not None else set()
        return sorted(labels | self.structured)

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        texts = list(texts)
        model_spans = self.model.predict(texts) if self.model is not None else [[] for _ in texts]
        if self.patterns is None:
            return [sorted(spans) for spans in model_spans]
        pattern_spans = self.patterns.predict(texts)
        return [
            merge_spans(text, m, p, self.structured)
            for text, m, p in zip(texts, model_spans, pattern_spans, strict=True)
        ]
