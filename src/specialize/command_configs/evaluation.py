"""The configs of the commands that score models and show the scores: ``evaluate``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from specialize.command_configs._common import _at_least, _one_of, _required
from specialize.config import CommandConfig
from specialize.data.grouping import Context
from specialize.evaluation.confidence import CONFIDENCES

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
