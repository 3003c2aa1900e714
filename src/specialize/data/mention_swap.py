"""Mention replacement: more labelled training text from the labelled text there is.

Each copy of the data swaps entity mentions, each with probability ``probability``, for another mention of the same
type found in the data ("Reuters" for "AFP", "Jacques Chirac" for "Yeltsin"), and moves the spans with them. The
sentences around the mentions stay as they were, so the labels stay right, and a model learns the type from the
context more than from the name: the simple augmentation that helped NER in Dai & Adel (2020, "An Analysis of
Simple Data Augmentation for Named Entity Recognition"). For distillation the copies are more text for the teacher
to label (the transfer set TinyBERT built by augmentation), beside the gold labels they keep.

Records keep their ``meta``; copy ``k`` of a record with an integer ``meta["doc_index"]`` (CoNLL ``-DOCSTART-``
articles) gets ``doc_index + k * (largest + 1)``, so its sentences still join into one document under
``data.context = document`` and never into the original's. Records with overlapping spans are copied unchanged.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from specialize.data.document import Document, Span
from specialize.data.edit import replace_span_texts
from specialize.data.validation import overlapping_pairs
from specialize.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MentionSwap:
    """How many copies of the data to make, how likely each mention is swapped, and the random seed."""

    copies: int = 1
    probability: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise ConfigError(f"copies must be at least 1, got {self.copies}")
        if not 0.0 < self.probability <= 1.0:
            raise ConfigError(
                f"probability must be in (0, 1], the chance each mention is swapped; got {self.probability}"
            )


@dataclass
class Augmented:
    """The copies, and what was done to make them."""

    documents: list[Document]
    swapped: int = 0
    kept: int = 0
    unchanged_overlapping: int = 0
    pool: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        return {
            "documents": len(self.documents),
            "mentions_swapped": self.swapped,
            "mentions_kept": self.kept,
            "records_with_overlapping_spans_copied_unchanged": self.unchanged_overlapping,
            "distinct_mentions_per_type": self.pool,
        }


def mention_pool(documents: Sequence[Document]) -> dict[str, list[str]]:
    """Each type's distinct mention texts, sorted so that a seed gives the same copies on every machine."""
    seen: dict[str, set[str]] = {}
    for doc in documents:
        for span in doc.spans:
            seen.setdefault(span.label, set()).add(doc.span_text(span))
    return {label: sorted(texts) for label, texts in sorted(seen.items())}


def swap_mentions(documents: Sequence[Document], settings: MentionSwap) -> Augmented:
    """``settings.copies`` copies of ``documents``, all copy 1 first, then copy 2..., mentions swapped."""
    rng = random.Random(settings.seed)
    pool = mention_pool(documents)
    indices = [d.meta.get("doc_index") for d in documents]
    stride = max((i for i in indices if isinstance(i, int)), default=-1) + 1
    result = Augmented([], pool={label: len(texts) for label, texts in pool.items()})
    for copy in range(1, settings.copies + 1):
        for doc in documents:
            result.documents.append(_swapped(doc, pool, settings.probability, rng, copy, stride, result))
    logger.info(
        "%d copies of %d records: %d mentions swapped, %d kept", settings.copies, len(documents), result.swapped,
        result.kept,
    )  # fmt: skip
    return result


def _swapped(
    doc: Document, pool: dict[str, list[str]], probability: float, rng: random.Random, copy: int, stride: int,
    counts: Augmented,
) -> Document:  # fmt: skip
    spans = sorted(doc.spans)
    new_texts: list[tuple[Span, str]] = []
    if overlapping_pairs(spans):
        counts.unchanged_overlapping += 1
    else:
        for span in spans:
            mention = doc.span_text(span)
            others = pool.get(span.label, [])
            if len(others) > 1 and rng.random() < probability:
                choice = rng.choice(others)
                while choice == mention:  # another mention, not the same one again
                    choice = rng.choice(others)
                new_texts.append((span, choice))
        counts.swapped += len(new_texts)
        counts.kept += len(spans) - len(new_texts)
    copied = replace_span_texts(doc, new_texts)
    meta = dict(copied.meta)
    if isinstance(meta.get("doc_index"), int):
        meta["doc_index"] += copy * stride
    meta["augmented"] = {"from": doc.id, "copy": copy}
    return replace(copied, id=f"{doc.id}~swap{copy}" if doc.id is not None else None, meta=meta)
