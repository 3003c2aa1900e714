"""Human corrections of model or teacher labels: tasks out, annotations back, gold preferred over silver.

The loop: ``specialize select`` picks the documents a model is least sure of and writes them as tasks
(:func:`write_correction_tasks`: Label Studio and Prodigy files); people correct them in the tool; the tool's
export comes back through :func:`import_corrections` as gold documents, each with its provenance in
``meta["correction"]`` (tool, annotator, time, task id, export file, the id of the document the task was made
from); :func:`merge_corrections` puts them in place of their silver versions before training.

A corrected document stands for the silver document with the same id (the id travels through the tool in
the task), else for the silver document with the same text (sha256 of the text): see :class:`CorrectedIndex`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.data.document import Document, text_key
from specialize.data.errors import DataFormatError
from specialize.data.formats._annotations import PROVENANCE, ImportReport
from specialize.data.formats._base import atomic_write_text
from specialize.data.formats.jsonl import iter_records, read_jsonl, write_jsonl
from specialize.data.formats.label_studio import (
    is_label_studio_export,
    label_studio_tasks,
    labeling_config,
    read_label_studio_export,
    write_label_studio_tasks,
)
from specialize.data.formats.prodigy import is_prodigy_answer, prodigy_tasks, read_prodigy_export, write_prodigy_tasks
from specialize.data.io import read_documents, write_documents
from specialize.errors import ConfigError, InputNotFoundError, OutputExistsError

logger = logging.getLogger(__name__)

TOOLS = ("label-studio", "prodigy")

# The files `specialize select` writes into its output folder.
TASK_FILES = {
    "label_studio": "label_studio_tasks.json",
    "label_studio_config": "label_studio_config.xml",
    "prodigy": "prodigy_tasks.jsonl",
    "selected": "selected.jsonl",
    "summary": "selection.json",
}


def source_id(doc: Document) -> str | None:
    """The id of the document a corrected one stands for: its provenance's ``doc_id`` when it has provenance
    (None there: the task carried no id, so only the text can match), else its own id."""
    record = doc.meta.get(PROVENANCE)
    if isinstance(record, dict):
        value = record.get("doc_id")
        return None if value is None else str(value)
    return doc.id


@dataclass
class CorrectedIndex:
    """Ids and text hashes of corrected documents: which other documents they stand for."""

    by_id: dict[str, int] = field(default_factory=dict)
    by_text: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, corrected: Sequence[Document]) -> CorrectedIndex:
        index = cls()
        for i, doc in enumerate(corrected):  # later documents win: a newer correction of the same document
            doc_id = source_id(doc)
            if doc_id is not None:
                index.by_id[doc_id] = i
            index.by_text[text_key(doc.text)] = i
        return index

    def match(self, doc: Document) -> tuple[int, str] | None:
        """(index of the corrected document, ``"id"`` or ``"text"``) standing for ``doc``, or None."""
        if doc.id is not None and doc.id in self.by_id:
            return self.by_id[doc.id], "id"
        found = self.by_text.get(text_key(doc.text))
        return None if found is None else (found, "text")

    def __contains__(self, doc: object) -> bool:
        return isinstance(doc, Document) and self.match(doc) is not None

    def __len__(self) -> int:
        return len(set(self.by_id.values()) | set(self.by_text.values()))


# -- import ------------------------------------------------------------------------------------------------------
def detect_tool(path: str | Path) -> str:
    """``label-studio`` or ``prodigy`` from the first record of an export file."""
    for line, location, record in iter_records(path):
        if is_label_studio_export(record):
            return "label-studio"
        if is_prodigy_answer(record):
            return "prodigy"
        raise DataFormatError(
            "neither a Label Studio export (tasks with data and annotations) nor Prodigy annotations "
            "(records with text and answer)",
            fix="pass Label Studio's Export > JSON file or the JSONL of `prodigy db-out DATASET`",
            path=path,
            line=line,
            field=location or None,
        )
    raise DataFormatError("the export holds no tasks", fix="export again after annotating", path=path)


def import_corrections(
    paths: str | Path | Sequence[str | Path], *, tool: str | None = None
) -> tuple[list[Document], ImportReport]:
    """Accepted annotations of Label Studio or Prodigy exports as gold documents with provenance.

    Rejected, ignored and cancelled answers are counted in the report, never returned. When several exports
    (or tasks) correct the same document, the later one wins and the earlier is counted as ``superseded``.
    """
    if tool is not None and tool not in TOOLS:
        raise ConfigError(f"unknown annotation tool {tool!r}; use one of {', '.join(TOOLS)}")
    report = ImportReport()
    docs: list[Document] = []
    for path in [paths] if isinstance(paths, str | Path) else paths:
        if not Path(path).is_file():
            raise InputNotFoundError(f"export {path} does not exist; pass the file the annotation tool wrote")
        kind = tool or detect_tool(path)
        reader = read_label_studio_export if kind == "label-studio" else read_prodigy_export
        docs += reader(path, report)
    unique = latest_per_document(docs)
    if len(docs) > len(unique):
        report.not_used["superseded"] += len(docs) - len(unique)
    logger.info("corrections: %s", report.summary())
    return unique, report


def latest_per_document(docs: Sequence[Document]) -> list[Document]:
    """One document per corrected document (by source id, else text), the last one given, in first-seen order."""
    slots: dict[str, int] = {}
    out: list[Document] = []
    for doc in docs:
        keys = [f"id:{doc_id}" for doc_id in [source_id(doc)] if doc_id is not None] + [f"text:{text_key(doc.text)}"]
        slot = next((slots[k] for k in keys if k in slots), None)
        if slot is None:
            slot = len(out)
            out.append(doc)
        else:
            out[slot] = doc
        for k in keys:
            slots[k] = slot
    return out


def has_provenance(doc: Document) -> bool:
    return isinstance(doc.meta.get(PROVENANCE), dict)


def write_corrections(docs: Sequence[Document], output: str | Path) -> tuple[int, int]:
    """Write corrected documents as JSONL; an existing ``output`` written by this function is updated, not
    replaced: its documents stay unless a new correction of the same document replaces them.

    Returns (documents now in the file, documents of the file replaced by newer corrections). A file whose
    records carry no correction provenance is refused: it was not written here.
    """
    output = Path(output)
    existing: list[Document] = []
    if output.exists():
        existing = read_jsonl(output)
        foreign = [d.id for d in existing if not has_provenance(d)]
        if foreign:
            raise OutputExistsError(
                f"{output} exists and holds documents without correction provenance (e.g. {foreign[0]!r}): it was "
                "not written by `specialize corrections import`; pass another --output"
            )
    merged = latest_per_document([*existing, *docs])
    write_jsonl(merged, output)
    return len(merged), len(existing) + len(docs) - len(merged)


def read_corrected(paths: str | Path | Iterable[str | Path]) -> list[Document]:
    """Corrected (gold) documents from files: ``corrections import`` output, or any annotated documents file."""
    docs: list[Document] = []
    for path in [paths] if isinstance(paths, str | Path) else paths:
        docs += read_documents(path)
    return latest_per_document(docs)


# -- merge -------------------------------------------------------------------------------------------------------
@dataclass
class MergeReport:
    silver: int = 0
    corrected: int = 0
    replaced: Counter[str] = field(default_factory=Counter)
    """Silver documents replaced by their corrected version, by what matched: ``id`` or ``text``."""
    added: int = 0
    """Corrected documents with no silver version (added as new gold documents)."""
    id_text_differs: int = 0
    """Matches by id whose texts differ: the corrected text was used; worth a look."""

    def summary(self) -> str:
        replaced = sum(self.replaced.values())
        how = ", ".join(f"{n} by {k}" for k, n in sorted(self.replaced.items()))
        text = f"{self.corrected} corrected documents: {replaced} replaced their silver version" + (
            f" ({how})" if how else ""
        )
        text += f", {self.added} added; {self.silver - replaced} silver documents kept"
        if self.id_text_differs:
            text += f"; {self.id_text_differs} matched by id have a different text (the corrected text is used)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "silver": self.silver,
            "corrected": self.corrected,
            "replaced": dict(self.replaced),
            "added": self.added,
            "id_text_differs": self.id_text_differs,
        }


def merge_corrections(
    silver: Sequence[Document], corrected: Sequence[Document], *, add_unmatched: bool = True
) -> tuple[list[Document], MergeReport]:
    """``silver`` with every document that has a corrected version replaced by it (same position, each copy of a
    repeated silver document); corrected documents matching no silver document are appended unless
    ``add_unmatched`` is False."""
    corrected = latest_per_document(corrected)
    index = CorrectedIndex.of(corrected)
    report = MergeReport(silver=len(silver), corrected=len(corrected))
    used: set[int] = set()
    out: list[Document] = []
    for doc in silver:
        found = index.match(doc)
        if found is None:
            out.append(doc)
            continue
        i, how = found  # every silver copy of a corrected document is replaced: the human's version wins
        used.add(i)
        report.replaced[how] += 1
        if how == "id" and corrected[i].text != doc.text:
            report.id_text_differs += 1
        out.append(corrected[i])
    if add_unmatched:
        extra = [d for i, d in enumerate(corrected) if i not in used]
        report.added = len(extra)
        out += extra
    if report.id_text_differs:
        logger.warning("%d corrected documents matched by id have another text than their silver version",
                       report.id_text_differs)  # fmt: skip
    logger.info("corrections: %s", report.summary())
    return out, report


def without_corrected(documents: Sequence[Document], corrected: Sequence[Document]) -> list[Document]:
    """``documents`` minus those a corrected document stands for (e.g. unlabeled texts a teacher need not label)."""
    index = CorrectedIndex.of(corrected)
    return [d for d in documents if d not in index]


def merge_files(silver: str | Path, corrected: Sequence[str | Path], output: str | Path) -> MergeReport:
    """Write ``silver`` with its corrected documents in place (``specialize corrections merge``); an existing
    ``output`` is refused, never overwritten."""
    if Path(output).exists():
        raise OutputExistsError(f"{output} already exists; pass a new --output file")
    merged, report = merge_corrections(read_documents(silver), read_corrected(corrected))
    write_documents(merged, output)
    return report


# -- tasks for the tools -----------------------------------------------------------------------------------------
def write_correction_tasks(
    docs: Sequence[Document],
    confidences: Sequence[float | None],
    output: str | Path,
    *,
    labels: Sequence[str],
    model_version: str,
    summary: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the tasks to correct into the folder ``output`` (:data:`TASK_FILES`): Label Studio tasks and
    labeling config, Prodigy tasks, the documents with their pre-annotations (JSONL) and ``summary``.

    Existing files are never overwritten: choose a new folder for each round.
    """
    folder = Path(output)
    paths = {key: folder / name for key, name in TASK_FILES.items()}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing:
        raise OutputExistsError(f"{', '.join(existing)} already exist; pass a new --output folder for this round")
    folder.mkdir(parents=True, exist_ok=True)
    write_label_studio_tasks(label_studio_tasks(docs, confidences, model_version=model_version), paths["label_studio"])
    atomic_write_text(paths["label_studio_config"], labeling_config(labels))
    write_prodigy_tasks(prodigy_tasks(docs, confidences, model_version=model_version), paths["prodigy"])
    write_jsonl(docs, paths["selected"])
    atomic_write_text(paths["summary"], json.dumps(summary or {}, indent=2, ensure_ascii=False) + "\n")
    return paths
