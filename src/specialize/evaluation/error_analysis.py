"""Break strict-matching errors down into missed, spurious, wrong type, wrong boundary and both.

Exact matches (same start, end and label) are set aside first; only the remaining ("unmatched") gold spans
and predictions are classified. Each error is an *event* with a gold span, a prediction, or both:

* ``missed``: an unmatched gold span that overlaps no unmatched prediction (a pure false negative).
* ``spurious``: an unmatched prediction that overlaps no unmatched gold span (a pure false positive).
* ``wrong_type``: same boundaries, different label.
* ``wrong_boundary``: overlapping, same label, different boundaries.
* ``wrong_type_boundary``: overlapping, different label and different boundaries.

Each unmatched gold span is paired with its best overlapping unmatched prediction (same boundaries first,
then same label, then the largest overlap); predictions left over after that are paired with their best
overlapping gold span the same way, or counted spurious. So every false negative and false positive is in
at least one event, and only split/merge cases (one prediction covering two gold spans, or the reverse)
put one span in two events. Per-type counts use the gold label, or the predicted label for ``spurious``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from specialize.data.document import Document, Span

CATEGORIES: tuple[str, ...] = ("missed", "spurious", "wrong_type", "wrong_boundary", "wrong_type_boundary")


@dataclass(frozen=True)
class ErrorExample:
    """One error event, with enough text to read it without the corpus at hand."""

    category: str
    doc_id: str
    gold: dict[str, Any] | None
    """``{"start", "end", "label", "text"}`` of the gold span, or None for ``spurious``."""
    pred: dict[str, Any] | None
    """The same for the prediction, or None for ``missed``."""
    context: str
    """Text around the event; the gold span is marked ``[[...]]``, the prediction ``<<...>>`` when they
    differ in boundaries (same boundaries: only ``[[...]]``)."""


@dataclass
class ErrorAnalysis:
    counts: dict[str, int]
    """Events per category (all categories present, zeros included)."""
    per_type: dict[str, dict[str, int]]
    """``{type: {category: count}}``; only types with at least one error."""
    confusions: dict[str, int]
    """``"GOLD->PRED"`` counts of type errors (wrong_type, wrong_type_boundary), most frequent first."""
    examples: dict[str, list[ErrorExample]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "per_type": {t: dict(c) for t, c in self.per_type.items()},
            "confusions": dict(self.confusions),
            "examples": {c: [asdict(e) for e in ex] for c, ex in self.examples.items()},
        }


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def classify_pair(gold: Span, pred: Span) -> str:
    """Category of an overlapping, non-identical gold/prediction pair."""
    same_bounds = gold.start == pred.start and gold.end == pred.end
    if same_bounds:
        return "wrong_type"
    return "wrong_boundary" if gold.label == pred.label else "wrong_type_boundary"


def _best(span: Span, candidates: Sequence[Span], skip: set[int] | frozenset[int] = frozenset()) -> int | None:
    """Index of the most similar overlapping candidate: same boundaries, then same label, then overlap."""
    best: int | None = None
    best_rank: tuple[int, int, int, int] | None = None
    for i, c in enumerate(candidates):
        if i in skip or not _overlaps(span, c):
            continue
        # Last element (negated start) makes ties deterministic: the leftmost candidate wins.
        rank = (
            int(c.start == span.start and c.end == span.end),
            int(c.label == span.label),
            _overlap(span, c),
            -c.start,
        )
        if best_rank is None or rank > best_rank:
            best, best_rank = i, rank
    return best


def document_errors(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[str, Span | None, Span | None]]:
    """Error events ``(category, gold_span, pred_span)`` of one document, in text order."""
    pred_left = Counter(s.key() for s in pred)
    gold_un: list[Span] = []
    for g in sorted(gold):
        if pred_left.get(g.key(), 0) > 0:
            pred_left[g.key()] -= 1
        else:
            gold_un.append(g)
    gold_left = Counter(s.key() for s in gold)
    pred_un: list[Span] = []
    for p in sorted(pred):
        if gold_left.get(p.key(), 0) > 0:
            gold_left[p.key()] -= 1
        else:
            pred_un.append(p)

    events: list[tuple[str, Span | None, Span | None]] = []
    used: set[int] = set()  # indices into pred_un already part of a gold-driven event
    for g in gold_un:
        j = _best(g, pred_un, used)
        if j is None:
            # Overlapping only predictions already paired (a merge): still a pair error, not a miss.
            j = _best(g, pred_un)
        else:
            used.add(j)
        events.append(("missed", g, None) if j is None else (classify_pair(g, pred_un[j]), g, pred_un[j]))
    for i, p in enumerate(pred_un):
        if i in used:
            continue
        k = _best(p, gold_un)
        events.append(("spurious", None, p) if k is None else (classify_pair(gold_un[k], p), gold_un[k], p))
    # Text order: by where the event starts, then by the prediction's start (split events share a gold span).
    events.sort(key=lambda e: (min(s.start for s in e[1:] if s is not None), e[2].start if e[2] else -1))
    return events


def _span_info(text: str, span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"start": span.start, "end": span.end, "label": span.label, "text": text[span.start : span.end]}


def _context(text: str, gold: Span | None, pred: Span | None, width: int) -> str:
    """Snippet of ``width`` characters either side of the event, spans marked, newlines flattened."""
    # Sort keys (position, closes before opens, tie-break) keep markers properly nested when spans share an
    # edge: the outer span (larger end) opens first, the inner one (larger start) closes first.
    marks: list[tuple[int, int, int, str]] = []
    spans = [(gold, "[[", "]]")]
    if pred is not None and (gold is None or (pred.start, pred.end) != (gold.start, gold.end)):
        spans.append((pred, "<<", ">>"))
    for span, open_mark, close_mark in spans:
        if span is not None:
            marks += [(span.start, 1, -span.end, open_mark), (span.end, 0, -span.start, close_mark)]
    lo = max(0, min(m[0] for m in marks) - width)
    hi = min(len(text), max(m[0] for m in marks) + width)
    pieces, pos = [], lo
    for at, _, _, marker in sorted(marks):
        pieces += [text[pos:at], marker]
        pos = at
    pieces.append(text[pos:hi])
    snippet = "".join(pieces).replace("\n", " ")
    return ("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else "")


def analyze_errors(
    docs: Sequence[Document],
    predictions: Sequence[Sequence[Span]],
    *,
    max_examples: int = 5,
    context_chars: int = 40,
) -> ErrorAnalysis:
    """Classify the errors of ``predictions`` against the gold spans of ``docs`` (same order).

    Keeps the first ``max_examples`` events of each category in corpus order (deterministic); the document id
    is ``doc.id`` or, when that is missing, the document's index.
    """
    if len(docs) != len(predictions):
        raise ValueError(f"{len(docs)} documents but {len(predictions)} prediction lists")
    counts = dict.fromkeys(CATEGORIES, 0)
    per_type: dict[str, dict[str, int]] = {}
    confusions: Counter[str] = Counter()
    examples: dict[str, list[ErrorExample]] = {c: [] for c in CATEGORIES}
    for n, (doc, pred) in enumerate(zip(docs, predictions, strict=True)):
        for category, g, p in document_errors(doc.spans, pred):
            counts[category] += 1
            label = g.label if g is not None else p.label if p is not None else "?"
            type_counts = per_type.setdefault(label, dict.fromkeys(CATEGORIES, 0))
            type_counts[category] += 1
            if g is not None and p is not None and g.label != p.label:
                confusions[f"{g.label}->{p.label}"] += 1
            if len(examples[category]) < max_examples:
                examples[category].append(
                    ErrorExample(
                        category=category,
                        doc_id=doc.id if doc.id is not None else str(n),
                        gold=_span_info(doc.text, g),
                        pred=_span_info(doc.text, p),
                        context=_context(doc.text, g, p, context_chars),
                    )
                )
    return ErrorAnalysis(
        counts=counts,
        per_type=dict(sorted(per_type.items())),
        confusions=dict(confusions.most_common()),
        examples=examples,
    )
