"""The report's data: result files read into records by kind, one name per model, speed joined to scores.

:func:`specialize.evaluation.report.report` reads any mix of

* evaluation records (``specialize evaluate --json``; also ``benchmarks/results/ner_accuracy.json``),
* distillation records (evaluation records with ``role``/``teacher``/``throughput``: ``distill.json``),
* speed records (``specialize benchmark --json``: ``tokens_per_s`` keyed by thread count),
* cascade curves (``specialize evaluate --cascade ... --json``),
* LLM side-by-side records (``benchmarks/llm_vs_specialist.py``: ``llm.json``; evaluation records with
  ``"experiment": "llm-vs-specialist"``) and published figures of hosted LLMs (``"measured": false`` with a
  ``citation``: shown apart, never mixed with what was measured here),
* text classification records (``specialize evaluate CLASSIFIER --json``; ``domains.json``, ``distill.json``:
  micro/macro F1 and ``per_label`` scores),
* correction-loop records (``benchmarks/results/correction.json``: F1 after each round of corrected documents,
  per selection strategy),

as single records, lists of records, or ``{"records": [...]}``; each record's kind is told by its keys, so files
can be named anything. The page has inline CSS and inline SVG only (no script, no font, nothing fetched), so it
can be mailed, attached to CI runs or opened offline. Drawing is in :mod:`.report_charts`, sections in
:mod:`.report_sections`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.errors import DataError
from specialize.evaluation.records import CLASSIFICATION_TASK, EvaluationRecord

logger = logging.getLogger(__name__)

DEFAULT_PRICE_PER_CPU_HOUR = 0.05
"""US dollars per vCPU-hour: about what one vCPU of an on-demand general-purpose cloud VM costs (a 2-vCPU
instance at ~$0.08-0.10 an hour). Spot instances cost less, managed services more; pass your own price."""

KINDS = ("evaluation", "distillation", "speed", "cascade", "classification", "llm", "published", "correction")
LLM_EXPERIMENT = "llm-vs-specialist"


# Record kinds written in a record's own "kind" field (an evaluation record is told apart by its task and fields).
DECLARED_KINDS = frozenset({"cascade", "correction", "published"})


def record_kind(record: Mapping[str, Any]) -> str | None:
    """``evaluation``, ``distillation``, ``speed``, ``cascade``, ``classification``, ``llm``, ``published``,
    ``correction``, or None for a record of no known shape.

    A record's own ``kind`` (and ``task``) decide (:mod:`specialize.evaluation.records`); the shape of its keys only
    for files written before records said what they are (and for speed records, whose ``kind`` names the model's)."""
    declared = record.get("kind")
    if declared == EvaluationRecord.kind:
        if record.get("task") == CLASSIFICATION_TASK:
            return "classification"
        if record.get("experiment") == LLM_EXPERIMENT:
            return "llm"
        return "distillation" if "role" in record or "teacher" in record else "evaluation"
    if declared in DECLARED_KINDS:
        return str(declared)
    if "points" in record and "primary" in record and "fallback" in record:
        return "cascade"
    if record.get("measured") is False and "citation" in record and "model" in record and "f1" in record:
        return "published"
    if "strategy" in record and "corrected_documents" in record and "f1" in record:
        return "correction"  # a point of a correction-loop curve (benchmarks/correction_loop.py)
    if "model" in record and isinstance(record.get("tokens_per_s"), Mapping):
        return "speed"
    per_label = record.get("per_label")
    if "model" in record and "micro_f1" in record and isinstance(per_label, Mapping):
        return "classification"
    per_type = record.get("per_type")
    # Span-F1 records only: other tasks' records (e.g. redaction scores with F2 and leak rates per type) share
    # the field names but not the meaning, and are reported by their own benchmark pages.
    if (
        "model" in record
        and "f1" in record
        and isinstance(per_type, Mapping)
        and all(isinstance(s, Mapping) and "f1" in s for s in per_type.values())
    ):
        if record.get("experiment") == LLM_EXPERIMENT:
            return "llm"
        return "distillation" if "role" in record or "teacher" in record else "evaluation"
    return None


def _static_results(blob: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``benchmarks/static_student.py``'s ``{"results": {name: {f1, tokens_per_s, docs_per_s}}}`` as speed
    records, so its throughputs join the others (measured there at ``threads`` threads)."""
    threads = str(blob.get("threads") or 1)
    out = []
    for name, r in blob["results"].items():
        out.append(
            {
                "model": name,
                "dataset": blob.get("data"),
                "kind": "benchmark script",
                "f1": r.get("f1"),
                "threads": [int(threads)],
                "tokens_per_s": {threads: r.get("tokens_per_s")},
                "docs_per_s": {threads: r.get("docs_per_s")},
                "n_docs": blob.get("n_docs"),
                "n_tokens": blob.get("n_tokens"),
                "command": blob.get("command"),
                "machine": blob.get("machine"),
            }
        )
    return out


def _records_in(blob: Any) -> list[Any]:
    if isinstance(blob, list):
        return [r for item in blob for r in _records_in(item)]
    if isinstance(blob, Mapping):
        if record_kind(blob) is None and isinstance(blob.get("records"), list):
            return _records_in(blob["records"])
        results = blob.get("results")
        if (
            record_kind(blob) is None
            and isinstance(results, Mapping)
            and all(isinstance(v, Mapping) for v in results.values())
        ):
            return _static_results(blob)
    return [blob]


@dataclass
class ReportData:
    """Records sorted by kind, in the order read; later duplicates of a (kind, dataset, split, model) replace
    earlier ones, so re-running a benchmark and passing both files shows the newer numbers."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    read: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, file, record), in order
    aliases: dict[str, list[str]] = field(default_factory=dict)  # a model's name -> its other names in the files

    @property
    def evaluations(self) -> list[dict[str, Any]]:
        """Evaluation, distillation and LLM side-by-side records together: all carry per-type scores and errors."""
        return [*self.records["evaluation"], *self.records["distillation"], *self.records["llm"]]

    def add(self, record: dict[str, Any], source: str) -> None:
        kind = record_kind(record)
        if kind is None:
            keys = ", ".join(sorted(record)[:8]) if isinstance(record, Mapping) else type(record).__name__
            self.skipped.append(f"{source}: a record of unknown shape ({keys})")
            return
        self.read.append((kind, source, record))
        self._keep(kind, record)

    def _keep(self, kind: str, record: dict[str, Any]) -> None:
        bucket = self.records[kind]
        key = _identity(kind, record)
        bucket[:] = [r for r in bucket if _identity(kind, r) != key]
        bucket.append(record)

    def unify_names(self, aliases: Mapping[str, str] | None = None) -> None:
        """One name per model and per dataset across the files (:mod:`.report_names`), then the duplicates
        that this reveals dropped as in :meth:`add`."""
        from specialize.evaluation.report_names import unify

        self.aliases = unify(self.read, aliases)
        self.records = {k: [] for k in KINDS}
        for kind, _, record in self.read:
            self._keep(kind, record)

    def models(self) -> list[str]:
        """Every model name in reading order: each keeps its colour across all charts."""
        kinds = ("evaluation", "distillation", "llm", "speed", "classification")
        names = [r["model"] for k in kinds for r in self.records[k]]
        return list(dict.fromkeys(str(n) for n in names))


def _identity(kind: str, r: Mapping[str, Any]) -> tuple[Any, ...]:
    if kind == "cascade":
        return (kind, r.get("primary"), r.get("fallback"), r.get("confidence"), r.get("n_docs"))
    if kind == "published":
        return (kind, r.get("dataset"), r.get("model"), r.get("citation"))
    if kind == "correction":
        return (kind, r.get("benchmark"), r.get("strategy"), r.get("round"), r.get("corrected_documents"))
    if kind in ("distillation", "classification"):
        return (kind, r.get("experiment"), r.get("dataset"), r.get("split"), r.get("model"))
    return (kind, r.get("dataset"), r.get("split"), r.get("model"))


def load_results(paths: Iterable[str | Path], aliases: Mapping[str, str] | None = None) -> ReportData:
    """Read result files into one :class:`ReportData` with one name per model and dataset (``aliases``: model
    names to rename first). A file with no record of a known shape is skipped with a warning; none at all in
    any file is an error."""
    data = ReportData()
    for path in paths:
        path = Path(path)
        try:
            blob = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} is not valid JSON: {exc}") from None
        before = sum(len(v) for v in data.records.values())
        n_skipped = len(data.skipped)
        records = _records_in(blob)
        for record in records:
            data.add(record, path.name)
        if len(data.skipped) - n_skipped == len(records):
            del data.skipped[n_skipped:]
            data.skipped.append(f"{path.name}: no record of a known kind; the whole file was skipped")
            logger.warning(
                "%s: no evaluation, speed, distillation, cascade, classification, LLM or correction record in it; "
                "skipped (the report reads the JSON written by specialize evaluate --json, specialize benchmark "
                "--json, specialize evaluate --cascade --json and the benchmark scripts)",
                path,
            )
            continue
        data.sources.append(str(path))
        logger.info("%s: %d records", path, sum(len(v) for v in data.records.values()) - before)
    if not data.sources:
        raise DataError(
            "no evaluation, speed, distillation, cascade, classification, LLM or correction record in any of the "
            "files (expected the JSON written by specialize evaluate --json, specialize benchmark --json, specialize "
            "evaluate --cascade --json or a benchmark script)"
        )
    data.unify_names(aliases)
    return data


# -- joining evaluation and speed by model name ------------------------------------------------------------
def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) and value > 0 else None


def _cores(record: Mapping[str, Any]) -> int | None:
    machine = record.get("machine") or {}
    cores = machine.get("usable_cores") or machine.get("cores")
    return int(cores) if cores else None


@dataclass(frozen=True)
class Throughput:
    """One throughput measurement of a model and how it was taken."""

    model: str
    source: str
    """``benchmark`` (specialize benchmark, fresh process, fixed threads), ``distill`` (teacher/student
    interleaved), ``evaluate`` (one pass during evaluation, default thread count) or ``benchmark script``."""
    tokens_per_s: float | None
    docs_per_s: float | None
    threads: int | None
    threads_known: bool
    """False: the thread count was not recorded and ``threads`` is the machine's core count (an upper bound)."""
    size_mb: float | None = None
    kind: str | None = None
    tokens_per_doc: float | None = None
    run: str | None = None
    """Which timed run this came from (its command and machine): speeds compare only within one run."""


def _speed_throughput(r: Mapping[str, Any]) -> Throughput:
    # The lowest thread count measured: one thread is the fairest basis for CPU cost.
    counts = sorted(r["tokens_per_s"], key=lambda k: int(k) if str(k).isdigit() else 1_000_000)
    k = counts[0] if counts else "1"
    n_docs, n_tokens = r.get("n_docs"), r.get("n_tokens")
    return Throughput(
        model=str(r["model"]),
        source="benchmark" if r.get("kind") != "benchmark script" else "benchmark script",
        tokens_per_s=_finite(r["tokens_per_s"].get(k)),
        docs_per_s=_finite((r.get("docs_per_s") or {}).get(k)),
        threads=int(k) if str(k).isdigit() else None,
        threads_known=str(k).isdigit(),
        size_mb=_finite(r.get("size_mb")),
        kind=r.get("kind"),
        tokens_per_doc=n_tokens / n_docs if n_docs and n_tokens else None,
        run=_run_of(r),
    )


def _run_of(r: Mapping[str, Any]) -> str | None:
    """The identity of the timed run a speed record came from: one command on one machine, or None if unsaid."""
    command = r.get("command")
    if not command:
        return None
    return json.dumps([command, r.get("machine")], sort_keys=True, default=str)


def _evaluation_throughput(r: Mapping[str, Any]) -> Throughput | None:
    own = r.get("throughput")
    size = None
    run = None
    if isinstance(own, Mapping):  # distillation records: measured apart from the scoring pass
        threads = own.get("threads")
        tokens, docs = _finite(own.get("tokens_per_s")), _finite(own.get("docs_per_s"))
        source = "distill"
    elif isinstance(r.get("speed"), Mapping):  # accuracy.json: timed side by side with others (accuracy.py speed)
        threads, tokens, docs = r.get("threads"), _finite(r["speed"].get("tokens_per_s")), None
        source, size = "benchmark", _finite(r["speed"].get("size_mb"))
        run = _run_of(r["speed"])
    else:
        # Records that say at how many threads they predicted (llm.json) give a known cost basis; accuracy.json
        # records give the words/s of their scoring pass.
        threads, docs = r.get("threads"), _finite(r.get("docs_per_s"))
        tokens = _finite(r.get("tokens_per_s", r.get("words_per_s")))
        source = "evaluate"
    if tokens is None and docs is None:
        return None
    return Throughput(
        model=str(r["model"]),
        source=source,
        tokens_per_s=tokens,
        docs_per_s=docs,
        threads=int(threads) if threads else _cores(r),
        threads_known=bool(threads),
        size_mb=size,
        tokens_per_doc=tokens / docs if tokens and docs else None,
        run=run,
    )


def throughputs(data: ReportData) -> dict[str, Throughput]:
    """Best throughput measurement per model: a benchmark record if there is one, else the evaluation's own."""
    out: dict[str, Throughput] = {}
    for r in data.evaluations:
        t = _evaluation_throughput(r)
        if t is not None:
            out.setdefault(t.model, t)
    for r in data.records["speed"]:
        t = _speed_throughput(r)
        if t.tokens_per_s is not None or t.docs_per_s is not None:
            out[t.model] = t
    return out


def cost_per_million(t: Throughput, price_per_cpu_hour: float) -> tuple[float | None, float | None]:
    """CPU-hours and price to process one million documents like the measured ones."""
    if t.docs_per_s is None or t.threads is None:
        return None, None
    cpu_hours = t.threads * 1e6 / t.docs_per_s / 3600
    return cpu_hours, cpu_hours * price_per_cpu_hour
