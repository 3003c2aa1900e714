"""Sentences back into their documents, so a model reads each sentence with its neighbours as context.

Corpora such as CoNLL-2003 come one sentence per record, with the document each belongs to (``meta["doc_index"]``,
from ``-DOCSTART-`` lines). A model that sees only the sentence loses what the document says elsewhere ("Jordan" the
country or the player); read as whole documents, with the windows of ``specialize.data.chunking``, every word gets
up to a window of context. Scores do not depend on the unit: a span is a span, whether its offsets count from the
sentence or from the document.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum

from specialize.data.document import Document, Span

SEPARATOR = "\n"  # between sentences: whitespace to every tokenizer, and a visible line break in the output


class Context(StrEnum):
    """What one training or evaluation record is."""

    SENTENCE = "sentence"  # each record as it was read
    DOCUMENT = "document"  # consecutive records of one document (meta doc_index) joined into one


def join_documents(records: Sequence[Document]) -> list[Document]:
    """Consecutive records with the same ``meta["doc_index"]`` joined into one document (records without one stay
    as they are). The joined document keeps the records' ids and character ranges in ``meta["sentences"]``."""
    out: list[Document] = []
    group: list[Document] = []

    def flush() -> None:
        if not group:
            return
        if len(group) == 1 and "doc_index" not in group[0].meta:
            out.append(group[0])
        else:
            out.append(_joined(group))
        group.clear()

    for record in records:
        index = record.meta.get("doc_index")
        if group and (index is None or group[-1].meta.get("doc_index") != index):
            flush()
        group.append(record)
        if index is None:
            flush()
    flush()
    return out


def _joined(records: Sequence[Document]) -> Document:
    parts: list[str] = []
    spans: list[Span] = []
    ranges: list[dict[str, object]] = []
    offset = 0
    for record in records:
        if parts:
            parts.append(SEPARATOR)
            offset += len(SEPARATOR)
        parts.append(record.text)
        spans += [Span(s.start + offset, s.end + offset, s.label, s.score, s.kb_id) for s in record.spans]
        ranges.append({"id": record.id, "start": offset, "end": offset + len(record.text)})
        offset += len(record.text)
    first = records[0]
    meta = {"doc_index": first.meta.get("doc_index"), "sentences": ranges}
    return Document("".join(parts), spans, f"{first.id}+{len(records) - 1}" if len(records) > 1 else first.id, meta)


def _compact(text: str) -> str:
    return "".join(text.split())


def attach_documents(sentences: Sequence[Document], documents: Sequence[Document]) -> tuple[list[Document], int]:
    """The ``sentences`` of a sentence-split corpus, each with ``meta["doc_index"]`` (and ``meta["document"]``, the
    document's id) of the whole document in ``documents`` that holds it, so :func:`join_documents` can put them back
    together. A sentence is found by its characters without whitespace (tokenization only moved spaces): first in
    the document of the sentence before it, after that sentence, else anywhere. Sentences found nowhere are kept
    without a document (and counted, the second value)."""
    compact = [_compact(d.text) for d in documents]
    everything = "\x00".join(compact)
    starts: list[int] = []
    position = 0
    for text in compact:
        starts.append(position)
        position += len(text) + 1
    out: list[Document] = []
    missing = 0
    current, after = -1, 0
    for sentence in sentences:
        key = _compact(sentence.text)
        found = compact[current].find(key, after) if current >= 0 and key else -1
        if found < 0:
            anywhere = everything.find(key) if key else -1
            if anywhere < 0:
                missing += 1
                current = -1
                out.append(sentence)
                continue
            current = bisect.bisect_right(starts, anywhere) - 1
            found = anywhere - starts[current]
        after = found + len(key)
        meta = {**sentence.meta, "doc_index": current, "document": documents[current].id}
        out.append(replace(sentence, meta=meta))
    return out, missing
