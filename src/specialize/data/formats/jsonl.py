"""JSON Lines (and JSON array) files with character-offset spans.

Accepted record shapes, one per line (or as the items of one JSON array):

* ``{"text", "spans": [{"start", "end", "label"[, "text", "score", "kb_id"]}]}`` (spaCy / Prodigy / our
  writer; ``kb_id`` is a linked concept id, see ``Span``)
* ``"entities"`` instead of ``"spans"``, its items also as ``[start, end, label]`` lists
* spaCy's training tuples ``["text", {"entities": [[start, end, label], ...]}]``
* Label Studio exports ``{"data": {"text"}, "annotations": [{"result": [{"value": {"start", "end",
  "labels"}}]}]}`` (first non-cancelled annotation; others are counted in the report)
* Presidio-style ``{"full_text", "spans": [{"start_position", "end_position", "entity_type"}]}``

``id`` and ``meta`` are kept; records without an id get ``<file stem>:<record number>``.
A span whose ``text`` disagrees with ``text[start:end]`` is an error naming the line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats._base import ReadReport, atomic_write_text, log_repairs, read_text

_OFFSET_FIX = "offsets must be character (not byte or token) offsets into the record's text"


def iter_records(path: str | Path) -> Iterator[tuple[int | None, str, Any]]:
    """Yield ``(line number or None, location, parsed JSON)`` per record of a JSONL or JSON array file."""
    path = Path(path)
    text = read_text(path)
    if text.lstrip().startswith("["):
        # A whole-file JSON array (Label Studio "JSON" export): items have no line of their own.
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                f"invalid JSON: {exc.msg}", fix="fix the JSON syntax", path=path, line=exc.lineno
            ) from exc
        for index, item in enumerate(items):
            yield None, f"[{index}]", item
        return
    if text.lstrip().startswith("{") and _is_one_object(text):
        yield None, "", json.loads(text)  # a single pretty-printed object
        return
    # Split on "\n" only: str.splitlines() would also split on U+2028 etc., which JSON allows unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield number, "", json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                f"invalid JSON at column {exc.colno}: {exc.msg}",
                fix="each line must be one complete JSON object (JSON Lines); fix the line",
                path=path,
                line=number,
            ) from exc


def _is_one_object(text: str) -> bool:
    """True for a file holding one JSON object spread over several lines (not JSON Lines)."""
    first = text.lstrip().split("\n", 1)[0]
    try:
        json.loads(first)
        return False
    except json.JSONDecodeError:
        pass
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def read_jsonl(path: str | Path, *, report: ReadReport | None = None) -> list[Document]:
    """Read documents with spans from a JSONL file or a JSON array file (see module docstring)."""
    path = Path(path)
    report = report if report is not None else ReadReport()
    before = Counter(report.repairs)
    docs: list[Document] = []
    for number, (line, location, record) in enumerate(iter_records(path), 1):
        doc = _record_to_document(record, path, line, location, report)
        if doc.id is None:
            doc.id = f"{path.stem}:{number}"
        docs.append(doc)
    report.files.append(str(path))
    report.documents += len(docs)
    report.spans += sum(len(d.spans) for d in docs)
    log_repairs(report, path, before)
    return docs


def _record_to_document(record: Any, path: Path, line: int | None, location: str, report: ReadReport) -> Document:
    def error(reason: str, fix: str, field: str | None = None) -> DataFormatError:
        where = ".".join(p for p in (location, field) if p) or None
        return DataFormatError(reason, fix=fix, path=path, line=line, field=where)

    meta: dict[str, Any] = {}
    raw_spans: Any
    if isinstance(record, list) and len(record) == 2 and isinstance(record[1], dict):
        text, raw_spans, spans_field = record[0], record[1].get("entities", []), "[1].entities"
    elif isinstance(record, dict) and isinstance(record.get("data"), dict):
        text, spans_field = record["data"].get("text"), "annotations[0].result"
        raw_spans = _label_studio_spans(record, report)
        meta = {k: v for k, v in record["data"].items() if k != "text"}
    elif isinstance(record, dict):
        text = record.get("text", record.get("full_text"))
        spans_field = "spans" if "spans" in record else "entities"
        raw_spans = record.get(spans_field) or []
    else:
        raise error(
            f"record is a JSON {type(record).__name__}, not an object",
            fix='write one object per line like {"text": ..., "spans": [{"start", "end", "label"}]}',
        )
    if not isinstance(text, str):
        raise error(
            "record has no string 'text'",
            fix="add a 'text' field (Label Studio: data.text; Presidio: full_text)",
            field="text",
        )
    if not isinstance(raw_spans, list):
        raise error(f"'{spans_field}' is not a list", fix="make it a list of spans", field=spans_field)
    spans = [parse_span(item, text, error, f"{spans_field}[{i}]") for i, item in enumerate(raw_spans)]
    doc_id: Any = record.get("id") if isinstance(record, dict) else None
    if isinstance(record, dict) and isinstance(record.get("meta"), dict):
        meta.update(record["meta"])
    if isinstance(record, dict) and "template_id" in record:
        # Presidio's synthetic data must be split by template, so the template id has to survive.
        meta["template_id"] = record["template_id"]
    return Document(text, sorted(spans), id=_str_id(doc_id), meta=meta)


def _str_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _label_studio_spans(record: dict[str, Any], report: ReadReport) -> list[Any]:
    annotations = [a for a in record.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return []
    if len(annotations) > 1:
        report.ignored["extra Label Studio annotations (first one used)"] += len(annotations) - 1
    spans: list[Any] = []
    for item in annotations[0].get("result") or []:
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, dict) or "start" not in value or "labels" not in value:
            # relations, choices, text areas...: not spans, counted so the user sees they were skipped
            report.ignored[f"Label Studio result of type {item.get('type', '?')!r}"] += 1
            continue
        for label in value["labels"]:
            spans.append({**value, "label": label})
    return spans


def parse_span(item: Any, text: str, error: Callable[..., DataFormatError], field: str) -> Span:
    """One span record (``{"start", "end", "label"[, "text", "score", "kb_id"]}`` or ``[start, end, label]``),
    checked against ``text``; ``error(reason, fix, field)`` builds the error naming where it is."""
    kb_id: Any = None
    if isinstance(item, list | tuple) and len(item) == 3:
        start, end, label, expected, score = item[0], item[1], item[2], None, None
    elif isinstance(item, dict):
        start = item.get("start", item.get("start_position"))
        end = item.get("end", item.get("end_position"))
        label = item.get("label", item.get("entity_type"))
        expected = item.get("text", item.get("entity_value"))
        score = item.get("score")
        kb_id = item.get("kb_id")
    else:
        raise error(
            f"span is {item!r}",
            fix='write spans as {"start": int, "end": int, "label": str} or [start, end, label]',
            field=field,
        )
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise error(f"{name} is {value!r}, not an integer", fix=_OFFSET_FIX, field=f"{field}.{name}")
    if not 0 <= start <= end <= len(text):
        raise error(
            f"span [{start}:{end}] is outside the text (length {len(text)})",
            fix=_OFFSET_FIX,
            field=field,
        )
    if not isinstance(label, str) or not label:
        raise error(f"label is {label!r}", fix="give every span a non-empty string label", field=f"{field}.label")
    if isinstance(expected, str) and expected != text[start:end]:
        raise error(
            f"span text {expected!r} but text[{start}:{end}] is {text[start:end]!r}",
            fix=_OFFSET_FIX + " (check for a BOM, \\r\\n counted as one character, or an edited text)",
            field=f"{field}.text",
        )
    if score is not None and not isinstance(score, int | float):
        raise error(f"score is {score!r}", fix="make score a number or drop it", field=f"{field}.score")
    if kb_id is not None and not (isinstance(kb_id, str) and kb_id.strip()):
        raise error(
            f"kb_id is {kb_id!r}",
            fix='make kb_id a concept id string such as "D003920", or drop it',
            field=f"{field}.kb_id",
        )
    return Span(start, end, label, None if score is None else float(score), kb_id=kb_id)


def document_to_json(doc: Document) -> dict[str, Any]:
    """Our record: ``{"id", "text", "spans": [{"start","end","label","text"[,"score"]}], "meta"}``."""
    return {
        "id": doc.id,
        "text": doc.text,
        **doc.extra_fields(),
        "spans": [s.to_dict(doc.text) for s in sorted(doc.spans)],
        "meta": doc.meta,
    }


def write_jsonl(docs: Iterable[Document], path: str | Path) -> None:
    """Write one JSON object per line (UTF-8, non-ASCII kept as is)."""
    lines: list[str] = []
    for doc in docs:
        try:
            lines.append(json.dumps(document_to_json(doc), ensure_ascii=False))
        except (TypeError, ValueError) as exc:
            raise DataFormatError(
                f"cannot serialise document: {exc}",
                fix="keep meta values JSON-serialisable (str, numbers, lists, dicts)",
                path=path,
                field=f"document {doc.id}.meta",
            ) from exc
    atomic_write_text(path, "".join(line + "\n" for line in lines))
