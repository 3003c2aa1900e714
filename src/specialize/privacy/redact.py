"""``redact``: find PII with a model plus pattern recognizers and replace it; JSONL with the redacted text out.

``MODEL`` is a specialist folder, an exported ONNX folder, ``spacy:NAME`` (with a label map), ``patterns``
(the pattern recognizers alone) or ``presidio[:SPACY_MODEL]`` (Microsoft Presidio's analyzer). Models are
combined with the pattern recognizers unless ``patterns=False`` (see :mod:`specialize.privacy.combine`); long
documents are cut into windows by the model's own predictor, never truncated.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from specialize.data.document import Document
from specialize.data.io import input_documents, jsonl_output
from specialize.errors import ConfigError
from specialize.models.base import SpanPredictor
from specialize.privacy.operators import Operator, Redaction, Redactor, Scope

logger = logging.getLogger(__name__)


def load_redaction_model(
    spec: str, *, patterns: bool = True, label_map: Mapping[str, str] | None = None
) -> SpanPredictor:
    """A ``SpanPredictor`` for ``spec`` (see the module docstring), with pattern recognizers unless ``patterns``
    is false (Presidio has its own and is never combined)."""
    from specialize.privacy.combine import PiiPredictor
    from specialize.privacy.patterns import pii_patterns

    if spec == "patterns":
        return PiiPredictor(None, pii_patterns())
    if spec == "presidio" or spec.startswith("presidio:"):
        from specialize.privacy.presidio import DEFAULT_SPACY_MODEL, PresidioPredictor

        _, _, spacy_model = spec.partition(":")
        return PresidioPredictor(spacy_model or DEFAULT_SPACY_MODEL, label_map=label_map)
    from specialize.models.resolve import load_model

    model = load_model(spec, label_map=label_map)
    return PiiPredictor(model, pii_patterns()) if patterns else model


@dataclass
class RedactedDocument:
    """One input document after redaction: its id, metadata and the redaction (text and replacements)."""

    id: str | None
    redaction: Redaction
    meta: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out["text"] = self.redaction.text
        out["spans"] = [r.to_dict() for r in self.redaction.replacements]
        if self.meta:
            out["meta"] = self.meta
        return out


def redact(
    model: SpanPredictor | str,
    inputs: Sequence[str] | Sequence[Document] | str | Path,
    output: str | Path | IO[str] | None = None,
    *,
    operator: Operator | str = Operator.TAG,
    salt: str | bytes | None = None,
    scope: Scope | str = Scope.RUN,
    labels: Collection[str] | None = None,
    text_field: str = "text",
    chunk_size: int = 256,
) -> list[RedactedDocument]:
    """Redact ``inputs`` (texts, documents, or a file/dataset read by ``read_texts``) with ``model``.

    ``labels`` limits redaction to those types (others are left in the text). With ``output`` (a path or an
    open stream) one JSON line per document is written as it is done: ``{"id", "text": redacted, "spans":
    [{"start", "end", "label", "replacement", "out_start", "out_end", "score"}], "meta"}``; offsets ``start``/
    ``end`` point into the input text, ``out_*`` into the redacted one. The original values are not written.
    """
    if isinstance(model, str):
        model = load_redaction_model(model)
    docs = input_documents(inputs, text_field=text_field)
    if labels is not None:
        unknown = sorted(set(labels) - set(model.labels))
        if unknown:
            raise ConfigError(f"model {model.name!r} never finds {unknown}; it finds {model.labels}")
    redactor = Redactor(operator, salt=salt, scope=scope)
    results: list[RedactedDocument] = []
    with jsonl_output(output) as write:
        for i in range(0, len(docs), chunk_size):
            batch = docs[i : i + chunk_size]
            for doc, spans in zip(batch, model.predict([d.text for d in batch]), strict=True):
                if labels is not None:
                    spans = [s for s in spans if s.label in labels]
                result = RedactedDocument(doc.id, redactor.redact(doc.text, spans), doc.meta)
                results.append(result)
                write(result.to_dict())
    logger.info(
        "redacted %d documents, %d spans (%s)",
        len(results),
        sum(len(r.redaction.replacements) for r in results),
        Operator(operator).value,
    )
    return results
