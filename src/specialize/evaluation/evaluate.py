"""Evaluate span predictors side by side on one gold set: scores, bootstrap CIs, errors, speed, records."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span
from specialize.data.labels import describe_drops, label_map_drops
from specialize.data.sampling import select
from specialize.data.validation import check_gold
from specialize.evaluation.error_analysis import CATEGORIES, ErrorAnalysis, analyze_errors
from specialize.evaluation.span_metrics import BootstrapCI, SpanScores, bootstrap_ci, score_spans
from specialize.models.base import SpanPredictor

logger = logging.getLogger(__name__)


@dataclass
class ModelEvaluation:
    """Everything measured for one model on the gold set."""

    name: str
    labels: list[str]
    """Types the model says it can predict (after label mapping)."""
    scores: SpanScores
    ci: BootstrapCI | None
    errors: ErrorAnalysis
    predict_seconds: float
    docs_per_s: float
    tokens_per_s: float
    """Whitespace tokens of the input texts per second: comparable across tokenizers."""
    predictions: list[list[Span]] = field(repr=False, default_factory=list)
    dropped_spans: dict[str, int] = field(default_factory=dict)
    """Predicted spans the model's label map dropped (types it does not map), per original type."""


@dataclass
class EvaluationResult:
    models: list[ModelEvaluation]
    gold_types: list[str]
    n_docs: int
    n_tokens: int
    n_bootstrap: int
    seed: int
    data_note: str | None = None  # the part of the data scored (--limit/--sample), None for all of it

    def to_records(
        self,
        dataset: str | None = None,
        split: str | None = None,
        command: str | None = None,
        machine: Mapping[str, Any] | None = None,
        error_examples: bool = False,
    ) -> list[dict[str, Any]]:
        """One JSON-ready record per model. ``command`` defaults to this process's command line and
        ``machine`` to :func:`machine_info`, so that a record says how and where it was produced.
        ``error_examples`` adds the kept error examples (``evaluate(examples=N)`` per category) as a list, for
        ``specialize report``; off by default because they quote the evaluation texts."""
        command = command if command is not None else command_line()
        machine = dict(machine) if machine is not None else machine_info()
        records = [_record(m, self, dataset, split, command, machine) for m in self.models]
        if error_examples:
            for record, m in zip(records, self.models, strict=True):
                record["error_examples"] = [e for ex in m.errors.to_dict()["examples"].values() for e in ex]
        return records


def rounded(x: float) -> float:
    """A score as records keep it: 6 decimals."""
    return round(float(x), 6)


def rounded_ci(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [rounded(interval[0]), rounded(interval[1])]


def per_type_record(scores: SpanScores, ci: BootstrapCI | None) -> dict[str, dict[str, Any]]:
    """Per type (entity type, or label for classifiers): P/R/F1, F1's interval and support, for a record."""
    return {
        t: {
            "precision": rounded(prf.precision),
            "recall": rounded(prf.recall),
            "f1": rounded(prf.f1),
            "f1_ci": rounded_ci(ci.per_type_f1.get(t) if ci else None),
            "support": prf.support,
        }
        for t, prf in scores.per_type.items()
    }


def _record(
    m: ModelEvaluation,
    result: EvaluationResult,
    dataset: str | None,
    split: str | None,
    command: str,
    machine: dict[str, Any],
) -> dict[str, Any]:
    s, ci = m.scores, m.ci
    per_type = per_type_record(s, ci)
    return {
        "dataset": dataset,
        "split": split,
        "model": m.name,
        "f1": rounded(s.micro.f1),
        "f1_ci": rounded_ci(ci.micro_f1 if ci else None),
        "precision": rounded(s.micro.precision),
        "recall": rounded(s.micro.recall),
        "macro_f1": rounded(s.macro_f1),
        "macro_f1_ci": rounded_ci(ci.macro_f1 if ci else None),
        "per_type": per_type,
        "errors": dict(m.errors.counts),
        "errors_per_type": {t: dict(c) for t, c in m.errors.per_type.items()},
        "confusions": dict(m.errors.confusions),
        "predict_seconds": rounded(m.predict_seconds),
        "docs_per_s": rounded(m.docs_per_s),
        "tokens_per_s": rounded(m.tokens_per_s),
        "n_docs": result.n_docs,
        "data_selection": result.data_note,
        "dropped_by_label_map": m.dropped_spans,
        "n_bootstrap": result.n_bootstrap,
        "command": command,
        "machine": machine,
    }


def _read_first(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def command_line() -> str:
    """This process's command as a user would retype it (``python -m specialize`` shows as ``specialize``)."""
    program = Path(sys.argv[0]).name if sys.argv else ""
    head = ["specialize"] if program in ("__main__.py", "specialize") else sys.argv[:1]
    return shlex.join([*head, *sys.argv[1:]])


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, GPU (NVIDIA, from /proc), Python and key package versions.

    Versions come from installed package metadata, so torch is never imported just to describe the machine.
    """
    mem = _read_first("/proc/meminfo", "MemTotal")
    ram_gb = round(int(mem.split()[0]) / 1024**2, 1) if mem else None
    gpus = []
    gpu_root = Path("/proc/driver/nvidia/gpus")
    if gpu_root.is_dir():
        for info in sorted(gpu_root.glob("*/information")):
            model = _read_first(str(info), "Model")
            if model:
                gpus.append(model)
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "cpu": _read_first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": ram_gb,
        "gpus": gpus,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {d: _version(d) for d in ("specialize", "numpy", "torch", "transformers", "onnxruntime", "spacy")},
    }


def _resolve_model(spec: SpanPredictor | str, label_map: Mapping[str, str] | None) -> SpanPredictor:
    if not isinstance(spec, str):
        return spec
    if spec.startswith("spacy:"):
        from specialize.models.spacy_pipeline import SpacyPipeline

        return SpacyPipeline.load(spec, label_map=label_map)
    try:
        from specialize.models.loading import load_predictor
    except ImportError as exc:
        raise ImportError(
            f"Cannot resolve model spec {spec!r}: specialize.models.loading is unavailable ({exc}). "
            "Pass a SpanPredictor object or a 'spacy:NAME' spec."
        ) from exc
    predictor: SpanPredictor = load_predictor(spec, label_map=label_map)
    return predictor


def _resolve_data(data: Sequence[Document] | str | Path) -> list[Document]:
    if isinstance(data, str | Path):
        from specialize.data.io import read_documents

        docs = list(read_documents(data))
    else:
        docs = list(data)
    check_gold(docs, data if isinstance(data, str | Path) else None)
    return docs


def _unique_names(predictors: Sequence[SpanPredictor]) -> list[str]:
    """Model names, suffixed ``#2``, ``#3``... where two share one, so records and columns stay distinct."""
    seen: dict[str, int] = {}
    out = []
    for p in predictors:
        base = str(getattr(p, "name", type(p).__name__))
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def evaluate(
    models: Sequence[SpanPredictor | str],
    data: Sequence[Document] | str | Path,
    *,
    label_map: Mapping[str, str] | str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    examples: int = 5,
    confidence: float = 0.95,
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
) -> EvaluationResult:
    """Predict with each model on ``data``'s texts and score against its gold spans.

    ``models`` are predictor objects or spec strings: ``"spacy:NAME_OR_PATH"`` loads a
    :class:`~specialize.models.spacy_pipeline.SpacyPipeline`, anything else goes to
    ``specialize.models.loading.load_predictor``. ``label_map`` (a mapping, ``"A=B,C=D"`` or a preset name
    such as ``"conll"``) is passed to models loaded from strings; it never touches the gold labels or the
    predictor objects passed in. ``data`` is a list of documents or a file read by
    ``specialize.data.io.read_documents``. ``n_bootstrap=0`` skips the confidence intervals. All models
    see the same bootstrap resamples (same ``seed``), so their intervals are paired.

    ``limit`` scores the first documents only, ``sample`` that many drawn with ``sample_seed``
    (:func:`specialize.data.sampling.select`); the records say so (``data_selection``).

    Gold types a model cannot predict are scored F1 0 (they count in micro recall and macro F1); types it
    predicts that are not in gold count as false positives.
    """
    if isinstance(label_map, str):
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(label_map)
    docs, data_note = select(_resolve_data(data), limit=limit, sample=sample, seed=sample_seed)
    if not docs:
        raise ValueError("No documents to evaluate on")
    predictors = [_resolve_model(m, label_map) for m in models]
    texts = [d.text for d in docs]
    gold = [d.spans for d in docs]
    gold_types = sorted({s.label for spans in gold for s in spans})
    n_tokens = sum(len(t.split()) for t in texts)
    results = []
    for name, predictor in zip(_unique_names(predictors), predictors, strict=True):
        before = label_map_drops(predictor)
        start = time.perf_counter()
        preds = [list(p) for p in predictor.predict(texts)]
        seconds = time.perf_counter() - start
        dropped = label_map_drops(predictor, before)
        if dropped:
            logger.warning("%s: the label map %s", name, describe_drops(dropped, "types it does not map"))
        if len(preds) != len(texts):
            raise ValueError(f"{name} returned {len(preds)} prediction lists for {len(texts)} texts")
        scores = score_spans(gold, preds, types=gold_types)
        ci = bootstrap_ci(scores, n_samples=n_bootstrap, seed=seed, confidence=confidence) if n_bootstrap else None
        results.append(
            ModelEvaluation(
                name=name,
                labels=list(predictor.labels),
                scores=scores,
                ci=ci,
                errors=analyze_errors(docs, preds, max_examples=examples),
                predict_seconds=seconds,
                docs_per_s=len(texts) / seconds if seconds > 0 else float("inf"),
                tokens_per_s=n_tokens / seconds if seconds > 0 else float("inf"),
                predictions=preds,
                dropped_spans=dict(dropped),
            )
        )
        logger.info(
            "%s: F1 %.4f (P %.4f R %.4f) in %.2f s (%.0f docs/s)",
            name,
            scores.micro.f1,
            scores.micro.precision,
            scores.micro.recall,
            seconds,
            results[-1].docs_per_s,
        )
    return EvaluationResult(results, gold_types, len(docs), n_tokens, n_bootstrap, seed, data_note)


def _cell(value: float, interval: tuple[float, float] | None) -> str:
    return f"{value:.3f}" if interval is None else f"{value:.3f} [{interval[0]:.3f}-{interval[1]:.3f}]"


def _render(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        # First column (row names) left-aligned, numbers right-aligned so decimals line up.
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def format_table(result: EvaluationResult) -> str:
    """Side-by-side text tables: F1 per type / micro / macro with CIs, micro P and R, speed; then errors.

    Types that occur only in some model's predictions (not in gold) are listed after the gold types as
    ``TYPE (not in gold)`` with the number of spans each model predicted, not an F1 (there is nothing to find:
    they count as false positives in micro P/F1, not in macro F1); a model that never predicts a gold type
    shows F1 0.000 there.
    """
    names = [m.name for m in result.models]
    extra = sorted({t for m in result.models for t in m.scores.types} - set(result.gold_types))
    support = {t: 0 for t in extra}
    for m in result.models:
        support.update({t: m.scores.per_type[t].support for t in result.gold_types})
    rows: list[list[str]] = []
    for t in [*result.gold_types, *extra]:
        row = [t if t in result.gold_types else f"{t} (not in gold)", str(support.get(t, 0))]
        for m in result.models:
            prf = m.scores.per_type.get(t)
            ci = m.ci.per_type_f1.get(t) if m.ci and prf else None
            if t not in result.gold_types:
                row.append(f"{prf.fp} predicted" if prf is not None and prf.fp else "-")
            else:
                row.append("-" if prf is None else _cell(prf.f1, ci))
        rows.append(row)
    n_gold = sum(support.get(t, 0) for t in result.gold_types)

    def metric_row(label: str, sup: str, value: str, interval: str) -> list[str]:
        cells = []
        for m in result.models:
            obj = m.scores.micro if value.startswith("micro.") else m.scores
            ci: tuple[float, float] | None = getattr(m.ci, interval) if m.ci else None
            cells.append(_cell(getattr(obj, value.removeprefix("micro.")), ci))
        return [label, sup, *cells]

    rows.append(metric_row("micro F1", str(n_gold), "micro.f1", "micro_f1"))
    rows.append(metric_row("macro F1", "", "macro_f1", "macro_f1"))
    rows.append(metric_row("micro P", "", "micro.precision", "micro_precision"))
    rows.append(metric_row("micro R", "", "micro.recall", "micro_recall"))
    rows.append(["docs/s", "", *(f"{m.docs_per_s:.1f}" for m in result.models)])
    rows.append(["predict s", "", *(f"{m.predict_seconds:.2f}" for m in result.models)])
    first_ci = result.models[0].ci if result.models else None
    ci_note = (
        f"; [{round(first_ci.confidence * 100)}% bootstrap CI, {first_ci.n_samples} document resamples]"
        if first_ci
        else ""
    )
    title = f"Strict span F1 on {result.n_docs} documents ({result.n_tokens} whitespace tokens){ci_note}"
    if result.data_note:
        title += f"; {result.data_note} documents"
    scores_table = _render(["type", "support", *names], rows)

    err_rows = [[c, *(str(m.errors.counts.get(c, 0)) for m in result.models)] for c in CATEGORIES]
    err_rows.append(["total", *(str(m.errors.total) for m in result.models)])
    errors_table = _render(["error", *names], err_rows)
    parts = [title, scores_table]
    if extra:
        parts.append(
            "(not in gold): types predicted that the gold data does not have; their spans are false positives in "
            "micro P and F1, not part of macro F1"
        )
    parts += [f"{m.name}: the label map {describe_drops(m.dropped_spans, 'types it does not map')}"
              for m in result.models if m.dropped_spans]  # fmt: skip
    return "\n".join([*parts, "", "Errors (events; see specialize.evaluation.error_analysis)", errors_table])
