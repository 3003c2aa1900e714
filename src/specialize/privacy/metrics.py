"""Redaction metrics: recall-weighted F2 per type, character-level scores and the leak rate.

For redaction a missed identifier costs far more than a redacted common word, so the headline score is
F-beta with beta = 2 (recall weighted four times precision), per type and micro, over strict spans
(:mod:`specialize.evaluation.span_metrics`).

Strict spans punish a right redaction with the wrong type or boundary, which does not matter to whoever reads
the output; two type-agnostic measures count what does:

* **character scores**: precision/recall/F2 over the non-whitespace characters inside gold spans vs. inside
  redacted ranges, whatever the types;
* **leak rate**: the share of gold PII characters (non-whitespace) left verbatim in the redacted output, i.e.
  not inside any replaced range; per gold type too. ``entities_leaked`` counts gold entities with at least
  one character left, ``entities_verbatim`` those whose whole value still occurs in the redacted text (a check
  on the output itself: a value can survive elsewhere in the text even when its own span was replaced).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from specialize.data.document import Document, Span
from specialize.evaluation.span_metrics import SpanScores
from specialize.privacy.operators import Redaction


def fbeta(precision: float, recall: float, beta: float = 2.0) -> float:
    """F-beta; 0.0 when precision and recall are both 0 (the span_metrics convention: never NaN)."""
    b2 = beta * beta
    denominator = b2 * precision + recall
    return (1 + b2) * precision * recall / denominator if denominator > 0 else 0.0


def f2_table(scores: SpanScores) -> dict[str, Any]:
    """Micro and per-type precision, recall and F2 of strict span scores."""
    per_type = {
        t: {
            "precision": round(prf.precision, 6),
            "recall": round(prf.recall, 6),
            "f2": round(fbeta(prf.precision, prf.recall), 6),
            "support": prf.support,
        }
        for t, prf in scores.per_type.items()
    }
    m = scores.micro
    return {
        "precision": round(m.precision, 6),
        "recall": round(m.recall, 6),
        "f2": round(fbeta(m.precision, m.recall), 6),
        "per_type": per_type,
    }


def _covered(length: int, ranges: Sequence[tuple[int, int]]) -> list[bool]:
    mask = [False] * length
    for start, end in ranges:
        for i in range(max(start, 0), min(end, length)):
            mask[i] = True
    return mask


@dataclass
class CharScores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f2": round(fbeta(self.precision, self.recall), 6),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def char_scores(gold: Sequence[Document], predicted: Sequence[Sequence[Span]]) -> CharScores:
    """Type-agnostic precision/recall over non-whitespace characters inside gold vs. predicted spans."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted ones")
    tp = fp = fn = 0
    for doc, spans in zip(gold, predicted, strict=True):
        g = _covered(len(doc.text), [(s.start, s.end) for s in doc.spans])
        p = _covered(len(doc.text), [(s.start, s.end) for s in spans])
        for c, in_gold, in_pred in zip(doc.text, g, p, strict=True):
            if c.isspace():
                continue
            tp += in_gold and in_pred
            fp += in_pred and not in_gold
            fn += in_gold and not in_pred
    return CharScores(tp, fp, fn)


@dataclass
class LeakReport:
    """Gold PII characters left verbatim in redacted outputs, overall and per gold type."""

    gold_chars: int = 0
    leaked_chars: int = 0
    per_type: dict[str, list[int]] = field(default_factory=dict)  # type -> [gold chars, leaked chars]
    entities: int = 0
    entities_leaked: int = 0
    entities_verbatim: int = 0

    @property
    def rate(self) -> float:
        return self.leaked_chars / self.gold_chars if self.gold_chars else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "leak_rate": round(self.rate, 6),
            "gold_chars": self.gold_chars,
            "leaked_chars": self.leaked_chars,
            "per_type": {
                t: {"leak_rate": round(leaked / gold, 6) if gold else 0.0, "gold_chars": gold}
                for t, (gold, leaked) in sorted(self.per_type.items())
            },
            "entities": self.entities,
            "entities_leaked": self.entities_leaked,
            "entities_verbatim": self.entities_verbatim,
        }


def leak_report(gold: Sequence[Document], redactions: Sequence[Redaction]) -> LeakReport:
    """How much of the gold PII survives ``redactions`` (one per gold document, same order)."""
    if len(gold) != len(redactions):
        raise ValueError(f"{len(gold)} gold documents but {len(redactions)} redactions")
    report = LeakReport()
    per_type: dict[str, Counter[str]] = {}
    for doc, redaction in zip(gold, redactions, strict=True):
        hidden = _covered(len(doc.text), [(r.start, r.end) for r in redaction.replacements])
        for span in doc.spans:
            positions = [i for i in range(span.start, span.end) if not doc.text[i].isspace()]
            leaked = sum(not hidden[i] for i in positions)
            counts = per_type.setdefault(span.label, Counter())
            counts["gold"] += len(positions)
            counts["leaked"] += leaked
            report.gold_chars += len(positions)
            report.leaked_chars += leaked
            report.entities += 1
            report.entities_leaked += leaked > 0
            report.entities_verbatim += doc.span_text(span) in redaction.text
    report.per_type = {t: [c["gold"], c["leaked"]] for t, c in per_type.items()}
    return report
