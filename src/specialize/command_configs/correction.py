"""The configs of the correction loop's commands: ``select``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from specialize.command_configs._common import _at_least, _one_of, _required
from specialize.config import CommandConfig
from specialize.correction.select import PRE_ANNOTATIONS, STRATEGIES
from specialize.evaluation.confidence import CONFIDENCES

# -------------------------------------------------------------------------------------------------------- select


@dataclass
class SelectSection:
    """``[select]``: the model, the pool and how documents are picked. The task folder is the run's ``--output``."""

    model: str | None = None  # a specialist folder (torch or exported), or spacy:NAME
    input: str | None = None  # texts (.txt, .jsonl, .csv, folder) or silver documents
    n: int = 200  # documents to pick
    strategy: str = "uncertainty"  # uncertainty, random or diverse
    exclude: list[str] = field(default_factory=list)  # documents already corrected (corrections import output)
    seed: int = 0  # seed of the random strategy
    confidence: str | None = None  # None: min_word_prob for a specialist, min_span_score otherwise
    pre_annotations: str = "model"  # spans shown to correct: the model's, or the input's own ("input")
    candidates: int = 3  # diverse: spread over n x this least confident documents
    model_version: str | None = None  # model_version written into the tasks; None = the model's name
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input
    label_map: str | None = None  # for spacy: models, e.g. "PERSON=PER,GPE=LOC"

    def validate(self) -> None:
        _required("select", "model", self.model, "MODEL")
        _required("select", "input", self.input, "--input")
        _one_of("select", "strategy", self.strategy, STRATEGIES)
        _one_of("select", "confidence", self.confidence, CONFIDENCES)
        _one_of("select", "pre_annotations", self.pre_annotations, PRE_ANNOTATIONS)
        _at_least("select", 1, n=self.n, candidates=self.candidates)


@dataclass
class SelectConfig(CommandConfig):
    """``specialize select``; saved as ``specialize_config.toml`` in the task folder."""

    COMMAND: ClassVar[str] = "select"
    OUTPUT: ClassVar[str | None] = "NEW_FOLDER"

    select: SelectSection = field(default_factory=SelectSection)
