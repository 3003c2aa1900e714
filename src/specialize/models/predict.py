"""``predict``: run any model over raw texts or a file; one record per text with the model's answer.

A span model's answer is ``spans`` (``start``, ``end``, ``label``, ``text``, ``score``), a text classifier's
``labels`` and ``scores`` (every label's probability); the input record's id, metadata and other fields are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from specialize.data.document import Document
from specialize.data.io import input_documents, jsonl_output
from specialize.data.labels import describe_drops, label_map_drops
from specialize.models.resolve import load_model
from specialize.tasks.registry import task_of

logger = logging.getLogger(__name__)


def predict(
    model: Any,
    inputs: Sequence[str] | Sequence[Document] | str | Path,
    output: str | Path | IO[str] | None = None,
    *,
    text_field: str = "text",
    chunk_size: int = 256,
    label_map: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Answers for ``inputs``: a list of texts or documents, or a file/dataset read by ``read_texts``.

    ``model`` is a model object or any spec :func:`specialize.models.resolve.load_model` takes (``label_map``
    renames a spaCy pipeline's labels). With ``output`` (a path or an open text stream) one JSON line per text is
    written as results arrive: ``{"id", "text", <answer fields>, "meta"}``. Returns the records.
    """
    model = load_model(model, label_map=label_map)
    task = task_of(model)
    docs = input_documents(inputs, text_field=text_field)
    owned = ("id", "text", "meta", *task.answer_fields)  # what a record gets from us; other input fields pass through
    before = label_map_drops(model)
    records: list[dict[str, Any]] = []
    with jsonl_output(output) as write:
        for lo in range(0, len(docs), chunk_size):
            batch = docs[lo : lo + chunk_size]
            answers = task.answers_with_scores(model, [d.text for d in batch])
            for doc, fields in zip(batch, answers, strict=True):
                record: dict[str, Any] = {} if doc.id is None else {"id": doc.id}
                record["text"] = doc.text
                record.update(doc.extra_fields(owned))
                record.update(fields)
                if doc.meta:
                    record["meta"] = doc.meta
                records.append(record)
                write(record)
    logger.info("predicted %d texts with %s (%s)", len(records), getattr(model, "name", model), task.what)
    dropped = label_map_drops(model, before)
    if dropped:
        logger.warning(
            "%s: the label map %s", getattr(model, "name", model), describe_drops(dropped, "types it does not map")
        )
    return records
