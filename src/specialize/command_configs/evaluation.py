"""The configs of the commands that score models and show the scores: ``evaluate``, ``benchmark``, ``audit`` and
``report``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from specialize.command_configs._common import _at_least, _one_of, _required
from specialize.config import CommandConfig
from specialize.data.grouping import Context
from specialize.evaluation.confidence import CONFIDENCES
from specialize.evaluation.report_data import DEFAULT_PRICE_PER_CPU_HOUR

# ------------------------------------------------------------------------------------------------------ evaluate

CASCADE_CONFIDENCES = (*CONFIDENCES, "label_margin")


@dataclass
class EvaluateSection:
    """``[evaluate]``: the models, the gold data and how they are scored. ``--json`` is the run's output."""

    models: list[str] | None = None  # folders written by train or export, or spacy:NAME_OR_PATH
    data: str | None = None  # gold data: path or dataset name such as conll2003:test
    label_map: str | None = None  # map a general model's labels to the data's, e.g. "PERSON=PER" or "conll"
    context: str = Context.SENTENCE.value  # "document": join sentences into their documents before predicting
    bootstrap: int = 1000  # bootstrap samples for the 95% intervals (0 = none)
    limit: int | None = None  # score only the first `limit` documents of the data
    sample: int | None = None  # score `sample` documents drawn with `seed`, kept in order
    seed: int = 0
    examples: int = 3  # error examples to print per category
    json_examples: bool = False  # also write the error examples into the --json records (for specialize report)
    # Instead: F1 against the share of documents deferred to this fallback, for the first model as primary.
    cascade: str | None = None
    cascade_confidence: str | None = None  # None: min_span_score for span models, label_margin for classifiers

    def validate(self) -> None:
        if not self.models:
            raise ValueError("evaluate.models is required: pass MODEL..., or set models in the [evaluate] table")
        _required("evaluate", "data", self.data, "--data")
        _one_of("evaluate", "context", self.context, [c.value for c in Context])
        _one_of("evaluate", "cascade_confidence", self.cascade_confidence, CASCADE_CONFIDENCES)
        _at_least("evaluate", 0, bootstrap=self.bootstrap, examples=self.examples)
        _at_least("evaluate", 1, limit=self.limit, sample=self.sample)
        if self.cascade is not None and (self.limit is not None or self.sample is not None):
            raise ValueError("evaluate.cascade scores the whole data; drop limit/sample (--limit/--sample)")
        if self.cascade is not None and len(self.models) > 1:
            raise ValueError("evaluate.cascade takes one model (the primary); evaluate the others separately")


@dataclass
class EvaluateConfig(CommandConfig):
    """``specialize evaluate``; saved as ``OUT.json.config.toml`` next to its ``--json`` file."""

    COMMAND: ClassVar[str] = "evaluate"
    OUTPUT: ClassVar[str | None] = "OUT.json"
    OUTPUT_FLAG: ClassVar[str] = "--json"

    evaluate: EvaluateSection = field(default_factory=EvaluateSection)


# ----------------------------------------------------------------------------------------------------- benchmark


@dataclass
class BenchmarkSection:
    """``[benchmark]``: the models, the texts and how they are timed. ``--json`` is the run's output."""

    # Specialist or exported folders, spacy:NAME_OR_PATH, or hf-pipeline:FOLDER (the plain transformers pipeline).
    models: list[str] | None = None
    data: str | None = None  # documents: path or dataset name such as conll2003:test
    threads: list[int] = field(default_factory=lambda: [1])  # thread counts to measure, e.g. [1, 2, 4]
    repeats: int = 3  # timed passes over the data (the median is reported)
    warmup: int = 1  # untimed calls before timing
    latency_docs: int = 200  # single documents timed for latency percentiles
    label_map: str | None = None  # for spacy: models, e.g. "PERSON=PER,GPE=LOC" or a preset: conll

    def validate(self) -> None:
        _required("benchmark", "models", self.models, "MODEL...")
        _required("benchmark", "data", self.data, "--data")
        if not self.threads:
            raise ValueError("benchmark.threads must name at least one thread count, e.g. [1, 2]")
        _at_least("benchmark", 1, **{f"threads[{i}]": t for i, t in enumerate(self.threads)})
        _at_least("benchmark", 1, repeats=self.repeats)
        _at_least("benchmark", 0, warmup=self.warmup, latency_docs=self.latency_docs)


@dataclass
class BenchmarkConfig(CommandConfig):
    """``specialize benchmark``; saved as ``OUT.json.config.toml`` next to its ``--json`` file."""

    COMMAND: ClassVar[str] = "benchmark"
    OUTPUT: ClassVar[str | None] = "OUT.json"
    OUTPUT_FLAG: ClassVar[str] = "--json"

    benchmark: BenchmarkSection = field(default_factory=BenchmarkSection)


# --------------------------------------------------------------------------------------------------------- audit


@dataclass
class AuditSection:
    """``[audit]``: the model, the gold data and the name groups. ``--json`` is the run's output."""

    model: str | None = None  # a folder written by train or export, or spacy:NAME_OR_PATH
    data: str | None = None  # gold data with person spans: path or dataset name (conll2003:test)
    label_map: str | None = None  # map a general model's labels to the data's, e.g. "PERSON=PER" or "conll"
    person_labels: list[str] = field(default_factory=lambda: ["PER", "PERSON"])  # gold labels of person spans
    groups: list[str] | None = None  # name groups, e.g. ["anglo-female", "arabic-male"]; None = all
    seed: int = 0  # seed of the name draws and of the bootstrap
    bootstrap: int = 1000  # bootstrap samples for the intervals (0 = none)
    update_card: bool = False  # write the table into MODEL/README.md as a '## Bias audit' section

    def validate(self) -> None:
        _required("audit", "model", self.model, "MODEL")
        _required("audit", "data", self.data, "--data")
        _at_least("audit", 0, bootstrap=self.bootstrap)


@dataclass
class AuditConfig(CommandConfig):
    """``specialize audit``; saved as ``OUT.json.config.toml`` next to its ``--json`` file (not into the model
    folder, whose card ``update_card`` changes)."""

    COMMAND: ClassVar[str] = "audit"
    OUTPUT: ClassVar[str | None] = "OUT.json"
    OUTPUT_FLAG: ClassVar[str] = "--json"

    audit: AuditSection = field(default_factory=AuditSection)


# -------------------------------------------------------------------------------------------------------- report


@dataclass
class ReportSection:
    """``[report]``: the result files and how the page shows them. The HTML file is the run's ``--output``."""

    # JSON from evaluate --json, benchmark --json, evaluate --cascade ... --json, or benchmarks/results/*.json.
    results: list[str] | None = None
    title: str = "specialize report"  # page title
    # Call model OLD by the name NEW: {OLD = "NEW"}; models with the same scores on the same documents in
    # different files already share one name.
    aliases: dict[str, str] = field(default_factory=dict)
    price_per_cpu_hour: float = DEFAULT_PRICE_PER_CPU_HOUR  # US dollars per vCPU-hour for the cost table

    def validate(self) -> None:
        _required("report", "results", self.results, "RESULTS...")
        _at_least("report", 0, price_per_cpu_hour=self.price_per_cpu_hour)


@dataclass
class ReportConfig(CommandConfig):
    """``specialize report``; saved as ``OUTPUT.config.toml`` next to the HTML file it writes."""

    COMMAND: ClassVar[str] = "report"
    OUTPUT: ClassVar[str | None] = "REPORT.html"

    report: ReportSection = field(default_factory=ReportSection)
