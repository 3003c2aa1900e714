"""The per-type accuracy check: an exported model must score like its source on gold documents.

Micro F1 hides a collapsed rare type (a type with 2% of the spans can lose half its recall and micro F1 moves
by one point), and int8 rounding hurts exactly such types first, so recall is checked per type as well.
Drops are in points (0-100 scale): ``source - exported``, so a negative drop is an improvement.

Text classifiers get the same check with labels in place of entity types (:func:`compare_label_predictions`):
each (text, label) decision counts like a span, as in :mod:`specialize.evaluation.classification_metrics`, so
micro F1 and per-label recall follow the same rules and the report has the same shape.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from specialize.data.document import Document, Span
from specialize.errors import ConfigError, DataError, ExportCheckError
from specialize.evaluation.classification_metrics import score_labels
from specialize.evaluation.evaluate import render_table
from specialize.evaluation.span_metrics import SpanScores, score_spans

DEFAULT_MAX_RECALL_DROP = 1.0  # points, per entity type


@dataclass
class TypeCheck:
    support: int
    source_f1: float
    exported_f1: float
    source_recall: float
    exported_recall: float
    recall_drop: float  # points
    max_recall_drop: float  # points
    passed: bool


@dataclass
class CheckReport:
    """Source vs exported on the same gold documents; scores are 0-1, drops are points."""

    n_docs: int
    source_f1: float
    exported_f1: float
    f1_drop: float
    max_f1_drop: float
    per_type: dict[str, TypeCheck]  # entity types, or a classifier's labels
    span_agreement: float  # |source ∩ exported| / |source ∪ exported| over predicted span keys (or labels)
    failures: list[str] = field(default_factory=list)
    unit: str = "span"  # what was compared: "span" (entity types) or "label" (text classification)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["passed"] = self.passed
        return out


class ExportCheckFailed(ExportCheckError):
    """The exported model scores worse than the thresholds allow; nothing was written to the output folder."""

    def __init__(self, message: str, report: CheckReport | None = None, details: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.report = report
        self.details = dict(details or {})


def _points(x: float) -> float:
    return round(100.0 * x, 4)


def recall_thresholds(types: Sequence[str], max_recall_drop: float | Mapping[str, float] | None) -> dict[str, float]:
    """Per-type recall-drop limits in points: one number for all types, or a mapping (default for the rest)."""
    if max_recall_drop is None:
        return dict.fromkeys(types, DEFAULT_MAX_RECALL_DROP)
    if isinstance(max_recall_drop, int | float):
        return dict.fromkeys(types, float(max_recall_drop))
    unknown = sorted(set(max_recall_drop) - set(types))
    if unknown:
        raise ConfigError(f"max_recall_drop names types not in the check data: {unknown}; gold types: {list(types)}")
    return {t: float(max_recall_drop.get(t, DEFAULT_MAX_RECALL_DROP)) for t in types}


def _agreement(a: Sequence[Collection[Hashable]], b: Sequence[Collection[Hashable]]) -> float:
    inter = union = 0
    for x, y in zip(a, b, strict=True):
        kx, ky = set(x), set(y)
        inter += len(kx & ky)
        union += len(kx | ky)
    return inter / union if union else 1.0


def _report(
    n_docs: int,
    types: Sequence[str],
    src: SpanScores,
    exp: SpanScores,
    agreement: float,
    *,
    max_f1_drop: float,
    max_recall_drop: float | Mapping[str, float] | None,
    unit: str,
) -> CheckReport:
    """Apply the micro F1 and per-type recall limits to the source's and the export's scores."""
    limits = recall_thresholds(types, max_recall_drop)
    failures = []
    f1_drop = _points(src.micro.f1 - exp.micro.f1)
    if f1_drop > max_f1_drop:
        failures.append(
            f"micro F1 dropped {f1_drop:.2f} points ({src.micro.f1:.4f} -> {exp.micro.f1:.4f}; limit {max_f1_drop})"
        )
    per_type = {}
    for t in types:
        s, e = src.per_type[t], exp.per_type[t]
        drop = _points(s.recall - e.recall)
        ok = drop <= limits[t]
        if not ok:
            failures.append(
                f"{t} recall dropped {drop:.2f} points ({s.recall:.4f} -> {e.recall:.4f}; limit {limits[t]})"
            )
        per_type[t] = TypeCheck(s.support, s.f1, e.f1, s.recall, e.recall, drop, limits[t], ok)
    return CheckReport(
        n_docs=n_docs,
        source_f1=src.micro.f1,
        exported_f1=exp.micro.f1,
        f1_drop=f1_drop,
        max_f1_drop=max_f1_drop,
        per_type=per_type,
        span_agreement=agreement,
        failures=failures,
        unit=unit,
    )


def compare_predictions(
    docs: Sequence[Document],
    source: Sequence[Sequence[Span]],
    exported: Sequence[Sequence[Span]],
    *,
    max_f1_drop: float = 0.5,
    max_recall_drop: float | Mapping[str, float] | None = None,
) -> CheckReport:
    """Score both prediction sets against the documents' gold spans and apply the thresholds."""
    gold = [d.spans for d in docs]
    types = sorted({s.label for spans in gold for s in spans})
    if not types:
        raise DataError("the check documents have no gold spans: nothing to compare the exported model on")
    return _report(
        len(docs),
        types,
        score_spans(gold, source, types=types),
        score_spans(gold, exported, types=types),
        _agreement([{s.key() for s in x} for x in source], [{s.key() for s in y} for y in exported]),
        max_f1_drop=max_f1_drop,
        max_recall_drop=max_recall_drop,
        unit="span",
    )


def compare_label_predictions(
    gold: Sequence[Sequence[str]],
    source: Sequence[Sequence[str]],
    exported: Sequence[Sequence[str]],
    *,
    max_f1_drop: float = 0.5,
    max_recall_drop: float | Mapping[str, float] | None = None,
) -> CheckReport:
    """The same check for text classifiers: label lists per text, gold vs source vs export, per gold label."""
    types = sorted({label for labels in gold for label in labels})
    if not types:
        raise DataError("the check texts have no gold labels: nothing to compare the exported model on")
    return _report(
        len(gold),
        types,
        score_labels(gold, source, labels=types).labels,
        score_labels(gold, exported, labels=types).labels,
        _agreement(source, exported),
        max_f1_drop=max_f1_drop,
        max_recall_drop=max_recall_drop,
        unit="label",
    )


def format_check_report(report: CheckReport) -> str:
    """A text table: per type support, F1 and recall of source and export, recall drop and its limit."""
    unit = "type" if report.unit == "span" else "label"
    header = [unit, "support", "F1 src", "F1 export", "R src", "R export", "R drop", "limit", ""]
    rows = [
        [
            t,
            str(c.support),
            f"{c.source_f1:.4f}",
            f"{c.exported_f1:.4f}",
            f"{c.source_recall:.4f}",
            f"{c.exported_recall:.4f}",
            f"{c.recall_drop:+.2f}",
            f"{c.max_recall_drop:.2f}",
            "ok" if c.passed else "FAIL",
        ]
        for t, c in report.per_type.items()
    ]
    micro_ok = report.f1_drop <= report.max_f1_drop
    rows.append(
        [
            "micro F1",
            "",
            f"{report.source_f1:.4f}",
            f"{report.exported_f1:.4f}",
            "",
            "",
            f"{report.f1_drop:+.2f}",
            f"{report.max_f1_drop:.2f}",
            "ok" if micro_ok else "FAIL",
        ]
    )
    texts = "documents" if report.unit == "span" else "texts"
    title = (
        f"Export check on {report.n_docs} {texts} (drops in points; {report.unit} agreement with the source "
        f"{report.span_agreement:.4f})"
    )
    return "\n".join([title, render_table(header, rows)])
