"""Typed result records: what ``evaluate``, ``distill``, the cascade and the benchmarks write as JSON.

Every record says what it is (``kind``) and, where it matters, which task it measured (``task``), so readers (the
model card, ``specialize report``) dispatch on those two fields instead of guessing from keys. ``to_dict`` keeps the
JSON layout the project has always written (a classification record names its per-label scores ``per_label``, a
span record its per-type scores ``per_type``), and ``from_dict`` reads it back, older files included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

SPAN_TASK = "ner"
CLASSIFICATION_TASK = "classification"


def rounded(x: float) -> float:
    """A score as records keep it: 6 decimals."""
    return round(float(x), 6)


def rounded_ci(interval: tuple[float, float] | list[float] | None) -> list[float] | None:
    return None if interval is None else [rounded(interval[0]), rounded(interval[1])]


@dataclass
class EvaluationRecord:
    """One model scored on one gold set (spans, or labels of whole texts)."""

    kind: ClassVar[str] = "evaluation"

    task: str
    dataset: str | None
    split: str | None
    model: str
    f1: float  # micro F1 (spans: strict span match; classification: over (text, label) decisions)
    f1_ci: list[float] | None
    precision: float
    recall: float
    macro_f1: float
    macro_f1_ci: list[float] | None
    per_type: dict[str, dict[str, Any]]  # per entity type, or per label: precision, recall, f1, f1_ci, support
    predict_seconds: float
    docs_per_s: float
    n_docs: int
    n_bootstrap: int
    command: str
    machine: dict[str, Any]
    tokens_per_s: float | None = None  # spans: whitespace tokens of the input per second
    accuracy: float | None = None  # classification: exact match of the label set
    accuracy_ci: list[float] | None = None
    multi_label: bool | None = None
    errors: dict[str, int] | None = None  # spans: missed / spurious / wrong type / wrong boundary
    errors_per_type: dict[str, dict[str, int]] | None = None
    confusions: dict[str, int] | None = None
    error_examples: list[dict[str, Any]] | None = None
    role: str | None = None  # "teacher" / "student" / "baseline" where a run compares roles
    agreement: dict[str, float] | None = None  # a student's agreement with its teacher's answers
    extra: dict[str, Any] = field(default_factory=dict)  # what a benchmark adds (train_seconds, ...)

    @property
    def is_classification(self) -> bool:
        return self.task == CLASSIFICATION_TASK

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "task": self.task, "dataset": self.dataset, "split": self.split}
        out["model"] = self.model
        if self.role is not None:
            out["role"] = self.role
        if self.is_classification:
            out["multi_label"] = self.multi_label
            out["accuracy"] = self.accuracy
            out["accuracy_ci"] = self.accuracy_ci
            out["micro_f1"] = self.f1
            out["micro_f1_ci"] = self.f1_ci
        out.update(
            f1=self.f1,
            f1_ci=self.f1_ci,
            precision=self.precision,
            recall=self.recall,
            macro_f1=self.macro_f1,
            macro_f1_ci=self.macro_f1_ci,
        )
        out["per_label" if self.is_classification else "per_type"] = self.per_type
        if not self.is_classification:
            out.update(errors=self.errors or {}, errors_per_type=self.errors_per_type or {})
            out["confusions"] = self.confusions or {}
        if self.error_examples is not None:
            out["error_examples"] = self.error_examples
        out["predict_seconds"] = self.predict_seconds
        out["docs_per_s"] = self.docs_per_s
        if self.tokens_per_s is not None:
            out["tokens_per_s"] = self.tokens_per_s
        out.update(n_docs=self.n_docs, n_bootstrap=self.n_bootstrap)
        if self.agreement is not None:
            out["agreement"] = self.agreement
        out.update(self.extra)
        out.update(command=self.command, machine=self.machine)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationRecord:
        """A record as written by :meth:`to_dict` (or by an older specialize, without ``kind``/``task``)."""
        task = data.get("task") or (CLASSIFICATION_TASK if "per_label" in data else SPAN_TASK)
        known = {
            "kind", "task", "dataset", "split", "model", "f1", "f1_ci", "precision", "recall", "macro_f1",
            "macro_f1_ci", "per_type", "per_label", "predict_seconds", "docs_per_s", "n_docs", "n_bootstrap",
            "command", "machine", "tokens_per_s", "accuracy", "accuracy_ci", "multi_label", "errors",
            "errors_per_type", "confusions", "error_examples", "role", "agreement", "micro_f1", "micro_f1_ci",
        }  # fmt: skip
        return cls(
            task=task,
            dataset=data.get("dataset"),
            split=data.get("split"),
            model=str(data.get("model")),
            f1=float(data.get("f1", data.get("micro_f1", 0.0))),
            f1_ci=data.get("f1_ci", data.get("micro_f1_ci")),
            precision=float(data.get("precision", 0.0)),
            recall=float(data.get("recall", 0.0)),
            macro_f1=float(data.get("macro_f1", 0.0)),
            macro_f1_ci=data.get("macro_f1_ci"),
            per_type=dict(data.get("per_label") or data.get("per_type") or {}),
            predict_seconds=float(data.get("predict_seconds", 0.0)),
            docs_per_s=float(data.get("docs_per_s", 0.0)),
            n_docs=int(data.get("n_docs", 0)),
            n_bootstrap=int(data.get("n_bootstrap", 0)),
            command=str(data.get("command", "")),
            machine=dict(data.get("machine") or {}),
            tokens_per_s=data.get("tokens_per_s"),
            accuracy=data.get("accuracy"),
            accuracy_ci=data.get("accuracy_ci"),
            multi_label=data.get("multi_label"),
            errors=data.get("errors"),
            errors_per_type=data.get("errors_per_type"),
            confusions=data.get("confusions"),
            error_examples=data.get("error_examples"),
            role=data.get("role"),
            agreement=data.get("agreement"),
            extra={k: v for k, v in data.items() if k not in known},
        )
