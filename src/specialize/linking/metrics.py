"""Linking scores: mention-level accuracy@1 and document-level code-set micro P/R/F1, with bootstrap CIs.

* **accuracy@1** is scored on gold mentions (the linker is given the gold spans): correct when the linked ids
  are non-empty and all among the gold ids (``ids.is_correct``: a single id that is part of a composite gold
  id counts as correct). Gold mentions without an id (``-1`` or missing) are skipped and counted; an unlinked
  mention counts as wrong.
* **code sets**: per document, the set of single ids of the predicted mentions against that of the gold
  mentions (``ids.code_set``); true positives are ids in both, false positives predicted only, false
  negatives gold only, summed over documents (micro). The predicted mentions may be the gold spans (linking
  alone) or a NER model's spans (end to end).

Confidence intervals resample documents with replacement (errors within a document are correlated), with
the same seed for every system so that systems scored on the same documents are compared on the same
resamples; code-set intervals reuse ``evaluation.span_metrics.bootstrap_ci``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specialize.data.document import Document
from specialize.evaluation.span_metrics import PRF, SpanScores, bootstrap_ci
from specialize.linking.ids import code_set, is_correct, parse_ids

CODE_TYPE = "concept"


@dataclass(frozen=True)
class AccuracyScore:
    correct: int
    total: int
    skipped_without_id: int
    accuracy: float
    ci: tuple[float, float] | None
    n_docs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 6),
            "accuracy_ci": [round(x, 6) for x in self.ci] if self.ci else None,
            "correct": self.correct,
            "mentions": self.total,
            "skipped_without_id": self.skipped_without_id,
            "n_docs": self.n_docs,
        }


@dataclass(frozen=True)
class CodeSetScore:
    prf: PRF
    ci: dict[str, tuple[float, float]] | None
    n_docs: int

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "precision": round(self.prf.precision, 6),
            "recall": round(self.prf.recall, 6),
            "f1": round(self.prf.f1, 6),
            "tp": self.prf.tp,
            "fp": self.prf.fp,
            "fn": self.prf.fn,
            "n_docs": self.n_docs,
        }
        for name, (lo, hi) in (self.ci or {}).items():
            out[f"{name}_ci"] = [round(lo, 6), round(hi, 6)]
        return out


def mention_accuracy(
    gold: Sequence[Document], linked: Sequence[Document], *, n_bootstrap: int = 1000, seed: int = 0
) -> AccuracyScore:
    """Accuracy@1 of ``linked`` (the gold documents' spans, linked) against the gold spans' ``kb_id``."""
    if len(gold) != len(linked):
        raise ValueError(f"{len(gold)} gold documents but {len(linked)} linked documents")
    correct = np.zeros(len(gold), dtype=np.int64)
    total = np.zeros(len(gold), dtype=np.int64)
    skipped = 0
    for d, (g, p) in enumerate(zip(gold, linked, strict=True)):
        gold_spans, pred_spans = sorted(g.spans), sorted(p.spans)
        if [s.key() for s in gold_spans] != [s.key() for s in pred_spans]:
            raise ValueError(
                f"document {g.id!r}: the linked spans are not the gold spans; accuracy@1 links the gold mentions "
                "(use code_set_scores for predicted mentions)"
            )
        for gs, ps in zip(gold_spans, pred_spans, strict=True):
            if not parse_ids(gs.kb_id):
                skipped += 1
                continue
            total[d] += 1
            correct[d] += is_correct(ps.kb_id, gs.kb_id)
    n_correct, n_total = int(correct.sum()), int(total.sum())
    accuracy = n_correct / n_total if n_total else 0.0
    ci = _ratio_ci(correct, total, n_bootstrap, seed) if n_bootstrap and n_total else None
    return AccuracyScore(n_correct, n_total, skipped, accuracy, ci, len(gold))


def _ratio_ci(
    numerators: np.ndarray, denominators: np.ndarray, n_samples: int, seed: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile CI of sum(numerators) / sum(denominators) over documents resampled with replacement."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(numerators), size=(n_samples, len(numerators)))
    num, den = numerators[idx].sum(axis=1), denominators[idx].sum(axis=1)
    ratios = num[den > 0] / den[den > 0]  # a resample without scored mentions says nothing
    if ratios.size == 0:
        point = float(numerators.sum() / max(denominators.sum(), 1))
        return (point, point)
    lo, hi = np.percentile(ratios, (100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2))
    return (float(lo), float(hi))


def code_set_scores(
    gold: Sequence[Document], predicted: Sequence[Document], *, n_bootstrap: int = 1000, seed: int = 0
) -> CodeSetScore:
    """Micro P/R/F1 of each document's predicted id set against its gold id set (documents in the same order)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted documents")
    counts = np.zeros((len(gold), 1, 3), dtype=np.int64)
    for d, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        gold_ids = code_set(s.kb_id for s in g.spans)
        pred_ids = code_set(s.kb_id for s in p.spans)
        counts[d, 0] = (len(gold_ids & pred_ids), len(pred_ids - gold_ids), len(gold_ids - pred_ids))
    tp, fp, fn = (int(x) for x in counts.sum(axis=(0, 1)))
    prf = PRF.from_counts(tp, fp, fn)
    ci = None
    if n_bootstrap:
        # One pseudo-type holding the code counts: span_metrics' document bootstrap then applies as is.
        scores = SpanScores([CODE_TYPE], {CODE_TYPE: prf}, prf, prf.precision, prf.recall, prf.f1, [CODE_TYPE], counts)
        boot = bootstrap_ci(scores, n_samples=n_bootstrap, seed=seed)
        ci = {"precision": boot.micro_precision, "recall": boot.micro_recall, "f1": boot.micro_f1}
    return CodeSetScore(prf, ci, len(gold))
