"""What the annotation-tool readers (Label Studio, Prodigy) share: the import report and the provenance record."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from specialize.data.document import Document
from specialize.data.validation import validate_spans

PROVENANCE = "correction"
"""The ``meta`` key of a corrected document holding where its spans came from (see :func:`provenance`)."""


def provenance(
    tool: str,
    *,
    doc_id: str | None,
    annotator: Any,
    time: Any,
    task_id: Any,
    source: str,
    **extra: Any,
) -> dict[str, Any]:
    """``meta["correction"]`` of an accepted document: who corrected it, when, in which task of which export.

    ``doc_id`` is the id of the document the task was made from (``specialize select`` writes it into every
    task), None when the task did not carry one: such a document is matched to its silver version by text.
    """
    record = {"tool": tool, "doc_id": doc_id, "annotator": annotator, "time": time, "task_id": task_id}
    return {**record, **{k: v for k, v in extra.items() if v is not None}, "source": source}


@dataclass
class ImportReport:
    """What reading annotation-tool exports gave: documents accepted as gold, and everything not used, by reason."""

    files: list[str] = field(default_factory=list)
    tasks: int = 0
    accepted: int = 0
    spans: int = 0
    not_used: Counter[str] = field(default_factory=Counter)
    """Tasks or answers not turned into gold: ``rejected``, ``ignored``, ``cancelled``, ``not annotated``,
    ``superseded`` (an older answer to the same document), ``extra annotations``."""
    skipped_results: Counter[str] = field(default_factory=Counter)
    """Parts of accepted annotations that are not spans (relations, choices...): counted, not read."""
    annotators: Counter[str] = field(default_factory=Counter)
    overlapping: list[str] = field(default_factory=list)
    """Accepted documents whose spans overlap (training needs flat spans): fix them in the tool."""

    def add_accepted(self, doc: Document) -> None:
        """Count an accepted document: its spans, its annotator, and whether its spans overlap."""
        self.accepted += 1
        self.spans += len(doc.spans)
        self.annotators[str(doc.meta[PROVENANCE]["annotator"])] += 1
        if validate_spans([doc]).overlapping:
            self.overlapping.append(doc.id or "?")

    def summary(self) -> str:
        text = f"{self.accepted} documents accepted ({self.spans} spans) from {self.tasks} tasks"
        text += f" in {len(self.files)} file(s)"
        if self.not_used:
            text += "; not used: " + ", ".join(f"{n} {k}" for k, n in sorted(self.not_used.items()))
        if self.skipped_results:
            text += "; skipped results: " + ", ".join(f"{n} {k}" for k, n in sorted(self.skipped_results.items()))
        if self.overlapping:
            shown = ", ".join(self.overlapping[:5]) + (" ..." if len(self.overlapping) > 5 else "")
            text += f"; {len(self.overlapping)} documents with overlapping spans ({shown})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "tasks": self.tasks,
            "accepted": self.accepted,
            "spans": self.spans,
            "not_used": dict(sorted(self.not_used.items())),
            "skipped_results": dict(sorted(self.skipped_results.items())),
            "annotators": dict(self.annotators.most_common()),
            "overlapping": self.overlapping,
        }
