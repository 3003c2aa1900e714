"""``predict``: run a model over raw texts or a file and get documents with character-offset spans."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from specialize.data.document import Document
from specialize.data.io import input_documents, jsonl_output
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)


def _batches(docs: Sequence[Document], size: int) -> Iterator[list[Document]]:
    for i in range(0, len(docs), size):
        yield list(docs[i : i + size])


def predict(
    model: SpanPredictor | str,
    inputs: Sequence[str] | Sequence[Document] | str | Path,
    output: str | Path | IO[str] | None = None,
    *,
    text_field: str = "text",
    chunk_size: int = 256,
) -> list[Document]:
    """Predict spans for ``inputs``: a list of texts or documents, or a file/dataset read by ``read_texts``.

    With ``output`` (a path or an open text stream) one JSON line per document is written as results arrive,
    ``{"id", "text", "spans": [{"start", "end", "label", "text", "score"}], "meta"}``; ids and metadata of
    the input are kept. Returns the documents with their predicted spans.
    """
    if isinstance(model, str):
        from specialize.models.loading import load_predictor

        model = load_predictor(model)
    docs = input_documents(inputs, text_field=text_field)
    results: list[Document] = []
    with jsonl_output(output) as write:
        for batch in _batches(docs, chunk_size):
            for doc, spans in zip(batch, model.predict([d.text for d in batch]), strict=True):
                predicted = Document(doc.text, sorted(spans), doc.id, doc.meta)
                results.append(predicted)
                write(predicted.to_dict())
    logger.info("predicted %d documents, %d spans", len(results), sum(len(d.spans) for d in results))
    return results
