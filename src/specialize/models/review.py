"""Contract review: a whole contract in, the passages of each clause type out.

The contract is cut into paragraphs (:func:`~specialize.data.classification.passage_spans`, the same cut that
made the CUAD negatives), each paragraph's whitespace is normalised as in training, and a multi-label clause
classifier (e.g. one trained on ``cuad-clauses``) labels every paragraph. Passages keep their character offsets
into the original text, so a reviewer can jump to them; a paragraph with no label above the threshold is
reported as unlabelled, not dropped from the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.data.classification import normalize_whitespace, passage_spans
from specialize.errors import ModelFolderError


@dataclass
class Passage:
    start: int
    end: int
    text: str
    labels: list[str]
    scores: dict[str, float]  # probability of each predicted label

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "labels": self.labels, "scores": self.scores}


@dataclass
class ContractReview:
    passages: list[Passage]
    clause_types: list[str]  # every label the model knows, found or not
    by_type: dict[str, list[Passage]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Clause types the model knows that no passage of this contract was given."""
        return [label for label in self.clause_types if not self.by_type.get(label)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passages": len(self.passages),
            "unlabelled_passages": sum(not p.labels for p in self.passages),
            "clauses": {label: [p.to_dict() for p in found] for label, found in self.by_type.items()},
            "missing": self.missing,
        }


def review_contract(model: Any, text: str) -> ContractReview:
    """Label every paragraph of ``text`` with ``model`` (a TextClassifier or its folder) and group by label."""
    return review_contracts(model, [text])[0]


def review_contracts(model: Any, texts: Sequence[str]) -> list[ContractReview]:
    """:func:`review_contract` for several contracts, classified in one batch."""
    if isinstance(model, str | Path):
        from specialize.models.resolve import load_folder

        model = load_folder(model)
    if getattr(model, "task", None) != "classification":
        raise ModelFolderError(
            f"{getattr(model, 'name', model)!r} is not a text classifier; review takes a multi-label classifier "
            "trained on clause types (e.g. specialize train --task classification --train cuad-clauses:train)"
        )
    cuts = [passage_spans(text) for text in texts]
    flat = [
        normalize_whitespace(text[start:end]) for text, spans in zip(texts, cuts, strict=True) for start, end in spans
    ]
    probabilities = model.predict_proba(flat) if flat else []
    decided = model.decide(probabilities) if flat else []
    labels = list(model.labels)
    reviews, k = [], 0
    for spans in cuts:
        passages = []
        for start, end in spans:
            row = probabilities[k]
            chosen = decided[k]
            passages.append(
                Passage(start, end, flat[k], chosen, {c: round(float(row[labels.index(c)]), 6) for c in chosen})
            )
            k += 1
        by_type: dict[str, list[Passage]] = {}
        for passage in passages:
            for label in passage.labels:
                by_type.setdefault(label, []).append(passage)
        reviews.append(ContractReview(passages, labels, dict(sorted(by_type.items()))))
    return reviews
