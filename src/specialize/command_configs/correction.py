"""The configs of the correction loop's commands: ``select`` and ``corrections import`` / ``corrections merge`` (one
config per subcommand, each with a ``[corrections]`` table: the header of a saved file names the subcommand)."""

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


# --------------------------------------------------------------------------------------------------- corrections

CORRECTION_TOOLS = ("label-studio", "prodigy")


@dataclass
class CorrectionsImportSection:
    """``[corrections]`` of ``corrections import``: the exports to read. The JSONL file they go to (created or
    updated) is the run's ``--output``."""

    exports: list[str] | None = None  # Label Studio JSON exports or Prodigy db-out files
    tool: str | None = None  # label-studio or prodigy; None = detected from the file
    json: bool = False  # print the import report as JSON

    def validate(self) -> None:
        _required("corrections", "exports", self.exports, "EXPORT...")
        _one_of("corrections", "tool", self.tool, CORRECTION_TOOLS)


@dataclass
class CorrectionsImportConfig(CommandConfig):
    """``specialize corrections import``; saved as ``OUTPUT.config.toml`` next to the corrected documents (the
    latest import's: the file gathers the corrections of every import)."""

    COMMAND: ClassVar[str] = "corrections import"
    OUTPUT: ClassVar[str | None] = "CORRECTED.jsonl"

    corrections: CorrectionsImportSection = field(default_factory=CorrectionsImportSection)


@dataclass
class CorrectionsMergeSection:
    """``[corrections]`` of ``corrections merge``: the silver documents and their corrected versions. The merged
    file (a new one) is the run's ``--output``."""

    silver: str | None = None  # silver documents (any format specialize reads)
    corrected: list[str] | None = None  # corrected documents (corrections import output, or any gold file)

    def validate(self) -> None:
        _required("corrections", "silver", self.silver, "--silver")
        _required("corrections", "corrected", self.corrected, "--corrected")


@dataclass
class CorrectionsMergeConfig(CommandConfig):
    """``specialize corrections merge``; saved as ``OUTPUT.config.toml`` next to the merged file."""

    COMMAND: ClassVar[str] = "corrections merge"
    OUTPUT: ClassVar[str | None] = "NEW_FILE.jsonl"

    corrections: CorrectionsMergeSection = field(default_factory=CorrectionsMergeSection)
