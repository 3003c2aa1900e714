"""``predict``: run a model over raw texts or a file and get documents with character-offset spans."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from specialize.data.document import Document
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
    if isinstance(inputs, str | Path):
        from specialize.data.io import read_texts

        docs = read_texts(inputs, text_field=text_field)
    else:
        docs = [d if isinstance(d, Document) else Document(d) for d in inputs]
    stream: IO[str] | None
    close = False
    if output is None or hasattr(output, "write"):
        stream = output  # type: ignore[assignment]
    else:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        stream = open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed below, written incrementally
        close = True
    results: list[Document] = []
    try:
        for batch in _batches(docs, chunk_size):
            for doc, spans in zip(batch, model.predict([d.text for d in batch]), strict=True):
                predicted = Document(doc.text, sorted(spans), doc.id, doc.meta)
                results.append(predicted)
                if stream is not None:
                    stream.write(json.dumps(predicted.to_dict(), ensure_ascii=False) + "\n")
    finally:
        if close and stream is not None:
            stream.close()
    logger.info("predicted %d documents, %d spans", len(results), sum(len(d.spans) for d in results))
    return results
