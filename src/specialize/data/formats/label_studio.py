"""Label Studio: tasks with pre-annotations to correct, the labeling config, and the JSON export read back.

Tasks (``label_studio_tasks``) follow Label Studio's import format: ``data.text`` plus one ``predictions`` entry
whose ``result`` items are ``labels`` regions (``value``: ``start``, ``end``, ``text``, ``labels``; the span's
``score`` beside ``value``), with the document's confidence as the prediction's ``score`` (Label Studio's Data
Manager sorts tasks by it) and ``model_version``. ``data.doc_id`` carries the document's id through the tool,
so corrections find their silver version by id.

The export (``read_label_studio_export``) is the JSON Label Studio writes ("Export" > JSON): a list of tasks,
each with ``annotations`` (``result``, ``was_cancelled``, ``completed_by``, ``created_at``/``updated_at``,
``ground_truth``...) and ``predictions``. Per task, the annotation used is the one marked ``ground_truth``,
else the most recently updated one that was not cancelled (skipped); the task's other annotations are counted
as ``extra annotations``, tasks whose every annotation was cancelled as ``cancelled``, tasks nobody annotated
as ``not annotated``. An
accepted annotation with no regions is a document with no entities. Predictions are never read as gold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from specialize.data.document import Document
from specialize.data.errors import DataFormatError
from specialize.data.formats._annotations import ImportReport, provenance
from specialize.data.formats._base import atomic_write_text
from specialize.data.formats.jsonl import iter_records, parse_span
from specialize.errors import ConfigError

FROM_NAME = "label"  # the <Labels> control's name in the labeling config
TO_NAME = "text"  # the <Text> object's name, reading data.text

# Distinct, readable highlight colours for the first labels; later ones cycle.
_COLORS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
           "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075")  # fmt: skip


def labeling_config(labels: Sequence[str], *, title: str = "Correct the entities") -> str:
    """A Label Studio labeling config (XML) for span labelling of ``data.text`` with ``labels``."""
    if not labels:
        raise ConfigError("a labeling config needs at least one label")
    items = "\n".join(
        f"    <Label value={quoteattr(label)} background={quoteattr(_COLORS[i % len(_COLORS)])}/>"
        for i, label in enumerate(labels)
    )
    return (
        "<View>\n"
        f"  <Header value={quoteattr(title)}/>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{items}\n  </Labels>\n'
        f'  <Text name="{TO_NAME}" value="$text" granularity="word"/>\n'
        "</View>\n"
    )


def label_studio_task(doc: Document, *, confidence: float | None, model_version: str) -> dict[str, Any]:
    """One task to import: the text, the document's id and metadata, its spans as a prediction."""
    result = []
    for i, span in enumerate(sorted(doc.spans)):
        item: dict[str, Any] = {
            "id": f"s{i}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": doc.span_text(span), "labels": [span.label]},
        }
        if span.score is not None:
            item["score"] = round(float(span.score), 6)
        result.append(item)
    prediction: dict[str, Any] = {"model_version": model_version, "result": result}
    if confidence is not None:
        prediction["score"] = round(float(confidence), 6)
    data: dict[str, Any] = {"text": doc.text, "doc_id": doc.id}
    if doc.meta:
        data["meta"] = doc.meta
    return {"data": data, "predictions": [prediction]}


def label_studio_tasks(
    docs: Sequence[Document], confidences: Sequence[float | None], *, model_version: str
) -> list[dict[str, Any]]:
    return [
        label_studio_task(d, confidence=c, model_version=model_version) for d, c in zip(docs, confidences, strict=True)
    ]


# -- the export, read back ---------------------------------------------------------------------------------------
def is_label_studio_export(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("data"), dict) and "annotations" in record


def _chosen_annotation(annotations: list[Any], report: ImportReport) -> dict[str, Any] | None:
    valid = [a for a in annotations if isinstance(a, dict)]
    cancelled = [a for a in valid if a.get("was_cancelled")]
    usable = [a for a in valid if not a.get("was_cancelled")]
    if not usable:
        report.not_used["cancelled" if cancelled else "not annotated"] += 1  # tasks
        return None
    # ground_truth first, then the latest edit (ISO 8601 timestamps sort as strings).
    usable.sort(key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at") or a.get("created_at") or "")))
    report.not_used["extra annotations"] += len(valid) - 1  # annotations, cancelled ones included
    return usable[-1]


def _annotator(annotation: dict[str, Any]) -> Any:
    """``completed_by`` is a user id in recent exports and a user object in older ones; keep what identifies."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return who.get("email") or who.get("username") or who.get("id")
    return who if who is not None else annotation.get("created_username")


def read_label_studio_export(path: str | Path, report: ImportReport | None = None) -> list[Document]:
    """Gold documents from a Label Studio JSON export (see the module docstring for which annotation is used)."""
    path = Path(path)
    report = report if report is not None else ImportReport()
    docs = [
        doc
        for line, location, record in iter_records(path)
        if (doc := _task_document(record, path, line, location, report)) is not None
    ]
    report.files.append(str(path))
    return docs


def _task_document(record: Any, path: Path, line: int | None, location: str, report: ImportReport) -> Document | None:
    def error(reason: str, fix: str, field: str | None = None) -> DataFormatError:
        return DataFormatError(reason, fix=fix, path=path, line=line, field=".".join(p for p in (location, field) if p))

    if not is_label_studio_export(record):
        raise error(
            "not a Label Studio task with annotations",
            fix="pass the JSON file Label Studio writes with Export > JSON (tasks with data and annotations)",
        )
    report.tasks += 1
    data = record["data"]
    text = data.get(TO_NAME)
    if not isinstance(text, str):
        raise error("task has no string data.text", fix="export a project whose <Text> reads $text", field="data")
    annotations = record.get("annotations") or []
    if not isinstance(annotations, list):
        raise error("'annotations' is not a list", fix="export again as JSON", field="annotations")
    annotation = _chosen_annotation(annotations, report)
    if annotation is None:
        return None
    raw: list[Any] = []
    for item in annotation.get("result") or []:
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, dict) or "start" not in value or not isinstance(value.get("labels"), list):
            kind = item.get("type", "?") if isinstance(item, dict) else "?"
            report.skipped_results[f"results of type {kind}"] += 1
            continue
        raw += [{**value, "label": label} for label in value["labels"]]
    field = f"annotations[{annotations.index(annotation)}].result"
    spans = sorted(parse_span(item, text, error, f"{field}[{i}]") for i, item in enumerate(raw))
    doc_id = None if data.get("doc_id") is None else str(data["doc_id"])
    task_id = record.get("id")
    doc = Document(
        text,
        spans,
        id=doc_id if doc_id is not None else f"label-studio:{task_id}",
        meta={
            **(data["meta"] if isinstance(data.get("meta"), dict) else {}),
            "correction": provenance(
                "label-studio",
                doc_id=doc_id,
                annotator=_annotator(annotation),
                time=annotation.get("updated_at") or annotation.get("created_at"),
                task_id=task_id,
                annotation_id=annotation.get("id"),
                lead_time=annotation.get("lead_time"),
                source=path.name,
            ),
        },
    )
    report.add_accepted(doc)
    return doc


def write_label_studio_tasks(tasks: list[dict[str, Any]], path: str | Path) -> None:
    """One JSON array (what Label Studio's import takes), UTF-8, non-ASCII kept."""
    atomic_write_text(path, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
