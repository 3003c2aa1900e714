"""``predict``: run a model over raw texts or a file and get documents with character-offset spans."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO

from specialize.data.document import Document
from specialize.data.io import input_documents, jsonl_output
from specialize.data.labels import describe_drops, label_map_drops
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
    before = label_map_drops(model)
    results: list[Document] = []
    with jsonl_output(output) as write:
        for batch in _batches(docs, chunk_size):
            for doc, spans in zip(batch, model.predict([d.text for d in batch]), strict=True):
                predicted = replace(doc, spans=sorted(spans))  # every input field kept
                results.append(predicted)
                write(predicted.to_dict())
    logger.info("predicted %d documents, %d spans", len(results), sum(len(d.spans) for d in results))
    dropped = label_map_drops(model, before)
    if dropped:
        logger.warning("%s: the label map %s", model.name, describe_drops(dropped, "types it does not map"))
    return results
