"""Pick the documents most worth a human's time, and write them as tasks to correct.

Strategies:

* ``uncertainty``: the documents the model is least sure of: lowest document confidence, the same measures
  the cascade defers on (:mod:`specialize.evaluation.confidence`; ``min_word_prob`` by default for a model
  with word probabilities, which also sees entities the model almost found; ``min_span_score`` otherwise);
* ``random``: a seeded uniform sample (the baseline every selection should beat);
* ``diverse``: the ``candidates`` x n least confident, then spread by k-center greedy over document vectors
  (the model's encoder states, or TF-IDF), starting from the least confident.

A document already corrected (same id, else same text: :class:`~specialize.data.corrections.CorrectedIndex`)
is never picked, and a text repeated in the input is picked at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from specialize.config import CONFIG_FILE, CommandConfig, save_config_file
from specialize.correction.diversity import document_vectors, k_center_greedy
from specialize.data.corrections import CorrectedIndex, write_correction_tasks
from specialize.data.document import Document, text_key
from specialize.errors import ConfigError, DataError
from specialize.evaluation.confidence import CONFIDENCES, WordScorer, primary_confidences
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)

STRATEGIES = ("uncertainty", "random", "diverse")
PRE_ANNOTATIONS = ("model", "input")
CHUNK = 256  # documents per prediction call: bounded memory on large pools


@dataclass
class Selection:
    """The picked documents (with the spans to correct) and how they were picked."""

    documents: list[Document]
    confidences: list[float]
    strategy: str
    confidence: str
    seed: int
    pool: int
    """Candidate documents after exclusion and de-duplication."""
    excluded: int
    """Input documents left out because they were already corrected."""
    duplicates: int
    vectors: str | None = None
    """What the diverse strategy spread over: ``encoder`` or ``tfidf``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        values = np.asarray(self.confidences, dtype=float)
        return {
            "strategy": self.strategy,
            "confidence": self.confidence,
            "seed": self.seed,
            "selected": len(self.documents),
            "pool": self.pool,
            "excluded_already_corrected": self.excluded,
            "duplicate_texts": self.duplicates,
            "vectors": self.vectors,
            "selected_confidence": {
                "min": round(float(values.min()), 6),
                "mean": round(float(values.mean()), 6),
                "max": round(float(values.max()), 6),
            }
            if len(values)
            else None,
            **self.extra,
        }


def default_confidence(model: SpanPredictor) -> str:
    return "min_word_prob" if isinstance(model, WordScorer) else "min_span_score"


def _scored(model: SpanPredictor, docs: Sequence[Document], confidence: str) -> tuple[list[list[Any]], list[float]]:
    spans: list[list[Any]] = []
    confidences: list[float] = []
    for i in range(0, len(docs), CHUNK):
        s, c = primary_confidences(model, [d.text for d in docs[i : i + CHUNK]], confidence)
        spans += s
        confidences += c
    return spans, confidences


def candidate_pool(documents: Sequence[Document], exclude: Sequence[Document] = ()) -> tuple[list[Document], int, int]:
    """(documents not corrected yet, first copy of each text; number excluded; number of repeated texts)."""
    index = CorrectedIndex.of(list(exclude))
    seen: set[str] = set()
    pool: list[Document] = []
    excluded = duplicates = 0
    for doc in documents:
        if doc in index:
            excluded += 1
            continue
        key = text_key(doc.text)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        pool.append(doc)
    return pool, excluded, duplicates


def select_documents(
    model: SpanPredictor,
    documents: Sequence[Document],
    n: int,
    strategy: str = "uncertainty",
    *,
    exclude: Sequence[Document] = (),
    seed: int = 0,
    confidence: str | None = None,
    pre_annotations: str = "model",
    candidates: int = 3,
) -> Selection:
    """Pick ``n`` documents of ``documents`` to correct (see the module docstring for the strategies).

    ``exclude``: documents already corrected. ``pre_annotations``: ``model`` (the model's spans, scored) or
    ``input`` (the documents' own spans, e.g. a teacher's silver labels). The returned documents carry their
    confidence and rank in ``meta["selection"]``; confidences are the model's in every strategy.
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if pre_annotations not in PRE_ANNOTATIONS:
        raise ConfigError(f"pre_annotations must be one of {', '.join(PRE_ANNOTATIONS)}, got {pre_annotations!r}")
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    if candidates < 1:
        raise ConfigError(f"candidates must be at least 1, got {candidates}")
    confidence = confidence or default_confidence(model)
    if confidence not in CONFIDENCES:
        raise ConfigError(f"unknown confidence {confidence!r}; use one of {', '.join(CONFIDENCES)}")
    pool, excluded, duplicates = candidate_pool(documents, exclude)
    if not pool:
        raise DataError(f"nothing to select: all {len(documents)} documents are already corrected")
    if n > len(pool):
        logger.warning("asked for %d documents but only %d are left to correct: taking them all", n, len(pool))
        n = len(pool)
    vectors_kind = None
    if strategy == "random":
        picked = sorted(np.random.default_rng(seed).choice(len(pool), size=n, replace=False).tolist())
        spans, confidences = _scored(model, [pool[i] for i in picked], confidence)
    else:
        all_spans, all_confidences = _scored(model, pool, confidence)
        if max(all_confidences) - min(all_confidences) == 0:
            logger.warning(
                "every document has confidence %.3f under %r: uncertainty cannot rank them (a model without span "
                "scores?); the order is the input's",
                all_confidences[0],
                confidence,
            )
        # Stable sort: equal confidences keep the input order, so a run is reproducible.
        order = sorted(range(len(pool)), key=lambda i: all_confidences[i])
        if strategy == "uncertainty":
            picked = order[:n]
        else:
            shortlist = order[: min(len(pool), candidates * n)]
            vectors, vectors_kind = document_vectors(model, [pool[i].text for i in shortlist])
            picked = [shortlist[j] for j in k_center_greedy(vectors, n, first=0)]
        spans = [all_spans[i] for i in picked]
        confidences = [all_confidences[i] for i in picked]
    selected = []
    for rank, (i, doc_spans, c) in enumerate(zip(picked, spans, confidences, strict=True)):
        doc = pool[i]
        chosen = doc.spans if pre_annotations == "input" else sorted(doc_spans)
        info = {"rank": rank, "confidence": round(float(c), 6), "strategy": strategy}
        selected.append(replace(doc, spans=list(chosen), meta={**doc.meta, "selection": info}))
    logger.info("selected %d of %d candidate documents (%s, %s)", len(selected), len(pool), strategy, confidence)
    return Selection(selected, confidences, strategy, confidence, seed, len(pool), excluded, duplicates, vectors_kind)


def export_selection(
    selection: Selection,
    output: str | Path,
    *,
    labels: Sequence[str],
    model_version: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the selection as Label Studio and Prodigy tasks (see :func:`write_correction_tasks`)."""
    labels = sorted(set(labels) | {s.label for d in selection.documents for s in d.spans})
    summary = {**selection.to_dict(), "model_version": model_version, "labels": labels, **(extra or {})}
    return write_correction_tasks(
        selection.documents, selection.confidences, output, labels=labels, model_version=model_version, summary=summary
    )


def select_tasks(
    model: SpanPredictor | str,
    inputs: str | Path | Sequence[Document],
    output: str | Path,
    *,
    n: int,
    strategy: str = "uncertainty",
    exclude: Sequence[str | Path] = (),
    seed: int = 0,
    confidence: str | None = None,
    pre_annotations: str = "model",
    model_version: str | None = None,
    text_field: str = "text",
    label_map: str | None = None,
    candidates: int = 3,
    saved_config: CommandConfig | None = None,
) -> tuple[Selection, dict[str, Path]]:
    """``specialize select``: load the model (a folder, or ``spacy:NAME`` with ``label_map`` such as
    ``"PERSON=PER"`` or a preset), read the input (texts or silver documents) and the already-corrected files,
    pick ``n`` documents and write the task files into ``output``. ``saved_config``: the command's resolved
    config (a SelectConfig), saved there as ``specialize_config.toml`` (never over another file of that name)."""
    from specialize.data.corrections import read_corrected
    from specialize.data.io import read_documents_or_texts
    from specialize.data.labels import parse_label_map
    from specialize.models.resolve import load_model

    loaded: SpanPredictor = load_model(model, label_map=parse_label_map(label_map) if label_map else None)
    model = loaded
    documents = read_documents_or_texts(inputs, text_field=text_field) if isinstance(inputs, str | Path) else inputs
    if pre_annotations == "input" and not any(d.spans for d in documents):
        raise DataError(f"--pre-annotations input, but {inputs} has no spans: pass silver documents or use model")
    corrected = read_corrected(exclude) if exclude else []
    selection = select_documents(
        model,
        documents,
        n,
        strategy,
        exclude=corrected,
        seed=seed,
        confidence=confidence,
        pre_annotations=pre_annotations,
        candidates=candidates,
    )
    extra = {
        "model": model.name,
        "input": str(inputs) if isinstance(inputs, str | Path) else "(documents)",
        "exclude": [str(p) for p in exclude],
        "pre_annotations": pre_annotations,
    }
    paths = export_selection(
        selection, output, labels=model.labels, model_version=model_version or model.name, extra=extra
    )
    if save_config_file(Path(output) / CONFIG_FILE, saved_config, output):
        paths["config"] = Path(output) / CONFIG_FILE
    return selection, paths
