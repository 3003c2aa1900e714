"""Prodigy: tasks with pre-annotated spans to correct (``ner.manual``-style JSONL), and annotations read back.

Tasks (``prodigy_tasks``): ``text``, ``tokens`` (``text``, ``start``, ``end``, ``id``, ``ws``: words and
punctuation, so the manual interface can edit the spans), ``spans`` (``start``, ``end``, ``label``, ``score``,
and ``token_start``/``token_end`` where the span's edges fall on token edges), ``meta`` (``doc_id``, the
document's confidence as ``score``, ``model_version``) and ``_input_hash``/``_task_hash`` (signed 32-bit integers,
as Prodigy's own: of the text, and of the text with the spans).

Annotations (``read_prodigy_export``: the JSONL ``prodigy db-out DATASET`` writes): each record has an
``answer``. ``accept`` becomes a gold document; ``reject`` and ``ignore`` are counted, never used. When the same
text was answered more than once (several sessions or annotators), the latest answer (``_timestamp``) is the one
that counts and the others are counted as ``superseded``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span, text_key
from specialize.data.errors import DataFormatError
from specialize.data.formats._annotations import ImportReport, provenance
from specialize.data.formats._base import atomic_write_text
from specialize.data.formats.jsonl import iter_records, parse_span

ANSWERS = ("accept", "reject", "ignore")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def prodigy_hash(*parts: str) -> int:
    """A signed 32-bit integer of ``parts`` (Prodigy keeps its hashes in that range)."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def prodigy_tokens(text: str) -> list[dict[str, Any]]:
    """Words and punctuation marks with character offsets, ``ws`` = followed by whitespace."""
    tokens = []
    for i, m in enumerate(_TOKEN.finditer(text)):
        ws = m.end() < len(text) and text[m.end()].isspace()
        tokens.append({"text": m.group(), "start": m.start(), "end": m.end(), "id": i, "ws": ws})
    return tokens


def prodigy_task(doc: Document, *, confidence: float | None, model_version: str) -> dict[str, Any]:
    tokens = prodigy_tokens(doc.text)
    starts = {t["start"]: t["id"] for t in tokens}
    ends = {t["end"]: t["id"] for t in tokens}
    spans = []
    for span in sorted(doc.spans):
        item: dict[str, Any] = {"start": span.start, "end": span.end, "label": span.label}
        if span.start in starts and span.end in ends:
            item["token_start"], item["token_end"] = starts[span.start], ends[span.end]
        if span.score is not None:
            item["score"] = round(float(span.score), 6)
        spans.append(item)
    meta: dict[str, Any] = {"doc_id": doc.id, "model_version": model_version}
    if confidence is not None:
        meta["score"] = round(float(confidence), 6)
    task_key = json.dumps([[s["start"], s["end"], s["label"]] for s in spans])
    return {
        "text": doc.text,
        "tokens": tokens,
        "spans": spans,
        "meta": meta,
        "_input_hash": prodigy_hash(doc.text),
        "_task_hash": prodigy_hash(doc.text, task_key),
    }


def prodigy_tasks(
    docs: Sequence[Document], confidences: Sequence[float | None], *, model_version: str
) -> list[dict[str, Any]]:
    return [prodigy_task(d, confidence=c, model_version=model_version) for d, c in zip(docs, confidences, strict=True)]


def write_prodigy_tasks(tasks: Sequence[dict[str, Any]], path: str | Path) -> None:
    atomic_write_text(path, "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks))


# -- annotations, read back --------------------------------------------------------------------------------------
def is_prodigy_answer(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("text"), str) and "answer" in record


def _time(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return value


def read_prodigy_export(path: str | Path, report: ImportReport | None = None) -> list[Document]:
    """Gold documents from Prodigy's ``db-out`` JSONL: the latest ``accept`` per text (see the module docstring)."""
    path = Path(path)
    report = report if report is not None else ImportReport()
    latest: dict[Any, tuple[float, int, Any, int | None]] = {}  # input key -> (time, order, record, line)
    for order, (line, location, record) in enumerate(iter_records(path)):
        if not is_prodigy_answer(record):
            raise DataFormatError(
                "not a Prodigy annotation (needs 'text' and 'answer')",
                fix="pass the JSONL that `prodigy db-out DATASET` writes",
                path=path,
                line=line,
                field=location or None,
            )
        if record["answer"] not in ANSWERS:
            raise DataFormatError(
                f"answer is {record['answer']!r}",
                fix=f"answers must be one of {', '.join(ANSWERS)}",
                path=path,
                line=line,
                field="answer",
            )
        report.tasks += 1
        key = record.get("_input_hash", text_key(record["text"]))
        stamp = record.get("_timestamp")
        when = float(stamp) if isinstance(stamp, int | float) else float("-inf")
        previous = latest.get(key)
        if previous is not None:
            report.not_used["superseded"] += 1
            if (previous[0], previous[1]) > (when, order):
                continue
        latest[key] = (when, order, record, line)
    docs = []
    for _, _, record, line in sorted(latest.values(), key=lambda v: v[1]):
        answer = record["answer"]
        if answer != "accept":
            report.not_used["rejected" if answer == "reject" else "ignored"] += 1
            continue
        docs.append(_accepted(record, path, line, report))
    report.files.append(str(path))
    return docs


def _accepted(record: dict[str, Any], path: Path, line: int | None, report: ImportReport) -> Document:
    text = record["text"]

    def error(reason: str, fix: str, field: str | None = None) -> DataFormatError:
        return DataFormatError(reason, fix=fix, path=path, line=line, field=field)

    raw = record.get("spans") or []
    if not isinstance(raw, list):
        raise error("'spans' is not a list", fix="make it a list of spans", field="spans")
    spans: list[Span] = sorted(parse_span(item, text, error, f"spans[{i}]") for i, item in enumerate(raw))
    meta: dict[str, Any] = record["meta"] if isinstance(record.get("meta"), dict) else {}
    doc_id = meta.get("doc_id")
    kept = {k: v for k, v in meta.items() if k not in ("doc_id", "score", "model_version")}
    doc = Document(
        text,
        spans,
        id=str(doc_id) if doc_id is not None else f"prodigy:{record.get('_input_hash', text_key(text)[:16])}",
        meta={
            **kept,
            "correction": provenance(
                "prodigy",
                doc_id=str(doc_id) if doc_id is not None else None,
                annotator=record.get("_annotator_id") or record.get("_session_id"),
                time=_time(record.get("_timestamp")),
                task_id=record.get("_task_hash"),
                source=path.name,
            ),
        },
    )
    report.add_accepted(doc)
    return doc
